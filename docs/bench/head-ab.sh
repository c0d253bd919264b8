#!/bin/bash
# A/B of issue 3's HEAD target: the side-by-side script's c=16 pass (3 000 pushes of 1 KiB, then 5 000 HEADs at
# c=16, after 30 s of the harness's warm-up) against a fresh `./lading serve` of each of two source trees, in
# alternating pairs, so that the machine's drift falls on both. Needs RegistryBench built in /tmp/bench.
# Usage: docs/bench/head-ab.sh BEFORE_TREE AFTER_TREE [PAIRS]   (trees: checkouts built with `mvn package`)
# Results: /tmp/ab-out/{before,after}N.{jsonl,txt}
set -u
BEFORE=$1; AFTER=$2; PAIRS=${3:-2}
JDK=${JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}; JAR=/tmp/bench/target/registry-bench.jar
OUT=/tmp/ab-out; rm -rf $OUT; mkdir -p $OUT
C16="--workloads=push-mono,head --mono-sizes=1KiB:3000 --head-count=5000 --blob-concurrency=16 --warmup-seconds=30"
run() {
  local name=$1 tree=$2
  rm -rf /tmp/ab-data
  (cd "$tree" && ./lading serve --listen 127.0.0.1:5401 --data /tmp/ab-data > $OUT/$name.log 2>&1 &)
  for i in $(seq 1 120); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5401/v2/ && break; sleep 0.5; done
  local pid; pid=$(pgrep -f 'lading.jar serve --listen 127.0.0.1:5401')
  $JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:5401 $C16 --server-pid "$pid" --json-out $OUT/$name.jsonl \
    > /dev/null 2> $OUT/$name.txt
  kill "$pid"; sleep 3
}
for pair in $(seq 1 "$PAIRS"); do run before$pair "$BEFORE"; run after$pair "$AFTER"; done
