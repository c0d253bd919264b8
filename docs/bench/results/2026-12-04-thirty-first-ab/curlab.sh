#!/bin/bash
# Scratch: server CPU-s per GB of 512 MiB pulls with curl, C at once, N each. Usage: curlab.sh ROUNDS C N TREE...
set -u
ROUNDS=$1; C=$2; N=$3; shift 3
[ -s /tmp/blob512 ] || head -c $((512<<20)) /dev/urandom > /tmp/blob512
sha256sum /tmp/blob512 | cut -d' ' -f1 > /tmp/blob512.dgst
D=sha256:$(cat /tmp/blob512.dgst)
wait_up() { for i in $(seq 1 600); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:$1/v2/ && return; sleep 0.2; done; }
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
for r in $(seq 1 $ROUNDS); do
  for t in "$@"; do
    n=$(basename $t); rm -rf /tmp/cab-data; sync; echo 1 > /proc/sys/vm/drop_caches; sleep 3
    (cd $t && ./lading serve --listen 127.0.0.1:5400 --data /tmp/cab-data > /tmp/cab-$n.log 2>&1 &)
    wait_up 5400; pid=$(pgrep -f 'lading.jar serve --listen 127.0.0.1:5400')
    loc=$(curl -s -D - -o /dev/null -X POST http://127.0.0.1:5400/v2/ab/blobs/uploads/ | tr -d '\r' | awk -F': ' 'tolower($1)=="location"{print $2}')
    case $loc in http*) ;; *) loc=http://127.0.0.1:5400$loc;; esac
    sep='?'; case $loc in *\?*) sep='&';; esac
    curl -s -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' --data-binary @/tmp/blob512 "$loc${sep}digest=$D"
    curl -s -o /dev/null http://127.0.0.1:5400/v2/ab/blobs/$D   # warm
    c0=$(cpu $pid); t0=$(date +%s.%N)
    for i in $(seq 1 $C); do (for j in $(seq 1 $N); do curl -s -o /dev/null http://127.0.0.1:5400/v2/ab/blobs/$D; done) & done; wait
    t1=$(date +%s.%N); c1=$(cpu $pid)
    python3 -c "import sys;t=$t1-$t0;gb=$C*$N*(512<<20)/1e9;print('%-8s r%d c=%d %7.1f MB/s server %.3f CPU-s/GB'%('$n',$r,$C,gb*1000/t,($c1-$c0)/100/gb))"
    kill $pid; sleep 2
  done
done
