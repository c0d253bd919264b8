#!/bin/bash
# Scratch A/B: stub, then each tree, per round; pulls only (harness pushes first).
# Usage: ab4.sh ROUNDS "SIZES" "CONC" TREE...
set -u
ROUNDS=$1; SIZES=$2; CONC=$3; shift 3; TREES=("$@")
JDK=/usr/lib/jvm/temurin-25-jdk-amd64; JAR=/tmp/bench/target/registry-bench.jar
OUT=/tmp/small; rm -rf $OUT; mkdir -p $OUT
(cd /tmp/bench/calib/nullreg && go build -o $OUT/nullreg .) || exit 1
W="--workloads=push-mono,head,manifest --mono-sizes=1KiB:3000 --head-count=5000 --blob-concurrency=16 --manifest-concurrency=16 --warmup-seconds=30"
clean() { rm -rf /tmp/ab4-data; sync; echo 1 > /proc/sys/vm/drop_caches; sleep 4; }
wait_up() { for i in $(seq 1 600); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:$1/v2/ && return; sleep 0.2; done; }
bench() { $JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:$2 $W --server-pid $3 --json-out $OUT/$1.jsonl > /dev/null 2> $OUT/$1.txt; echo "$1 rc=$?" >> $OUT/rc; }
for r in $(seq 1 $ROUNDS); do
  clean; $OUT/nullreg -addr 127.0.0.1:5398 -max-bytes $((8 << 30)) > /dev/null 2>&1 & pid=$!; wait_up 5398
  bench null-$r 5398 $pid; kill $pid; wait $pid 2>/dev/null
  for t in "${TREES[@]}"; do
    n=$(basename $t); clean
    (cd $t && ./lading serve --listen 127.0.0.1:5400 --data /tmp/ab4-data > $OUT/$n-$r.log 2>&1 &)
    wait_up 5400; pid=$(pgrep -f 'lading.jar serve --listen 127.0.0.1:5400')
    bench $n-$r 5400 $pid; kill $pid; sleep 3
  done
done
for f in $OUT/*.jsonl; do
  python3 -c '
import json, sys
name = sys.argv[1].rsplit("/", 1)[1][:-6]
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["workload"] not in ("head","manifest-push","manifest-pull","push-mono"): continue
    ops = d["ops"]
    print("%-12s %-14s %-8s c=%d %8.1f op/s  client %.3f  server %.3f ms/op" % (name, d["workload"], d["detail"][:8],
          d["concurrency"], d["ops_per_s"], 1000 * d["client_cpu_s"] / ops, 1000 * d["server_cpu_s"] / ops))
' "$f"
done | sort -k2,2 -k1,1 | tee $OUT/summary.txt
