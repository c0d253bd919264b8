#!/bin/bash
# runput2.sh TREE OUT: fresh server, manifest c=16 x6000 warm twice, then x20000 measured (server cpu/op and client)
T=$1; OUT=$2
JDK=/usr/lib/jvm/temurin-25-jdk-amd64
D=/tmp/lading-rp-$(date +%s%N)
PID=$($(dirname "$0")/../2026-12-03-fifteenth-profile/startn.sh $T $D | tail -1)
H="$JDK/bin/java -Xmx2g -jar /tmp/bench/target/registry-bench.jar --url http://127.0.0.1:5400 --workloads=manifest --manifest-concurrency=16 --warmup-seconds=5 --server-pid $PID"
$H --manifest-count=6000 > /dev/null 2> $OUT.warm.txt
$H --manifest-count=20000 --json-out $OUT.jsonl > /dev/null 2> $OUT.txt
grep manifest-push $OUT.jsonl | python3 -c "import json,sys; j=json.loads(sys.stdin.readline()); print('$OUT', round(j['ops_per_s']), 'ops/s p50', j['p50_ms'], 'client us/op',round(j['client_cpu_s']/j['ops']*1e6), 'server us/op', round(j['server_cpu_s']/j['ops']*1e6))"
