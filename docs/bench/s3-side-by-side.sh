#!/bin/bash
# Registries on S3 side by side: docker-registry 2.8.2 (Debian) with its s3 driver, then Lading with storage.s3,
# each against a fresh S3Mock (Adobe's S3 API server for tests, keeping objects in files) on this machine, driven
# by RegistryBench (pushes in one request and in chunks, pulls, which follow both registries' redirects to the
# bucket, and the docker-like image workload). Both registries use the same s3 section: endpoint, credentials,
# chunksize. (S3Proxy, which Lading's tests use, does not serve distribution 2.8: its s3 driver panics on
# S3Proxy's answer to ListMultipartUploads when an upload is resumed.)
#   docs/bench/s3-side-by-side.sh
# Needs: /tmp/bench built with its ./build.sh, docker-registry, and S3Mock's executable jar:
#   mvn dependency:get -Dartifact=com.adobe.testing:s3mock:5.2.0:jar:exec -Dtransitive=false
# Results: /tmp/bench-s3/{dr,lading}.{txt,jsonl}
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
JDK=/usr/lib/jvm/temurin-25-jdk-amd64
JAR=/tmp/bench/target/registry-bench.jar
S3MOCK=$HOME/.m2/repository/com/adobe/testing/s3mock/5.2.0/s3mock-5.2.0-exec.jar
OUT=/tmp/bench-s3; rm -rf $OUT; mkdir -p $OUT
ARGS="--workloads=push-mono,push-chunked,pull,image --mono-sizes=1MiB:100,64MiB:8,512MiB:2 --blob-concurrency=1,4
  --chunked-size=256MiB --warmup-seconds=10"

s3server() { # starts a fresh S3Mock on :9090 with bucket "registry"; sets S3PID
  $JDK/bin/java -Xmx1g -jar $S3MOCK --com.adobe.testing.s3mock.store.initial-buckets=registry \
    --com.adobe.testing.s3mock.store.root=$OUT/s3-$1 > $OUT/s3mock-$1.log 2>&1 & S3PID=$!
  for i in $(seq 1 150); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:9090/ && break; sleep 0.2; done
}
config() { # port
  cat <<EOF
version: 0.1
log:
  level: warn
http:
  addr: 127.0.0.1:$1
storage:
  s3:
    accesskey: bench
    secretkey: bench-secret
    region: us-east-1
    regionendpoint: http://127.0.0.1:9090
    forcepathstyle: true
    secure: false
    v4auth: true
    bucket: registry
    chunksize: 10485760
  delete:
    enabled: true
EOF
}
harness() { # name port pid
  $JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:$2 $ARGS --server-pid $3 --json-out $OUT/$1.jsonl \
    > /dev/null 2> $OUT/$1.txt
  echo "$1 rc=$?" >> $OUT/rc
  grep VmHWM /proc/$3/status >> $OUT/$1.txt
  echo "S3Mock: $(grep VmHWM /proc/$S3PID/status)" >> $OUT/$1.txt
}

s3server dr
config 5300 > $OUT/dr.yml
# distribution's AWS SDK fails to start on an AWS_CA_BUNDLE it cannot apply (this machine sets one): unset here
env -u AWS_CA_BUNDLE docker-registry serve $OUT/dr.yml > $OUT/dr.log 2>&1 & DR=$!
for i in $(seq 1 50); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5300/v2/ && break; sleep 0.2; done
harness dr 5300 $DR
kill $DR $S3PID; wait $DR $S3PID 2>/dev/null

s3server lading
config 5301 > $OUT/lading.yml
unset LADING_JAVA_OPTS
"$REPO/lading" serve --config $OUT/lading.yml --data $OUT/lading-local > $OUT/lading.log 2>&1 &
for i in $(seq 1 300); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5301/v2/ && break; sleep 0.2; done
LADING=$(pgrep -f "lading.jar serve --config $OUT/lading.yml" | head -1)
harness lading 5301 $LADING
kill $LADING $S3PID; wait $S3PID 2>/dev/null
cat $OUT/rc
