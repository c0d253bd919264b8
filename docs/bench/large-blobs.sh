#!/bin/bash
# Large pushes and pulls against a fresh `./lading serve` of this tree with lading.storage.directio on or off:
# 16 blobs of 64 MiB and 4 of 512 MiB pushed, then pulled, at c=1 and c=4 (harness arguments after the second one
# are added, e.g. --blob-concurrency=1,8). Drops the clean page cache first (root) so both start alike.
# Usage: docs/bench/large-blobs.sh NAME true|false [harness args]     Results: /tmp/dio-out/NAME.{txt,jsonl}
# Extra JVM options for the server in OPTS (added to the launcher's defaults). HARNESS_JAVA: see lib.sh.
set -u
NAME=$1; DIO=$2; shift 2
. "$(dirname "$0")/lib.sh"
OUT=/tmp/dio-out; mkdir -p $OUT; rm -rf /tmp/lading-bench; drop_cache 20
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /tmp/lading-bench\n' > $OUT/$NAME.yml
printf 'lading:\n  storage:\n    directio: %s\n' "$DIO" >> $OUT/$NAME.yml
DEFAULTS=$(sed -n 's/^default_opts="\(.*\)"$/\1/p' "$REPO/lading")
if [ -n "${OPTS:-}" ]; then export LADING_JAVA_OPTS="$DEFAULTS $OPTS"; else unset LADING_JAVA_OPTS; fi
start_lading "$REPO" 5400 $OUT/$NAME.log --config $OUT/$NAME.yml
harness $NAME 5400 $LP --warmup-seconds=15 --workloads=push-mono,pull --mono-sizes=64MiB:16,512MiB:4 \
  --blob-concurrency=1,4 "$@"
grep VmHWM /proc/$LP/status >> $OUT/$NAME.txt; stop $LP; rm -rf /tmp/lading-bench
