#!/bin/bash
# gprof.sh TREE OUT: fresh server, manifest c=16 x20000 once to warm, then again profiling only the GET phase
T=$1; OUT=$2
JDK=/usr/lib/jvm/temurin-25-jdk-amd64
D=/tmp/lading-prof-$(date +%s%N)
PID=$(docs/bench/results/2026-12-03-fifteenth-profile/startn.sh $T $D | tail -1)
H="$JDK/bin/java -Xmx2g -jar /tmp/bench/target/registry-bench.jar --url http://127.0.0.1:5400 --workloads=manifest --manifest-concurrency=16 --manifest-count=20000 --warmup-seconds=10 --server-pid $PID"
$H > /dev/null 2> $OUT.warm.txt
$H --json-out $OUT.jsonl > /dev/null 2> $OUT.txt &
HP=$!
while ! grep -q "manifest pull" $OUT.txt 2>/dev/null; do sleep 0.1; done
docs/bench/results/2026-12-03-fifteenth-profile/prof.sh $OUT $PID 4
wait $HP
grep -E "^manifest" $OUT.warm.txt $OUT.txt
