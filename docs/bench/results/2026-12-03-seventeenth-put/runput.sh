#!/bin/bash
# runput.sh TREE OUT COUNT [server args]: fresh server, manifest c=16 xCOUNT warm, then again; server CPU per PUT
T=$1; OUT=$2; N=${3:-2000}; shift 3
JDK=/usr/lib/jvm/temurin-25-jdk-amd64
D=/tmp/lading-rp-$(date +%s%N)
PID=$($(dirname "$0")/../2026-12-03-fifteenth-profile/startn.sh $T $D "$@" | tail -1)
H="$JDK/bin/java -Xmx2g -jar /tmp/bench/target/registry-bench.jar --url http://127.0.0.1:5400 --workloads=manifest --manifest-concurrency=16 --manifest-count=$N --warmup-seconds=5 --server-pid $PID"
$H > /dev/null 2> $OUT.warm.txt
$H --json-out $OUT.jsonl > /dev/null 2> $OUT.txt
grep -E "^manifest-push" $OUT.warm.txt $OUT.txt
