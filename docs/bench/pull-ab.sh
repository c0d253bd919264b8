#!/bin/bash
# Large pulls side by side, in alternating rounds: docker-registry 2.8.2, then Lading copying through its buffers
# (the default), then Lading with lading.storage.sendfile: true. Each server starts on empty storage after the page
# cache is dropped (root only), and RegistryBench pushes 16 x 64 MiB and 4 x 512 MiB blobs, then pulls them, at
# c=1 and c=4. Needs RegistryBench built in /tmp/bench and `apt-get install docker-registry`.
# Usage: docs/bench/pull-ab.sh [ROUNDS]   (default 2)       Results: /tmp/pab/{dr,copy,sf}N.{jsonl,txt}
# HARNESS_JAVA: see lib.sh.
set -u
ROUNDS=${1:-2}
. "$(dirname "$0")/lib.sh"
OUT=/tmp/pab; rm -rf $OUT; mkdir -p $OUT
W="--workloads=push-mono,pull --mono-sizes=64MiB:16,512MiB:4 --blob-concurrency=1,4 --warmup-seconds=5"
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /tmp/pab-data\nlading:\n  storage:\n    sendfile: true\n' \
  > $OUT/sf.yml
sed "s#rootdirectory: .*#rootdirectory: /tmp/pab-dr#" /tmp/bench/scripts/docker-registry-config.yml > $OUT/dr.yml
clean() { rm -rf /tmp/pab-data /tmp/pab-dr; drop_cache 3; }
for r in $(seq 1 "$ROUNDS"); do
  clean
  docker-registry serve $OUT/dr.yml > $OUT/dr$r.log 2>&1 & DR=$!; wait_up 5300
  harness dr$r 5300 $DR $W
  kill $DR; wait $DR 2>/dev/null
  for v in copy sf; do
    clean
    if [ $v = sf ]; then ARGS="--config $OUT/sf.yml"; else ARGS="--data /tmp/pab-data"; fi
    start_lading "$REPO" 5401 $OUT/$v$r.log $ARGS
    harness $v$r 5401 "$LP" $W
    stop "$LP"
  done
done
