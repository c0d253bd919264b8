#!/bin/bash
# Large pushes and pulls against a fresh `./lading serve` of this tree with lading.storage.directio on or off:
# 16 blobs of 64 MiB and 4 of 512 MiB pushed, then pulled, at c=1 and c=4 (harness arguments after the second one
# are added, e.g. --blob-concurrency=1,8). Drops the clean page cache first (root) so both start alike.
# Usage: docs/bench/large-blobs.sh NAME true|false [harness args]     Results: /tmp/dio-out/NAME.{txt,jsonl}
# Extra JVM options for the server in OPTS (added to the launcher's defaults).
set -u
NAME=$1; DIO=$2; shift 2
REPO=$(cd "$(dirname "$0")/../.." && pwd)
JDK=/usr/lib/jvm/temurin-25-jdk-amd64; JAR=/tmp/bench/target/registry-bench.jar
OUT=/tmp/dio-out; mkdir -p $OUT; rm -rf /tmp/lading-bench; sync; echo 1 > /proc/sys/vm/drop_caches; sleep 20
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /tmp/lading-bench\n' > $OUT/$NAME.yml
printf 'lading:\n  storage:\n    directio: %s\n' "$DIO" >> $OUT/$NAME.yml
DEFAULTS=$(sed -n 's/^default_opts="\(.*\)"$/\1/p' "$REPO/lading")
if [ -n "${OPTS:-}" ]; then export LADING_JAVA_OPTS="$DEFAULTS $OPTS"; else unset LADING_JAVA_OPTS; fi
"$REPO/lading" serve --listen 127.0.0.1:5400 --config $OUT/$NAME.yml > $OUT/$NAME.log 2>&1 &
for i in $(seq 1 600); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5400/v2/ && break; sleep 0.2; done
LP=$(pgrep -f 'lading.jar serve --listen 127.0.0.1:5400')
$JDK/bin/java -Xmx6g -jar $JAR --url http://127.0.0.1:5400 --warmup-seconds=15 --server-pid $LP \
  --workloads=push-mono,pull --mono-sizes=64MiB:16,512MiB:4 --blob-concurrency=1,4 "$@" \
  --json-out $OUT/$NAME.jsonl > /dev/null 2> $OUT/$NAME.txt
grep VmHWM /proc/$LP/status >> $OUT/$NAME.txt; kill $LP; sleep 2; rm -rf /tmp/lading-bench
