#!/bin/bash
# JFR compilations + deopts of the server during a manifest-only harness run.
set -u
TREE=$1; NAME=$2; W=${W:---workloads=manifest --warmup-seconds=5}
JDK=/usr/lib/jvm/temurin-25-jdk-amd64; JAR=/tmp/bench/target/registry-bench.jar
OUT=/tmp/jitdiag/$NAME; rm -rf $OUT; mkdir -p $OUT
rm -rf /tmp/jm-data
(cd $TREE && LADING_JAVA_OPTS="-XX:+UseSerialGC -Xmx80m -XX:+ExitOnOutOfMemoryError -XX:TrimNativeHeapInterval=1000 -XX:StartFlightRecording=filename=$OUT/rec.jfr,settings=/tmp/prof/comp.jfc" ./lading serve --listen 127.0.0.1:5400 --data /tmp/jm-data > $OUT/server.log 2>&1 &)
for i in $(seq 1 600); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5400/v2/ && break; sleep 0.2; done
pid=$(pgrep -f 'lading.jar serve --listen 127.0.0.1:5400')
python3 /tmp/prof/phasecpu.py $pid $OUT/b -- $JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:5400 $W --server-pid $pid > $OUT/threads.txt
kill $pid; sleep 4
$JDK/bin/jfr print --events jdk.Compilation --json $OUT/rec.jfr > $OUT/comp.json
$JDK/bin/jfr print --events jdk.Deoptimization $OUT/rec.jfr > $OUT/deopt.txt
