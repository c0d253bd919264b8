#!/bin/bash
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
O="--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmx80m"
cached() { awk '/^Cached:/{print int($2/1024)}' /proc/meminfo; }
run() {
  rm -rf /tmp/bk; sync; echo 3 > /proc/sys/vm/drop_caches; sleep 2
  local c0=$(cached); local t0=$(date +%s.%N)
  $J $O -jar $2 backup --data /tmp/ds --to /tmp/bk -q > /tmp/vb.$1.out 2>&1; local rc=$?
  local t1=$(date +%s.%N); local c1=$(cached)
  printf '%-10s rc=%d  %6.1f s  page cache %+6d MiB  (%s)\n' "$1" $rc $(echo "$t1 - $t0" | bc) $((c1-c0)) "$(tail -1 /tmp/vb.$1.out)"
}
run base-1 /tmp/base/lading-cli/target/lading.jar
run new-1 /work/main/lading-cli/target/lading.jar
run base-2 /tmp/base/lading-cli/target/lading.jar
run new-2 /work/main/lading-cli/target/lading.jar
rm -rf /tmp/bk
