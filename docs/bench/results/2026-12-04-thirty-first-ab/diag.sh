#!/bin/bash
# Scratch: syscall counts of the harness and the server during the 512 MiB c=4 pull phase. Usage: diag.sh NAME TREE|stub
set -u
NAME=$1; T=$2
JDK=/usr/lib/jvm/temurin-25-jdk-amd64; JAR=/tmp/bench/target/registry-bench.jar
OUT=/tmp/diag; mkdir -p $OUT
rm -rf /tmp/ab4-data; sync; echo 1 > /proc/sys/vm/drop_caches; sleep 3
wait_up() { for i in $(seq 1 600); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:$1/v2/ && return; sleep 0.2; done; }
if [ $T = stub ]; then /tmp/ab4/nullreg -addr 127.0.0.1:5400 -max-bytes $((8 << 30)) > /dev/null 2>&1 & spid=$!
else (cd $T && ./lading serve --listen 127.0.0.1:5400 --data /tmp/ab4-data > $OUT/$NAME.log 2>&1 &); fi
wait_up 5400; [ $T = stub ] || spid=$(pgrep -f 'lading.jar serve --listen 127.0.0.1:5400')
$JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:5400 --workloads=pull --mono-sizes=512MiB:4 --blob-concurrency=4 \
  --warmup-seconds=2 --server-pid $spid --json-out $OUT/$NAME.jsonl > /dev/null 2> $OUT/$NAME.txt & hpid=$!
until grep -q "pull 512MiB x 4, c=4" $OUT/$NAME.txt 2>/dev/null; do sleep 0.05; done
EV=syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex,syscalls:sys_enter_pread64,syscalls:sys_enter_preadv,syscalls:sys_enter_readv,syscalls:sys_enter_writev,context-switches,task-clock
perf stat -e $EV -p $hpid -o $OUT/$NAME.harness.perf & p1=$!
perf stat -e $EV -p $spid -o $OUT/$NAME.server.perf & p2=$!
wait $hpid; kill -INT $p1 $p2; wait $p1 $p2 2>/dev/null
kill $spid 2>/dev/null; sleep 2
grep -E "c=4" $OUT/$NAME.txt | tail -2
for w in harness server; do echo "== $w"; grep -E "syscalls|context|task-clock" $OUT/$NAME.$w.perf | awk '{print "   ",$1,$2}'; done
