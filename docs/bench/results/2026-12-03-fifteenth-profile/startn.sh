#!/bin/bash
# startn.sh TREE DATA [args]: start TREE's launcher on 5400 with fresh data dir DATA (must not exist; nothing deleted)
T=$1; D=$2; shift 2
pkill -f 'lading.jar serve'; for i in $(seq 1 300); do pgrep -f 'lading.jar serve' >/dev/null || break; sleep 0.2; done
cd $T && (setsid nohup ./lading serve --listen 127.0.0.1:5400 --data $D "$@" > /tmp/lading-prof.log 2>&1 &)
for i in $(seq 1 600); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5400/v2/ && break; sleep 0.2; done
pgrep -f 'lading.jar serve --listen 127.0.0.1:5400'
