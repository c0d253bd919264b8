#!/bin/bash
# A docker-style push into Lading on S3: one PATCH of SIZE MiB with a chunked body (no Content-Length, so the S3
# driver fills parts of chunksize), RUNS times, each on a new blob; prints the PATCH's seconds. S3Proxy keeps the
# bucket in memory on this machine. JAR picks the Lading jar (default: the built one), run with the launcher's
# JVM options. Usage: docs/bench/s3-chunked-push.sh [SIZE_MIB] [RUNS]   (defaults 200, 3)
SIZE=${1:-200}; RUNS=${2:-3}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d /tmp/s3-chunked.XXXXXX)
cat > $W/p.properties <<P
s3proxy.endpoint=http://127.0.0.1:9300
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=bench
s3proxy.credential=bench-secret
jclouds.provider=transient
jclouds.identity=bench
jclouds.credential=bench-secret
P
JDK=/usr/lib/jvm/temurin-25-jdk-amd64
$JDK/bin/java -Xmx6g -jar $REPO/lading-storage-s3/target/s3proxy/s3proxy.jar --properties $W/p.properties \
  > $W/s3.log 2>&1 & S3=$!
for i in $(seq 1 100); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:9300/ && break; sleep 0.2; done
curl -sf -X PUT -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
  --aws-sigv4 "aws:amz:us-east-1:s3" -u bench:bench-secret http://127.0.0.1:9300/reg
cat > $W/c.yml <<C
version: 0.1
log:
  level: warn
http:
  addr: 127.0.0.1:5310
storage:
  s3:
    accesskey: bench
    secretkey: bench-secret
    region: us-east-1
    regionendpoint: http://127.0.0.1:9300
    forcepathstyle: true
    bucket: reg
C
$JDK/bin/java -XX:+UseSerialGC -Xmx80m -XX:+ExitOnOutOfMemoryError -Djdk.httpclient.bufsize=1048576 \
  -jar ${JAR:-$REPO/lading-cli/target/lading.jar} serve --config $W/c.yml --data $W/local > $W/l.log 2>&1 & L=$!
for i in $(seq 1 200); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5310/v2/ && break; sleep 0.2; done
for r in $(seq 1 $RUNS); do
  head -c $((SIZE<<20)) /dev/urandom > $W/blob
  D=sha256:$(sha256sum $W/blob | cut -d' ' -f1)
  LOC=$(curl -si -X POST http://127.0.0.1:5310/v2/b/blobs/uploads/ | tr -d '\r' | sed -n 's/^Location: //Ip')
  case "$LOC" in http*) ;; *) LOC="http://127.0.0.1:5310$LOC";; esac
  T=$(curl -s -o /dev/null -w "%{time_total}" -X PATCH -H "Transfer-Encoding: chunked" \
    -H "Content-Type: application/octet-stream" --data-binary @$W/blob "$LOC" -D $W/h)
  L2=$(tr -d '\r' < $W/h | sed -n 's/^Location: //Ip'); case "$L2" in http*) ;; *) L2="http://127.0.0.1:5310$L2";; esac
  S=$(curl -s -o /dev/null -w "%{http_code}" -X PUT "$L2?digest=$D")
  echo "run $r: PATCH ${SIZE} MiB chunked: $T s, PUT $S"
done
kill $L $S3; wait 2>/dev/null
rm -rf $W
