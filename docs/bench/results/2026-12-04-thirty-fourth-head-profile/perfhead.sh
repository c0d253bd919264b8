#!/bin/bash
# Scratch: perf profile of the server during a long HEAD phase at c=16. Usage: perfhead.sh TREE NAME
set -u
TREE=$1; NAME=$2
JDK=/usr/lib/jvm/temurin-25-jdk-amd64; JAR=/tmp/bench/target/registry-bench.jar
OUT=/tmp/perfhead/$NAME; rm -rf $OUT; mkdir -p $OUT
W="--workloads=push-mono,head --mono-sizes=1KiB:3000 --head-count=60000 --blob-concurrency=16 --warmup-seconds=30"
rm -rf /tmp/ph-data; sync; sleep 2
(cd $TREE && LADING_JAVA_OPTS="-XX:+UseSerialGC -Xmx80m -XX:+ExitOnOutOfMemoryError -XX:TrimNativeHeapInterval=1000 -XX:+PreserveFramePointer -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit" ./lading serve --listen 127.0.0.1:5400 --data /tmp/ph-data > $OUT/server.log 2>&1 &)
for i in $(seq 1 600); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5400/v2/ && break; sleep 0.2; done
pid=$(pgrep -f 'lading.jar serve --listen 127.0.0.1:5400')
$JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:5400 $W --server-pid $pid --json-out $OUT/b.jsonl > /dev/null 2> $OUT/b.txt &
bp=$!
until grep -q "head 1KiB x 60000, c=16" $OUT/b.txt 2>/dev/null; do sleep 0.05; done
sleep 1
perf record -e cpu-clock -g -p $pid -o $OUT/perf.data -- sleep 5 2>/dev/null
wait $bp
kill $pid; sleep 4
perf report -i $OUT/perf.data --no-children --sort comm -g none 2>/dev/null | grep -v "^#" | grep -v "^$" | head -15 > $OUT/comm.txt
perf report -i $OUT/perf.data --no-children --sort dso,sym -g none 2>/dev/null | grep -v "^#" | grep -v "^$" | head -60 > $OUT/sym.txt
perf report -i $OUT/perf.data --children --sort sym -g none 2>/dev/null | grep -v "^#" | grep -v "^$" | head -80 > $OUT/children.txt
