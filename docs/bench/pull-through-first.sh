#!/bin/bash
# The first pull of a 256 MiB blob through a pull-through cache, three times (three blobs, not cached yet), for each
# size of the JDK HTTP client's buffers given (-Djdk.httpclient.bufsize). TREE's ./lading runs upstream and cache.
# Usage: docs/bench/pull-through-first.sh TREE BUFSIZE...      Prints: bufsize=B STATUS SECONDS
set -u
TREE=$1; shift; OUT=/tmp/ptexp/single; rm -rf $OUT /tmp/ptexp/up; mkdir -p $OUT
(cd $TREE && ./lading serve --listen 127.0.0.1:5410 --data /tmp/ptexp/up > $OUT/up.log 2>&1 &)
for i in $(seq 1 120); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5410/v2/ && break; sleep 0.5; done
python3 - 3 256 > $OUT/digests <<'PY'
import hashlib, os, sys, urllib.request
n, size = int(sys.argv[1]), int(sys.argv[2]) << 20
for i in range(n):
    data = os.urandom(size); d = "sha256:" + hashlib.sha256(data).hexdigest()
    req = urllib.request.Request("http://127.0.0.1:5410/v2/lib/x/blobs/uploads/?digest=" + d, data=data, method="POST",
                                 headers={"Content-Type": "application/octet-stream"})
    assert urllib.request.urlopen(req).status == 201
    print(d)
PY
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /tmp/ptexp/cache\nproxy:\n  remoteurl: http://127.0.0.1:5410\n' > $OUT/cache.yml
for bs in "$@"; do
  rm -rf /tmp/ptexp/cache
  (cd $TREE && LADING_JAVA_OPTS="-XX:+UseSerialGC -Xmx80m -XX:+ExitOnOutOfMemoryError -Djdk.httpclient.bufsize=$bs" ./lading serve --config $OUT/cache.yml --listen 127.0.0.1:5411 > $OUT/cache-$bs.log 2>&1 &)
  for i in $(seq 1 200); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5411/v2/ && break; sleep 0.5; done
  for d in $(cat $OUT/digests); do
    echo "bufsize=$bs $(curl -s -o /dev/null -w '%{http_code} %{time_total}' http://127.0.0.1:5411/v2/lib/x/blobs/$d)"
  done
  pkill -f 'listen 127.0.0.1:5411'; sleep 2
done
pkill -f 'lading.jar serve --listen 127.0.0.1:5410'; sleep 1
