#!/bin/bash
# scratch: Lading's full pass with the harness's GC logged and the device, the server and the harness sampled
set -u
N=$1; OUT=/tmp/fgc; mkdir -p $OUT
JDK=/usr/lib/jvm/temurin-25-jdk-amd64; JAR=/tmp/bench/target/registry-bench.jar
rm -rf /tmp/lading-bench; sync; sleep 20
(cd /work/main && unset LADING_JAVA_OPTS && ./lading serve --listen 127.0.0.1:5400 --data /tmp/lading-bench > $OUT/lading-$N.log 2>&1 &)
for i in $(seq 1 600); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5400/v2/ && break; sleep 0.2; done
LP=$(pgrep -f 'lading.jar serve --listen 127.0.0.1:5400')
$JDK/bin/java -Xmx6g -Xlog:gc*:file=$OUT/gc-$N.log:time,uptime -jar $JAR --url http://127.0.0.1:5400 --warmup-seconds=30 --server-pid $LP \
  --json-out $OUT/h-$N.jsonl > /dev/null 2> $OUT/h-$N.txt & H=$!
( while kill -0 $H 2>/dev/null; do read -r a b c d e f g h i j k l < /proc/$LP/stat; echo "$(date +%s.%N) $(cat /sys/block/vda/stat) $(awk '/^cpu /{print $2,$4,$5,$6,$9}' /proc/stat) $(cut -d' ' -f14,15 /proc/$LP/stat) H $(cut -d' ' -f10,12,14,15 /proc/$H/stat) $(grep -E '^pgfault ' /proc/vmstat)"; sleep 0.1; done > $OUT/dev-$N.txt ) &
wait $H; kill $LP; sleep 5; rm -rf /tmp/lading-bench
