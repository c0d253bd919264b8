#!/bin/bash
# jitdiag.sh with JFR compilation events (every compile, with its duration) instead of the JIT log.
set -u
TREE=$1; NAME=$2
JDK=/usr/lib/jvm/temurin-25-jdk-amd64; JAR=/tmp/bench/target/registry-bench.jar
OUT=/tmp/jitdiag/$NAME; rm -rf $OUT; mkdir -p $OUT
W="--workloads=pull --mono-sizes=64MiB:16,512MiB:4 --blob-concurrency=1,4 --warmup-seconds=10"
rm -rf /tmp/ab4-data; sync; echo 1 > /proc/sys/vm/drop_caches; sleep 4
(cd $TREE && LADING_JAVA_OPTS="-XX:+UseSerialGC -Xmx80m -XX:+ExitOnOutOfMemoryError -XX:TrimNativeHeapInterval=1000 -XX:StartFlightRecording=filename=$OUT/rec.jfr,settings=/tmp/prof/comp.jfc" ./lading serve --listen 127.0.0.1:5400 --data /tmp/ab4-data > $OUT/server.log 2>&1 &)
for i in $(seq 1 600); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5400/v2/ && break; sleep 0.2; done
pid=$(pgrep -f 'lading.jar serve --listen 127.0.0.1:5400')
$JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:5400 $W --server-pid $pid --json-out $OUT/b.jsonl > /dev/null 2> $OUT/b.txt
kill $pid; sleep 4
$JDK/bin/jfr print --events jdk.Compilation --json $OUT/rec.jfr > $OUT/comp.json
