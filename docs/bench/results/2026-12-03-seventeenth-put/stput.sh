#!/bin/bash
T=$1; OUT=$2; N=${3:-2000}; shift 3
JDK=/usr/lib/jvm/temurin-25-jdk-amd64
D=/tmp/lading-st-$(date +%s%N)
PID=$($(dirname "$0")/../2026-12-03-fifteenth-profile/startn.sh $T $D "$@" | tail -1)
H="$JDK/bin/java -Xmx2g -jar /tmp/bench/target/registry-bench.jar --url http://127.0.0.1:5400 --workloads=manifest --manifest-concurrency=16 --manifest-count=$N --warmup-seconds=5 --server-pid $PID"
$H > /dev/null 2> $OUT.warm.txt
$H --json-out $OUT.jsonl > /dev/null 2> $OUT.txt &
HP=$!
while ! grep -q "manifest push" $OUT.txt 2>/dev/null; do sleep 0.01; done
strace -f -qq -e trace=pwrite64,fdatasync,fsync -o $OUT.strace -p $PID & SP=$!
while ! grep -q "^manifest-push" $OUT.txt 2>/dev/null; do sleep 0.01; done
kill -INT $SP; wait $SP
wait $HP
ls -l /proc/$PID/fd | grep -E 'sqlite|\.db|wal' 
grep -E "^manifest" $OUT.txt
