#!/bin/bash
# Many clients at once against a fresh `./lading serve` of a source tree with the launcher's default JVM settings:
# RegistryBench pushes and pulls 2 048 blobs of 1 MiB and 512 of 8 MiB at c=512 (and a chunked push, which the
# harness runs at c=4). Counts errors, and says whether the server was still running at the end.
# Needs RegistryBench built in /tmp/bench. HARNESS_JAVA: see lib.sh.
# Usage: docs/bench/many-clients.sh TREE NAME      Results: /tmp/many-out/NAME.{jsonl,txt,log}
set -u
TREE=$1; NAME=$2
. "$(dirname "$0")/lib.sh"
OUT=/tmp/many-out; mkdir -p $OUT; rm -rf /tmp/many-data
unset LADING_JAVA_OPTS
start_lading "$TREE" 5402 $OUT/$NAME.log --data /tmp/many-data
harness $NAME 5402 "$LP" --workloads=push-mono,pull,push-chunked --mono-sizes=1MiB:2048,8MiB:512 \
  --chunked-size=16MiB --chunk-size=1MiB --blob-concurrency=512 --warmup-seconds=0
if kill -0 "$LP" 2>/dev/null; then echo "server running at the end" >> $OUT/$NAME.txt; stop "$LP"
else echo "server NOT running at the end" >> $OUT/$NAME.txt; fi
echo "OutOfMemoryError lines in the server's log: $(grep -c OutOfMemoryError $OUT/$NAME.log)" >> $OUT/$NAME.txt
