#!/bin/bash
# Many clients at once against a fresh `./lading serve` of a source tree with the launcher's default JVM settings:
# RegistryBench pushes and pulls 2 048 blobs of 1 MiB and 512 of 8 MiB at c=512 (and a chunked push, which the
# harness runs at c=4). Counts errors, and says whether the server was still running at the end.
# Needs RegistryBench built in /tmp/bench.
# Usage: docs/bench/many-clients.sh TREE NAME      Results: /tmp/many-out/NAME.{jsonl,txt,log}
set -u
TREE=$1; NAME=$2
JDK=/usr/lib/jvm/temurin-25-jdk-amd64; JAR=/tmp/bench/target/registry-bench.jar
OUT=/tmp/many-out; mkdir -p $OUT; rm -rf /tmp/many-data
(cd "$TREE" && ./lading serve --listen 127.0.0.1:5402 --data /tmp/many-data > $OUT/$NAME.log 2>&1 &)
for i in $(seq 1 120); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5402/v2/ && break; sleep 0.5; done
pid=$(pgrep -f 'lading.jar serve --listen 127.0.0.1:5402')
$JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:5402 --workloads=push-mono,pull,push-chunked \
  --mono-sizes=1MiB:2048,8MiB:512 --chunked-size=16MiB --chunk-size=1MiB --blob-concurrency=512 \
  --warmup-seconds=0 --server-pid "$pid" --json-out $OUT/$NAME.jsonl > /dev/null 2> $OUT/$NAME.txt
if kill -0 "$pid" 2>/dev/null; then echo "server running at the end" >> $OUT/$NAME.txt; kill "$pid"; sleep 3
else echo "server NOT running at the end" >> $OUT/$NAME.txt; fi
echo "OutOfMemoryError lines in the server's log: $(grep -c OutOfMemoryError $OUT/$NAME.log)" >> $OUT/$NAME.txt
