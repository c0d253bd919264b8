#!/bin/bash
# Lading-only: manifest+head workloads with the access log on and off, alternating. Usage: logab.sh ROUNDS TREE
set -u
ROUNDS=$1; TREE=$2; W=${W:---workloads=head,manifest --mono-sizes=1KiB:5000 --blob-concurrency=1,16 --warmup-seconds=10}
JDK=/usr/lib/jvm/temurin-25-jdk-amd64; JAR=/tmp/bench/target/registry-bench.jar
OUT=/tmp/logab; rm -rf $OUT; mkdir -p $OUT
printf 'version: 0.1\nlog:\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: /tmp/la-data\n' > $OUT/off.yml
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /tmp/la-data\n' > $OUT/on.yml
for r in $(seq 1 $ROUNDS); do
  for v in on off; do
    rm -rf /tmp/la-data
    (cd $TREE && ./lading serve --config $OUT/$v.yml --listen 127.0.0.1:5400 > $OUT/$v$r.log 2>&1 &)
    for i in $(seq 1 600); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5400/v2/ && break; sleep 0.2; done
    pid=$(pgrep -f 'lading.jar serve --config')
    $JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:5400 $W --server-pid $pid --json-out $OUT/$v$r.jsonl > /dev/null 2> $OUT/$v$r.txt
    kill $pid; sleep 3
  done
done
for f in $OUT/*.jsonl; do python3 - $f <<'PY'
import json,sys
f=sys.argv[1]
s=[]
for l in open(f):
    j=json.loads(l)
    if j['workload'] in ('head','manifest-push','manifest-pull'):
        s.append('%s c=%d %6.0f/s srv %.3f cli %.3f'%(j['workload'][:12],j['concurrency'],j['ops_per_s'],1000*j['server_cpu_s']/j['ops'],1000*j['client_cpu_s']/j['ops']))
print(f.split('/')[-1], ' | '.join(s))
PY
done | tee $OUT/summary.txt
