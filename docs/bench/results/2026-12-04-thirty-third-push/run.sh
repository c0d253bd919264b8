#!/bin/bash
# 512 MiB and 64 MiB pushes at c=1, Lading with the defaults (direct writes) and with directio false + sendfile true,
# alternating, each on empty storage after the page cache is dropped.
set -u
REPO=/work/main; JDK=/usr/lib/jvm/temurin-25-jdk-amd64; JAR=/tmp/bench/target/registry-bench.jar; OUT=/tmp/pushmedia
W="--workloads=push-mono --mono-sizes=64MiB:16,512MiB:4 --blob-concurrency=1 --warmup-seconds=10"
printf 'version: 0.1\n' > $OUT/default.yml
printf 'version: 0.1\nlading:\n  storage:\n    directio: false\n    sendfile: true\n' > $OUT/pagecache.yml
for r in 1 2; do for v in default pagecache; do
  rm -rf /tmp/pm-data; sync; echo 1 > /proc/sys/vm/drop_caches; sleep 4
  (cd $REPO && ./lading serve --config $OUT/$v.yml --listen 127.0.0.1:5400 --data /tmp/pm-data > $OUT/$v-$r.log 2>&1 &)
  for i in $(seq 1 600); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5400/v2/ && break; sleep 0.2; done
  pid=$(pgrep -f 'lading.jar serve --config')
  $JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:5400 $W --server-pid $pid --json-out $OUT/$v-$r.jsonl > /dev/null 2> $OUT/$v-$r.txt
  kill $pid; sleep 3
done; done
rm -rf /tmp/pm-data
for f in $OUT/*.jsonl; do python3 -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["workload"] != "push-mono": continue
    gb = d["bytes"] / 1e9
    print("%-14s %-7s c=%d %7.1f MB/s  server %.2f CPU-s/GB" % (sys.argv[1].rsplit("/", 1)[1][:-6], d["detail"], d["concurrency"], d["mb_per_s"], d["server_cpu_s"] / gb))
' $f; done | tee $OUT/summary.txt
