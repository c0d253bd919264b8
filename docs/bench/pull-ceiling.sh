#!/bin/bash
# Large pulls against the harness's ceiling, in one run: in each round RegistryBench pulls 16 x 64 MiB blobs at c=1
# and c=8 and 4 x 512 MiB at c=1 and c=4 (as in the full run; C=4 in the environment runs both at c=4, as the first
# run of this script did) from calib/nullreg (the bench's in-memory stub: the ceiling, see its README),
# from docker-registry 2.8.2 (Debian) and from Lading (`./lading serve` of this tree, default settings), the order
# turning round by round. Every server starts on empty storage after the clean page cache is dropped (root only);
# the harness pushes the blobs it pulls just before. Needs RegistryBench built in /tmp/bench, Go (Debian's
# golang-go) for nullreg, and `apt-get install docker-registry`.
# Usage: docs/bench/pull-ceiling.sh [ROUNDS]   (default 3)    Results: /tmp/pce/{null,dr,lading}N.{jsonl,txt}
# HARNESS_JAVA: see lib.sh.
set -u
ROUNDS=${1:-3}
. "$(dirname "$0")/lib.sh"
OUT=/tmp/pce; rm -rf $OUT; mkdir -p $OUT
stub_build
W="--workloads=pull --mono-sizes=64MiB:16,512MiB:4 --blob-concurrency=1,${C:-8} --warmup-seconds=15"
sed "s#rootdirectory: .*#rootdirectory: /tmp/pce-dr#" /tmp/bench/scripts/docker-registry-config.yml > $OUT/dr.yml
clean() { rm -rf /tmp/pce-lading /tmp/pce-dr; drop_cache 5; }
run() { # WHICH ROUND
  clean
  case $1 in
    null) stub_pass null$2 $W ;;
    dr) docker-registry serve $OUT/dr.yml > $OUT/dr$2.log 2>&1 & pid=$!; wait_up 5300
        harness dr$2 5300 $pid $W; kill $pid; wait $pid 2>/dev/null ;;
    lading) unset LADING_JAVA_OPTS
            start_lading "$REPO" 5400 $OUT/lading$2.log --data /tmp/pce-lading
            harness lading$2 5400 $LP $W; stop $LP ;;
  esac
}
ORDER=(null dr lading)
for r in $(seq 1 "$ROUNDS"); do
  for i in 0 1 2; do run ${ORDER[$(( (i + r - 1) % 3 ))]} $r; done
done
clean
# One line per phase: registry, round, size, c, MB/s, client and server CPU-s per GB.
for f in $OUT/*.jsonl; do
  python3 -c '
import json, sys
name = sys.argv[1].rsplit("/", 1)[1][:-6]
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["workload"] != "pull": continue
    gb = d["bytes"] / 1e9
    print("%-9s %-7s c=%d %8.1f MB/s  client %.2f  server %.2f CPU-s/GB" % (name, d["detail"],
          d["concurrency"], d["mb_per_s"], d["client_cpu_s"] / gb, d["server_cpu_s"] / gb))
' "$f"
done | tee $OUT/summary.txt
