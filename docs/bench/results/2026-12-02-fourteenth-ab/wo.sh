#!/bin/bash
# wo.sh TREE N: fresh server, push N 1KiB blobs at c=8, then time the staged writer's write-out
T=$1; N=$2; JDK=/usr/lib/jvm/temurin-25-jdk-amd64
D=/tmp/ldx/$(date +%s%N); mkdir -p /tmp/ldx; P=$(/tmp/h/startn.sh $T $D | tail -1)
$JDK/bin/java -Xmx2g -jar /tmp/bench/target/registry-bench.jar --url http://127.0.0.1:5400 --workloads=push-mono --mono-sizes=1KiB:$N --blob-concurrency=8 --warmup-seconds=0 > /dev/null 2>/tmp/h/wo-push.txt
cpu() { awk '{print $14+$15}' /proc/$P/stat; }
sys() { awk '/^cpu /{print $2+$3+$4+$6+$7+$8, $5+$6}' /proc/stat; }
c0=$(cpu); s0=$(sys); t0=$(date +%s.%N)
prev=-1
while true; do
  n=$(find $D/blobs -name data 2>/dev/null | wc -l)
  [ "$n" = "$prev" ] && [ "$n" -ge "$N" ] && break
  prev=$n; sleep 0.5
done
t1=$(date +%s.%N); c1=$(cpu); s1=$(sys)
echo "files=$n wall=$(echo "$t1 - $t0 - 0.5" | bc) servercpu_s=$(echo "($c1 - $c0)/100" | bc -l | cut -c1-6) sysbusy_s=$(echo "$s1 $s0" | awk '{print ($1-$3)/100}') iowait_idle=$(echo "$s1 $s0" | awk '{print ($2-$4)/100}')"
grep -A3 '^workload' /tmp/h/wo-push.txt | tail -2
