#!/bin/bash
# A/B of issue 3's HEAD target: the side-by-side script's c=16 pass (3 000 pushes of 1 KiB, then 5 000 HEADs at
# c=16, after 30 s of the harness's warm-up) against a fresh `./lading serve` of each of two source trees, in
# alternating pairs, so that the machine's drift falls on both. Needs RegistryBench built in /tmp/bench.
# Usage: docs/bench/head-ab.sh BEFORE_TREE AFTER_TREE [PAIRS]   (trees: checkouts built with `mvn package`)
# Results: /tmp/ab-out/{before,after}N.{jsonl,txt}. HARNESS_JAVA: see lib.sh.
set -u
BEFORE=$1; AFTER=$2; PAIRS=${3:-2}
. "$(dirname "$0")/lib.sh"
OUT=/tmp/ab-out; rm -rf $OUT; mkdir -p $OUT
C16="--workloads=push-mono,head --mono-sizes=1KiB:3000 --head-count=5000 --blob-concurrency=16 --warmup-seconds=30"
run() {
  local name=$1 tree=$2
  rm -rf /tmp/ab-data
  start_lading "$tree" 5401 $OUT/$name.log --data /tmp/ab-data
  harness $name 5401 "$LP" $C16
  stop "$LP"
}
for pair in $(seq 1 "$PAIRS"); do run before$pair "$BEFORE"; run after$pair "$AFTER"; done
