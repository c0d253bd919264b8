#!/bin/bash
# Lading's passes of side-by-side.sh (the full run, then the c=16 pass of 1 KiB pushes and HEADs) against a fresh
# `./lading serve` of this tree, with JAVA_OPTS as LADING_JAVA_OPTS when given (else the launcher's defaults): for
# A/B runs of JVM options. Needs RegistryBench built in /tmp/bench. HARNESS_JAVA: see lib.sh.
# Usage: docs/bench/lading-only.sh NAME [JAVA_OPTS]      Results: /tmp/lo-out/NAME{,-16}.{txt,jsonl}, VmHWM at the end
set -u
NAME=$1; OPTS=${2:-}
. "$(dirname "$0")/lib.sh"
OUT=/tmp/lo-out; mkdir -p $OUT; rm -rf /tmp/lading-bench; sync; sleep 20
if [ -n "$OPTS" ]; then export LADING_JAVA_OPTS="$OPTS"; else unset LADING_JAVA_OPTS; fi
start_lading "$REPO" 5400 $OUT/$NAME.log --data /tmp/lading-bench
harness $NAME 5400 $LP --warmup-seconds=30
harness $NAME-16 5400 $LP --workloads=push-mono,head --mono-sizes=1KiB:3000 --head-count=5000 --blob-concurrency=16 \
  --warmup-seconds=30
grep VmHWM /proc/$LP/status >> $OUT/$NAME.txt; stop $LP; rm -rf /tmp/lading-bench
