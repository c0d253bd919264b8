#!/bin/bash
# push1.sh TREE OUT: fresh server, 1 KiB pushes at c=1 x4000 (harness warm-up 30 s), server/client CPU per push
T=$1; OUT=$2
JDK=/usr/lib/jvm/temurin-25-jdk-amd64
P=$(dirname "$0")/../2026-12-03-fifteenth-profile
D=/tmp/lading-p1-$(date +%s%N)
PID=$($P/startn.sh $T $D | tail -1)
$JDK/bin/java -Xmx2g -jar /tmp/bench/target/registry-bench.jar --url http://127.0.0.1:5400 --workloads=push-mono --mono-sizes=1KiB:4000 --blob-concurrency=1 --warmup-seconds=30 --server-pid $PID --json-out $OUT.jsonl > /dev/null 2> $OUT.txt
grep -E "^push-mono" $OUT.txt
grep push-mono $OUT.jsonl | python3 -c "import json,sys; j=json.loads(sys.stdin.readline()); print('client cpu/op us',round(j['client_cpu_s']/j['ops']*1e6), 'server cpu/op us', round(j['server_cpu_s']/j['ops']*1e6))"
