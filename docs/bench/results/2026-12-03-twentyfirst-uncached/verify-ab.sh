#!/bin/bash
# verify-check A/B: base (buffered reads) vs new (O_DIRECT) on /tmp/ds, registry stopped
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
O="--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmx80m"
cached() { awk '/^Cached:/{print int($2/1024)}' /proc/meminfo; }
run() { # label jar
  local c0=$(cached); local t0=$(date +%s.%N)
  $J $O -jar $2 check --data /tmp/ds --verify -q > /tmp/vm.$1.out 2>&1; local rc=$?
  local t1=$(date +%s.%N); local c1=$(cached)
  printf '%-22s rc=%d  %6.1f s  page cache %+6d MiB  (%s)\n' "$1" $rc $(echo "$t1 - $t0" | bc) $((c1-c0)) "$(tail -1 /tmp/vm.$1.out)"
}
BASE=/tmp/base/lading-cli/target/lading.jar; NEW=/work/main/lading-cli/target/lading.jar
for pass in 1 2; do
  sync; echo 3 > /proc/sys/vm/drop_caches; sleep 2
  run "base-cold-$pass" $BASE
  run "base-warm-$pass" $BASE
  sync; echo 3 > /proc/sys/vm/drop_caches; sleep 2
  run "new-cold-$pass" $NEW
  run "new-again-$pass" $NEW
done
