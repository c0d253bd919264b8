#!/bin/bash
# Many first pulls at once through a pull-through cache: N blobs of SIZE MiB are pushed to an upstream Lading, then
# pulled through a cache Lading (both `./lading serve` of TREE, launcher defaults unless LADING_JAVA_OPTS is set),
# all N at once with curl. Prints the status codes, and whether the cache survived (decision 0034).
# Usage: docs/bench/pull-through-burst.sh TREE [N] [SIZE]      Results: /tmp/ptexp/out-$(basename TREE)-N/
set -u
TREE=$1; N=${2:-200}; SIZE=${3:-4}; OUT=/tmp/ptexp/out-$(basename $TREE)-$N; rm -rf $OUT /tmp/ptexp/up /tmp/ptexp/cache; mkdir -p $OUT
(cd $TREE && ./lading serve --listen 127.0.0.1:5410 --data /tmp/ptexp/up > $OUT/up.log 2>&1 &)
cat > $OUT/cache.yml <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: /tmp/ptexp/cache
proxy:
  remoteurl: http://127.0.0.1:5410
YML
for i in $(seq 1 120); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5410/v2/ && break; sleep 0.5; done
python3 - "$N" "$SIZE" > $OUT/digests <<'PY'
import hashlib, os, sys, urllib.request
n, size = int(sys.argv[1]), int(sys.argv[2]) << 20
for i in range(n):
    data = os.urandom(size); d = "sha256:" + hashlib.sha256(data).hexdigest()
    req = urllib.request.Request("http://127.0.0.1:5410/v2/lib/x/blobs/uploads/?digest=" + d, data=data, method="POST",
                                 headers={"Content-Type": "application/octet-stream"})
    assert urllib.request.urlopen(req).status == 201
    print(d)
PY
(cd $TREE && ./lading serve --config $OUT/cache.yml --listen 127.0.0.1:5411 > $OUT/cache.log 2>&1 &)
for i in $(seq 1 120); do curl -s -o /dev/null --max-time 1 http://127.0.0.1:5411/v2/ && break; sleep 0.5; done
pid=$(pgrep -f 'lading.jar serve --config .*--listen 127.0.0.1:5411')
start=$(date +%s.%N)
xargs -P $N -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 120 http://127.0.0.1:5411/v2/lib/x/blobs/{} < $OUT/digests > $OUT/codes
end=$(date +%s.%N)
echo "pulls: $(sort $OUT/codes | uniq -c | tr '\n' ' ') in $(echo "$end - $start" | bc) s" | tee $OUT/summary
if kill -0 $pid 2>/dev/null; then echo "cache running, $(grep VmHWM /proc/$pid/status)" | tee -a $OUT/summary; else echo "cache NOT running" | tee -a $OUT/summary; fi
echo "OutOfMemoryError in cache log: $(grep -c OutOfMemoryError $OUT/cache.log)" | tee -a $OUT/summary
pkill -f 'lading.jar serve --listen 127.0.0.1:5410'; pkill -f 'listen 127.0.0.1:5411'; sleep 2
