#!/bin/bash
# cpuput.sh TREE OUT COUNT: like runput, plus /proc/stat deltas (user sys idle iowait steal) over the PUT phase
T=$1; OUT=$2; N=${3:-2000}; shift 3
JDK=/usr/lib/jvm/temurin-25-jdk-amd64
D=/tmp/lading-rp-$(date +%s%N)
PID=$($(dirname "$0")/../2026-12-03-fifteenth-profile/startn.sh $T $D "$@" | tail -1)
H="$JDK/bin/java -Xmx2g -jar /tmp/bench/target/registry-bench.jar --url http://127.0.0.1:5400 --workloads=manifest --manifest-concurrency=16 --manifest-count=$N --warmup-seconds=5 --server-pid $PID"
$H > /dev/null 2> $OUT.warm.txt
$H --json-out $OUT.jsonl > /dev/null 2> $OUT.txt &
HP=$!
while ! grep -q "manifest push" $OUT.txt 2>/dev/null; do sleep 0.005; done
A=$(head -1 /proc/stat)
while ! grep -q "^manifest-push" $OUT.txt 2>/dev/null; do sleep 0.005; done
B=$(head -1 /proc/stat)
wait $HP
grep -E "^manifest-push" $OUT.txt
python3 -c "
a='$A'.split()[1:];b='$B'.split()[1:]
d=[int(y)-int(x) for x,y in zip(a,b)];t=sum(d)
print('user %.0f%% nice %.0f%% sys %.0f%% idle %.0f%% iowait %.0f%% irq %.0f%% softirq %.0f%% steal %.0f%%'%tuple(100*v/t for v in d[:8]))"
grep client_cpu $OUT.jsonl | grep manifest-push | python3 -c "import json,sys; j=json.loads(sys.stdin.readline()); print('client cpu/op us',round(j['client_cpu_s']/j['ops']*1e6), 'server cpu/op us', round(j['server_cpu_s']/j['ops']*1e6))"
