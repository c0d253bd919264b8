#!/bin/bash
# syscput.sh TREE OUT COUNT [server args]: fresh server, manifest c=16 xCOUNT warm, then again counting server syscalls over the PUT phase
T=$1; OUT=$2; N=${3:-2000}; shift 3
JDK=/usr/lib/jvm/temurin-25-jdk-amd64
D=/tmp/lading-sysc-$(date +%s%N)
PID=$($(dirname "$0")/../2026-12-03-fifteenth-profile/startn.sh $T $D "$@" | tail -1)
H="$JDK/bin/java -Xmx2g -jar /tmp/bench/target/registry-bench.jar --url http://127.0.0.1:5400 --workloads=manifest --manifest-concurrency=16 --manifest-count=$N --warmup-seconds=10 --server-pid $PID"
$H > /dev/null 2> $OUT.warm.txt
$H --json-out $OUT.jsonl > /dev/null 2> $OUT.txt &
HP=$!
while ! grep -q "manifest push" $OUT.txt 2>/dev/null; do sleep 0.01; done
EV=raw_syscalls:sys_enter,syscalls:sys_enter_pwrite64,syscalls:sys_enter_pread64,syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync,syscalls:sys_enter_fcntl,syscalls:sys_enter_futex,syscalls:sys_enter_read,syscalls:sys_enter_writev,syscalls:sys_enter_write,context-switches,task-clock
perf stat -e $EV -p $PID -o $OUT.server.perf & P1=$!
while ! grep -q "^manifest-push" $OUT.txt 2>/dev/null; do sleep 0.01; done
kill -INT $P1; wait $P1
wait $HP
grep -E "^manifest" $OUT.warm.txt $OUT.txt
python3 - $OUT.server.perf $N <<'PY'
import sys,re
n=int(sys.argv[2])
for l in open(sys.argv[1]):
    m=re.match(r'\s*([\d,.]+)\s+(?:msec\s+)?(\S+)',l)
    if m and m.group(2)!='#':
        v=float(m.group(1).replace(',',''))
        print(f"{m.group(2):40s} {v/n:10.2f} per PUT")
PY
