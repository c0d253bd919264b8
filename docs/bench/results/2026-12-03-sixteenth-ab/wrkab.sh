#!/bin/bash
# wrkab.sh TREE LABEL: fresh server, harness manifest pass (2 000 manifests, c=16) to populate, then wrk GET of one manifest by tag c=16 10 s; server CPU per request
mkdir -p /tmp/h
T=$1; L=$2; C=${3:-16}
JDK=/usr/lib/jvm/temurin-25-jdk-amd64
D=/tmp/lading-wrk-$(date +%s%N)
PID=$($(dirname "$0")/../2026-12-03-fifteenth-profile/startn.sh $T $D | tail -1)
$JDK/bin/java -Xmx1g -jar /tmp/bench/target/registry-bench.jar --url http://127.0.0.1:5400 --workloads=manifest --manifest-concurrency=16 --manifest-count=2000 --warmup-seconds=5 > /dev/null 2>&1
REPO=$(curl -s http://127.0.0.1:5400/v2/_catalog | python3 -c 'import json,sys; print([r for r in json.load(sys.stdin)["repositories"] if r.endswith("/manifests")][0])')
TAG=$(curl -s "http://127.0.0.1:5400/v2/$REPO/tags/list?n=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tags"][0])')
URL=http://127.0.0.1:5400/v2/$REPO/manifests/$TAG
curl -s -o /dev/null -w "%{http_code} " -H 'Accept: application/vnd.oci.image.manifest.v1+json' $URL
wrk -t2 -c$C -d5s -H 'Accept: application/vnd.oci.image.manifest.v1+json' $URL > /dev/null
sleep 2
T0=$(awk '{print $14+$15}' /proc/$PID/stat)
wrk -t2 -c$C -d10s -H 'Accept: application/vnd.oci.image.manifest.v1+json' $URL > /tmp/h/wrk-$L.txt
T1=$(awk '{print $14+$15}' /proc/$PID/stat)
REQ=$(grep -E "requests in" /tmp/h/wrk-$L.txt | awk '{print $1}')
echo "$L: $(grep Requests/sec /tmp/h/wrk-$L.txt) lat $(grep -E '^\s+Latency' /tmp/h/wrk-$L.txt | awk '{print $2}') server cpu/req $(python3 -c "print(round(($T1-$T0)*10.0/$REQ*1000,4))") ms"
