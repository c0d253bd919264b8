#!/bin/bash
# manifest phases on a fresh Lading, twice (same server), server CPU per phase and per thread
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JAR=/tmp/bench/target/registry-bench.jar
rm -rf /tmp/mgdata; cd /work/main
./lading serve --listen 127.0.0.1:5400 --data /tmp/mgdata > /tmp/mg.log 2>&1 &
for i in $(seq 1 600); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5400/v2/ && break; sleep 0.2; done
LP=$(pgrep -f 'lading.jar serve --listen 127.0.0.1:5400')
threads() {
  for t in /proc/$LP/task/*; do n=$(cat $t/comm 2>/dev/null) || continue; s=($(cut -d' ' -f14,15 $t/stat 2>/dev/null)); echo "$n|$((s[0]+s[1]))"; done |
    sed -E 's/[0-9]+\|/|/' | awk -F'|' '{c[$1]+=$2} END{for(k in c) if(c[k]>10) printf "%s=%.2f ", k, c[k]/100; print ""}'
}
echo "after start: $(threads)"
for run in 1 2; do
  $J -Xmx2g -jar $JAR --url http://127.0.0.1:5400 --workloads=manifest --warmup-seconds=${W:-30} --server-pid $LP > /dev/null 2> /tmp/mg.run$run.txt
  grep -E "^manifest" /tmp/mg.run$run.txt
  echo "after run $run: $(threads)"
done
kill $LP
