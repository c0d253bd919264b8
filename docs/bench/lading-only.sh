#!/bin/bash
# Lading's passes of side-by-side.sh (the full run, then the c=16 pass of 1 KiB pushes and HEADs) against a fresh
# `./lading serve` of this tree, with JAVA_OPTS as LADING_JAVA_OPTS when given (else the launcher's defaults): for
# A/B runs of JVM options. Needs RegistryBench built in /tmp/bench.
# Usage: docs/bench/lading-only.sh NAME [JAVA_OPTS]      Results: /tmp/lo-out/NAME{,-16}.{txt,jsonl}, VmHWM at the end
set -u
NAME=$1; OPTS=${2:-}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
JDK=/usr/lib/jvm/temurin-25-jdk-amd64; JAR=/tmp/bench/target/registry-bench.jar
OUT=/tmp/lo-out; mkdir -p $OUT; rm -rf /tmp/lading-bench; sync; sleep 20
if [ -n "$OPTS" ]; then export LADING_JAVA_OPTS="$OPTS"; else unset LADING_JAVA_OPTS; fi
"$REPO/lading" serve --listen 127.0.0.1:5400 --data /tmp/lading-bench > $OUT/$NAME.log 2>&1 &
for i in $(seq 1 600); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5400/v2/ && break; sleep 0.2; done
LP=$(pgrep -f 'lading.jar serve --listen 127.0.0.1:5400')
$JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:5400 --warmup-seconds=30 --server-pid $LP \
  --json-out $OUT/$NAME.jsonl > /dev/null 2> $OUT/$NAME.txt
$JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:5400 --workloads=push-mono,head --mono-sizes=1KiB:3000 \
  --head-count=5000 --blob-concurrency=16 --warmup-seconds=30 --server-pid $LP --json-out $OUT/$NAME-16.jsonl \
  > /dev/null 2> $OUT/$NAME-16.txt
grep VmHWM /proc/$LP/status >> $OUT/$NAME.txt; kill $LP; sleep 2; rm -rf /tmp/lading-bench
