#!/bin/bash
# Lading on Azure Blob Storage under RegistryBench's load, alone: a check that the azure driver holds (errors,
# content verified, peak RSS with the launcher's defaults), not a comparison. Debian's docker-registry 2.8 has no
# azure driver to run beside it, and the MB/s are mostly Azurite's (a Node.js emulator keeping blobs in memory).
#   docs/bench/azure-load.sh
# Needs: /tmp/bench built with its ./build.sh, azurite-blob (npm install -g azurite@3.35.0), lading.jar built.
# Results: /tmp/bench-azure-load/lading.{txt,jsonl}
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
JDK=/usr/lib/jvm/temurin-25-jdk-amd64
OUT=/tmp/bench-azure-load; rm -rf $OUT; mkdir -p $OUT
KEY=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==
(cd $OUT && exec azurite-blob --inMemoryPersistence --blobHost 127.0.0.1 --blobPort 10557 --skipApiVersionCheck \
  --silent > $OUT/azurite.log 2>&1) & AZ=$!
sleep 2
cat > $OUT/Mk.java <<EOJ
public class Mk { public static void main(String[] a) {
  new com.azure.storage.blob.BlobServiceClientBuilder().endpoint("http://127.0.0.1:10557/devstoreaccount1")
    .credential(new com.azure.storage.common.StorageSharedKeyCredential("devstoreaccount1", "$KEY"))
    .buildClient().createBlobContainer("registry"); } }
EOJ
$JDK/bin/java -cp "$REPO/lading-cli/target/lading.jar" $OUT/Mk.java > $OUT/mk.log 2>&1
cat > $OUT/lading.yml <<EOC
version: 0.1
log:
  level: warn
http:
  addr: 127.0.0.1:5302
storage:
  azure:
    accountname: devstoreaccount1
    accountkey: $KEY
    container: registry
    serviceurl: http://127.0.0.1:10557/devstoreaccount1
  delete:
    enabled: true
EOC
unset LADING_JAVA_OPTS
"$REPO/lading" serve --config $OUT/lading.yml --data $OUT/local > $OUT/lading.log 2>&1 &
for i in $(seq 1 300); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5302/v2/ && break; sleep 0.2; done
LADING=$(pgrep -f "lading.jar serve --config $OUT/lading.yml" | head -1)
$JDK/bin/java -Xmx6g -jar /tmp/bench/target/registry-bench.jar --url http://127.0.0.1:5302 \
  --workloads=push-mono,push-chunked,pull,image --mono-sizes=1MiB:100,64MiB:8,512MiB:2 --blob-concurrency=1,4 \
  --chunked-size=256MiB --warmup-seconds=10 --server-pid $LADING --json-out $OUT/lading.jsonl > /dev/null 2> $OUT/lading.txt
kill $LADING; while kill -0 $LADING 2> /dev/null; do sleep 0.2; done # it writes what it staged before it exits
pkill -f "azurite-blob --inMemoryPersistence --blobHost 127.0.0.1 --blobPort 10557"; wait $AZ 2>/dev/null
tail -1 $OUT/lading.txt
