#!/bin/bash
# Large pulls side by side, in alternating rounds: docker-registry 2.8.2, then Lading copying through its buffers
# (the default), then Lading with lading.storage.sendfile: true. Each server starts on empty storage after the page
# cache is dropped (root only), and RegistryBench pushes 16 x 64 MiB and 4 x 512 MiB blobs, then pulls them, at
# c=1 and c=4. Needs RegistryBench built in /tmp/bench and `apt-get install docker-registry`.
# Usage: docs/bench/pull-ab.sh [ROUNDS]   (default 2)       Results: /tmp/pab/{dr,copy,sf}N.{jsonl,txt}
set -u
ROUNDS=${1:-2}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
JDK=/usr/lib/jvm/temurin-25-jdk-amd64; JAR=/tmp/bench/target/registry-bench.jar
OUT=/tmp/pab; rm -rf $OUT; mkdir -p $OUT
W="--workloads=push-mono,pull --mono-sizes=64MiB:16,512MiB:4 --blob-concurrency=1,4 --warmup-seconds=5"
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /tmp/pab-data\nlading:\n  storage:\n    sendfile: true\n' \
  > $OUT/sf.yml
sed "s#rootdirectory: .*#rootdirectory: /tmp/pab-dr#" /tmp/bench/scripts/docker-registry-config.yml > $OUT/dr.yml
clean() { rm -rf /tmp/pab-data /tmp/pab-dr; sync; echo 1 > /proc/sys/vm/drop_caches; sleep 3; }
wait_up() { for i in $(seq 1 120); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:$1/v2/ && return; sleep 0.5; done; }
for r in $(seq 1 "$ROUNDS"); do
  clean
  docker-registry serve $OUT/dr.yml > $OUT/dr$r.log 2>&1 & DR=$!; wait_up 5300
  $JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:5300 $W --server-pid $DR --json-out $OUT/dr$r.jsonl \
    > /dev/null 2> $OUT/dr$r.txt
  kill $DR; wait $DR 2>/dev/null
  for v in copy sf; do
    clean
    if [ $v = sf ]; then ARGS="--config $OUT/sf.yml"; else ARGS="--data /tmp/pab-data"; fi
    (cd "$REPO" && ./lading serve --listen 127.0.0.1:5401 $ARGS > $OUT/$v$r.log 2>&1 &)
    wait_up 5401; pid=$(pgrep -f 'lading.jar serve --listen 127.0.0.1:5401')
    $JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:5401 $W --server-pid "$pid" --json-out $OUT/$v$r.jsonl \
      > /dev/null 2> $OUT/$v$r.txt
    kill "$pid"; sleep 3
  done
done
