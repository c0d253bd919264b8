#!/bin/bash
# Large pulls from Lading with its data on different media, against the harness's ceiling, in one run: in each round
# RegistryBench pulls 16 x 64 MiB and 4 x 512 MiB blobs at c=1 and c=4 from calib/nullreg (the bench's in-memory
# stub) and then from `./lading serve` of this tree four ways, each on empty storage after the clean page cache is
# dropped (root only; the harness pushes the blobs it pulls just before):
#   disk      the defaults: data under /tmp (the disk), large blobs written and read with O_DIRECT
#   disk-pc   the same disk, lading.storage.directio: false and sendfile: true (pushes fill the page cache, pulls
#             are sent from it with sendfile)
#   tmpfs     the defaults with the data in /dev/shm (memory; this kernel's tmpfs takes O_DIRECT, so the same code
#             path as `disk`, copying from memory where `disk` reads from the device)
#   tmpfs-sf  data in /dev/shm and sendfile: true (sent from memory with sendfile)
# Needs RegistryBench built in /tmp/bench and Go (Debian's golang-go) for nullreg; /dev/shm must hold 3 GiB.
# Usage: docs/bench/pull-media.sh [ROUNDS]   (default 3)    Results: /tmp/pmedia/{null,disk,...}-N.{jsonl,txt}
# HARNESS_JAVA: see lib.sh.
set -u
ROUNDS=${1:-3}
. "$(dirname "$0")/lib.sh"
unset LADING_JAVA_OPTS
OUT=/tmp/pmedia; rm -rf $OUT; mkdir -p $OUT
stub_build
W="--workloads=pull --mono-sizes=64MiB:16,512MiB:4 --blob-concurrency=1,4 --warmup-seconds=10"
printf 'version: 0.1\n' > $OUT/default.yml
printf 'version: 0.1\nlading:\n  storage:\n    directio: false\n    sendfile: true\n' > $OUT/pagecache.yml
printf 'version: 0.1\nlading:\n  storage:\n    sendfile: true\n' > $OUT/sendfile.yml
clean() { rm -rf /tmp/pmedia-data /dev/shm/pmedia-data; drop_cache 4; }
lading() { # NAME DATA CONFIG ROUND
  clean
  start_lading "$REPO" 5400 $OUT/$1-$4.log --config $OUT/$3.yml --data $2
  harness $1-$4 5400 $LP $W; stop $LP
}
for r in $(seq 1 "$ROUNDS"); do
  clean; stub_pass null-$r $W
  lading disk /tmp/pmedia-data default $r
  lading disk-pc /tmp/pmedia-data pagecache $r
  lading tmpfs /dev/shm/pmedia-data default $r
  lading tmpfs-sf /dev/shm/pmedia-data sendfile $r
done
clean
# Per phase and server: MB/s in each round, with the share of the same round's stub; client and server CPU-s per GB.
python3 - $OUT "$ROUNDS" <<'PY' | tee $OUT/summary.txt
import json, sys, collections
out, rounds = sys.argv[1], int(sys.argv[2])
res = collections.defaultdict(dict)
for name in ('null', 'disk', 'disk-pc', 'tmpfs', 'tmpfs-sf'):
    for r in range(1, rounds + 1):
        for l in open('%s/%s-%d.jsonl' % (out, name, r)):
            d = json.loads(l)
            if d['workload'] == 'pull':
                res[(d['detail'], d['concurrency'])][(name, r)] = d
for (size, c), v in sorted(res.items()):
    print('%s c=%d' % (size, c))
    for name in ('null', 'disk', 'disk-pc', 'tmpfs', 'tmpfs-sf'):
        cells = []
        for r in range(1, rounds + 1):
            d, n = v[(name, r)], v[('null', r)]
            gb = d['bytes'] / 1e9
            cells.append('%6.0f MB/s %3.0f %% (cli %.2f srv %.2f)' % (
                d['mb_per_s'], 100 * d['mb_per_s'] / n['mb_per_s'], d['client_cpu_s'] / gb, d['server_cpu_s'] / gb))
        print('  %-9s %s' % (name, ' | '.join(cells)))
PY
