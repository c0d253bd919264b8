#!/bin/bash
# What reading from the block device costs the machine's processors beyond what the reader itself is charged.
# Two CPU-bound SHA-256 loops (one per vCPU, on a 256 KiB buffer that stays in the processor's cache, so they do
# not compete for memory) run for 12 s alone; then beside six reads of a 2 GiB file with O_DIRECT (from the
# device); then beside six reads of the same file through the page cache once it is there (from memory). The
# loops' lost work, less the CPU time the reads are charged with, is work done for the reads that no process is
# charged with (on a VM: the host's part of the I/O, taken from the guest's processors, or interrupts charged to
# whatever ran).
# Usage: docs/bench/device-read-cost.sh [DIR]   DIR on the disk to measure (default ./data); BS=4M the read size.
# Needs python3 and dd; run as root so the page cache can be dropped first.
set -u
DIR=${1:-data}; mkdir -p "$DIR"; F="$DIR/device-read-cost.bin"; SECS=12; BS=${BS:-4M}
dd if=/dev/urandom of="$F" bs=4M count=512 oflag=direct status=none
loop() { # one SHA-256 loop for SECS seconds; prints its MB/s
  python3 - "$SECS" <<'PY'
import hashlib, sys, time
b = bytes(256 << 10); t0 = time.time(); n = 0
while time.time() - t0 < float(sys.argv[1]):
    hashlib.sha256(b).digest(); n += 1
print(n * len(b) / (time.time() - t0) / 1e6)
PY
}
loops() { # runs the two loops beside the command given; prints their MB/s summed
  loop > "$F.a" & a=$!; loop > "$F.b" & b=$!; "$@"; wait $a $b
  python3 -c "print(float(open('$F.a').read()) + float(open('$F.b').read()))"
}
reads() { # FLAG: six reads of the whole file with dd; leaves "wall-seconds cpu-seconds" in $F.r
  local t0; t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$F.t" \
    bash -c "for i in 1 2 3 4 5 6; do dd if='$F' of=/dev/null bs=$BS $1 status=none; done"
  python3 -c "import time; u, s = open('$F.t').read().split()[-2:]; print(time.time() - $t0, float(u) + float(s))" \
    > "$F.r"
}
report() { # NAME LOOPS-ALONE LOOPS-BESIDE
  python3 - "$1" "$2" "$3" "$(cat "$F.r")" "$SECS" <<'PY'
import sys
name, alone, beside, (wall, cpu), secs = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), \
    map(float, sys.argv[4].split()), float(sys.argv[5])
gb = 6 * 2 ** 31 / 1e9
lost = (alone - beside) / alone * 2 * secs  # CPU-seconds the two loops did not get
print('%-27s loops %5.0f MB/s (alone %5.0f); read %.1f GB in %.2f s; reads charged %.3f CPU-s/GB, '
      'the loops lost %.3f CPU-s/GB more' % (name, beside, alone, gb, wall, cpu / gb, max(0.0, lost - cpu) / gb))
PY
}
alone=$(loops true)
sync; echo 1 > /proc/sys/vm/drop_caches 2>/dev/null
direct=$(loops reads iflag=direct); report "O_DIRECT (the device)" "$alone" "$direct"
cat "$F" > /dev/null
cached=$(loops reads ""); report "buffered, in the page cache" "$alone" "$cached"
rm -f "$F" "$F".?
