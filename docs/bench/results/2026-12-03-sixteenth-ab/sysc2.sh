#!/bin/bash
# sysc2.sh TREE OUT COUNT: fresh server, manifest c=16 xCOUNT warm, then again counting syscalls over the GET phase
T=$1; OUT=$2; N=${3:-2000}
JDK=/usr/lib/jvm/temurin-25-jdk-amd64
D=/tmp/lading-sysc-$(date +%s%N)
PID=$($(dirname "$0")/../2026-12-03-fifteenth-profile/startn.sh $T $D | tail -1)
H="$JDK/bin/java -Xmx2g -jar /tmp/bench/target/registry-bench.jar --url http://127.0.0.1:5400 --workloads=manifest --manifest-concurrency=16 --manifest-count=$N --warmup-seconds=10 --server-pid $PID"
$H > /dev/null 2> $OUT.warm.txt
$H --json-out $OUT.jsonl > /dev/null 2> $OUT.txt &
HP=$!
while ! grep -q "manifest pull" $OUT.txt 2>/dev/null; do sleep 0.01; done
CP=$(pgrep -f 'registry-bench.jar --url http://127.0.0.1:5400' | head -1)
EV=raw_syscalls:sys_enter,syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_ctl,syscalls:sys_enter_futex,syscalls:sys_enter_fcntl,syscalls:sys_enter_pread64,context-switches,task-clock
perf stat -e $EV -p $PID -o $OUT.server.perf & P1=$!
perf stat -e $EV -p $CP -o $OUT.client.perf & P2=$!
while ! grep -q "^manifest-pull" $OUT.txt 2>/dev/null; do sleep 0.01; done
kill -INT $P1 $P2; wait $P1 $P2
wait $HP
grep -E "^manifest" $OUT.warm.txt $OUT.txt
