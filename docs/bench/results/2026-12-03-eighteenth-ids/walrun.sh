#!/bin/bash
# walrun.sh TREE OUT: fresh server, manifest c16 x4000 warm, again; kill -9 when the PUT phase ends; copy db+wal
T=$1; OUT=$2; N=4000
JDK=/usr/lib/jvm/temurin-25-jdk-amd64
P=$(dirname "$0")/../2026-12-03-fifteenth-profile
D=/tmp/lading-wal-$(date +%s%N)
PID=$($P/startn.sh $T $D | tail -1)
H="$JDK/bin/java -Xmx2g -jar /tmp/bench/target/registry-bench.jar --url http://127.0.0.1:5400 --workloads=manifest --manifest-concurrency=16 --manifest-count=$N --warmup-seconds=5 --server-pid $PID"
$H > /dev/null 2> $OUT.warm.txt
$H > /dev/null 2> $OUT.txt &
HP=$!
while ! grep -q "manifest pull" $OUT.txt 2>/dev/null; do sleep 0.002; done
kill -9 $PID
wait $HP
cp $D/metadata.db-wal $OUT.wal; cp $D/metadata.db $OUT.db; cp $D/metadata.db-wal $OUT.db-wal
grep -E "^manifest-push" $OUT.txt
python3 $(dirname "$0")/walpages.py $OUT.db $OUT.wal
