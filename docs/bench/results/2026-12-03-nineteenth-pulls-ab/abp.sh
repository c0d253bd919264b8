#!/bin/bash
# abp.sh TREE OUT: fresh Lading-only run of large pushes then pulls (10 s warm-up), results OUT.txt/.jsonl
T=$1; OUT=$2
JDK=/usr/lib/jvm/temurin-25-jdk-amd64
D=/tmp/lading-ab-$(date +%s%N)
PID=$(/work/main/docs/bench/results/2026-12-03-fifteenth-profile/startn.sh $T $D | tail -1)
$JDK/bin/java -Xmx6g -jar /tmp/bench/target/registry-bench.jar --url http://127.0.0.1:5400 --workloads=push-mono,pull --mono-sizes=64MiB:16,512MiB:4 --blob-concurrency=1,4 --server-pid $PID --warmup-seconds=10 --json-out $OUT.jsonl > /dev/null 2> $OUT.txt
pkill -f 'lading.jar serve'; sleep 8; rm -rf $D; sync
grep -E "^pull +(64|512)" $OUT.txt
