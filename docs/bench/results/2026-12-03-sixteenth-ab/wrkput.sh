#!/bin/bash
# wrkput.sh TREE LABEL: fresh server, populate, then wrk PUT of one manifest (same bytes, tag) c=16 10 s; server CPU per request
mkdir -p /tmp/h
T=$1; L=$2; C=${3:-16}
JDK=/usr/lib/jvm/temurin-25-jdk-amd64
D=/tmp/lading-wrk-$(date +%s%N)
PID=$($(dirname "$0")/../2026-12-03-fifteenth-profile/startn.sh $T $D | tail -1)
$JDK/bin/java -Xmx1g -jar /tmp/bench/target/registry-bench.jar --url http://127.0.0.1:5400 --workloads=manifest --manifest-concurrency=16 --manifest-count=2000 --warmup-seconds=5 > /dev/null 2>&1
REPO=$(curl -s http://127.0.0.1:5400/v2/_catalog | python3 -c 'import json,sys; print([r for r in json.load(sys.stdin)["repositories"] if r.endswith("/manifests")][0])')
TAG=$(curl -s "http://127.0.0.1:5400/v2/$REPO/tags/list?n=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tags"][0])')
URL=http://127.0.0.1:5400/v2/$REPO/manifests/$TAG
curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' $URL > /tmp/h/m.json
python3 - <<'PY'
body=open('/tmp/h/m.json').read().replace('\\','\\\\').replace('"','\\"')
open('/tmp/h/put.lua','w').write('wrk.method = "PUT"\nwrk.body = "%s"\nwrk.headers["Content-Type"] = "application/vnd.oci.image.manifest.v1+json"\n' % body)
PY
wrk -t2 -c$C -d5s -s /tmp/h/put.lua $URL > /dev/null
sleep 1
T0=$(awk '{print $14+$15}' /proc/$PID/stat)
wrk -t2 -c$C -d10s -s /tmp/h/put.lua $URL > /tmp/h/wrkput-$L.txt
T1=$(awk '{print $14+$15}' /proc/$PID/stat)
REQ=$(grep -E "requests in" /tmp/h/wrkput-$L.txt | awk '{print $1}')
echo "$L: $(grep Requests/sec /tmp/h/wrkput-$L.txt) lat $(grep -E '^\s+Latency' /tmp/h/wrkput-$L.txt | awk '{print $2}') non2xx $(grep -i non-2xx /tmp/h/wrkput-$L.txt) server cpu/req $(python3 -c "print(round(($T1-$T0)*10.0/$REQ*1000,1))") us"
