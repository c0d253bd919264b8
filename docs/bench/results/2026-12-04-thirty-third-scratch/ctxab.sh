#!/bin/bash
# stub then Lading tree: 512 MiB pulls c=4 with per-thread CPU and context switches per phase.
set -u
TREE=$1; NAME=$2; W=${W:---workloads=pull --mono-sizes=512MiB:4 --blob-concurrency=4 --warmup-seconds=10}
JDK=/usr/lib/jvm/temurin-25-jdk-amd64; JAR=/tmp/bench/target/registry-bench.jar
OUT=/tmp/ctx/$NAME; mkdir -p $OUT
[ -x /tmp/ctx/nullreg ] || (cd /tmp/bench/calib/nullreg && go build -o /tmp/ctx/nullreg .)
clean() { rm -rf /tmp/ctx-data; sync; echo 1 > /proc/sys/vm/drop_caches; sleep 4; }
wait_up() { for i in $(seq 1 600); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:$1/v2/ && return; sleep 0.2; done; }
clean; /tmp/ctx/nullreg -addr 127.0.0.1:5398 -max-bytes $((8 << 30)) > /dev/null 2>&1 & pid=$!; wait_up 5398
CTX=1 python3 /tmp/prof/phasecpu.py $pid $OUT/null -- $JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:5398 $W --server-pid $pid > $OUT/null-threads.txt
kill $pid; wait $pid 2>/dev/null
clean; (cd $TREE && ./lading serve --listen 127.0.0.1:5400 --data /tmp/ctx-data > $OUT/lading.log 2>&1 &)
wait_up 5400; pid=$(pgrep -f 'lading.jar serve --listen 127.0.0.1:5400')
CTX=1 python3 /tmp/prof/phasecpu.py $pid $OUT/lading -- $JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:5400 $W --server-pid $pid > $OUT/lading-threads.txt
kill $pid; sleep 3
grep -A1 "pull 512" $OUT/*-threads.txt; grep -h "^pull" $OUT/null.txt $OUT/lading.txt
