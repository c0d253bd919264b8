#!/bin/bash
# Scratch: perf profile of the server during the harness's 512 MiB c=4 pull phase. Usage: perfphase.sh TREE NAME
set -u
TREE=$1; NAME=$2
JDK=/usr/lib/jvm/temurin-25-jdk-amd64; JAR=/tmp/bench/target/registry-bench.jar
OUT=/tmp/perfphase/$NAME; rm -rf $OUT; mkdir -p $OUT
W="--workloads=pull --mono-sizes=64MiB:16,512MiB:4 --blob-concurrency=1,4 --warmup-seconds=10"
rm -rf /tmp/ab4-data; sync; echo 1 > /proc/sys/vm/drop_caches; sleep 4
(cd $TREE && LADING_JAVA_OPTS="-XX:+UseSerialGC -Xmx80m -XX:+ExitOnOutOfMemoryError -XX:TrimNativeHeapInterval=1000 -XX:+PreserveFramePointer -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit" ./lading serve --listen 127.0.0.1:5400 --data /tmp/ab4-data > $OUT/server.log 2>&1 &)
for i in $(seq 1 600); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5400/v2/ && break; sleep 0.2; done
pid=$(pgrep -f 'lading.jar serve --listen 127.0.0.1:5400')
$JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:5400 $W --server-pid $pid --json-out $OUT/b.jsonl > /dev/null 2> $OUT/b.txt &
bp=$!
until grep -q "pull 512MiB x 4, c=4" $OUT/b.txt 2>/dev/null; do sleep 0.05; done
perf record -e cpu-clock -g -p $pid -o $OUT/perf.data -- sleep 1.6 2>/dev/null
wait $bp
kill $pid; sleep 4
perf report -i $OUT/perf.data --no-children --sort comm -g none 2>/dev/null | grep -v "^#" | grep -v "^$" | head -15 > $OUT/comm.txt
perf report -i $OUT/perf.data --no-children --sort dso,sym -g none 2>/dev/null | grep -v "^#" | grep -v "^$" | head -40 > $OUT/sym.txt
