#!/bin/bash
# wrkauth.sh TREE LABEL MODE(token|basic): fresh server with access control, one image pushed, then wrk GETs of its
# manifest by tag with the same credentials at c=16 (5 s warm-up, 10 s measured, output in ./wrk-LABEL.txt);
# server CPU per GET from /proc. TREE is a checkout with its launcher built.
T=$1; L=$2; MODE=$3
JDK=/usr/lib/jvm/temurin-25-jdk-amd64
H=$(cd "$(dirname "$0")" && pwd)
D=/tmp/lading-auth-$(date +%s%N)
mkdir -p $D
$JDK/bin/java -cp $T/lading-cli/target/lading.jar $H/Hash.java alice alice-pw > $D/htpasswd
if [ $MODE = token ]; then
cat > $D/config.yml <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $D/data
auth:
  token:
    realm: http://127.0.0.1:5400/token
    service: lading
    issuer: lading
lading:
  auth:
    issuer:
      enabled: true
      users: $D/htpasswd
YML
else
cat > $D/config.yml <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $D/data
auth:
  htpasswd:
    realm: lading
    path: $D/htpasswd
YML
fi
PID=$($H/../2026-12-03-fifteenth-profile/startn.sh $T $D/unused --config $D/config.yml | tail -1)
if [ $MODE = token ]; then
  TOK=$(curl -s -u alice:alice-pw "http://127.0.0.1:5400/token?service=lading&scope=repository:bench/app:pull,push" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  AUTH="Authorization: Bearer $TOK"
else
  AUTH="Authorization: Basic $(printf alice:alice-pw | base64)"
fi
printf '{}' > $D/config.json; printf 'layer-bytes' > $D/layer
for f in config.json layer; do
  DG=sha256:$(sha256sum $D/$f | cut -d' ' -f1)
  curl -s -o /dev/null -w "%{http_code} " -H "$AUTH" -X POST "http://127.0.0.1:5400/v2/bench/app/blobs/uploads/?digest=$DG" --data-binary @$D/$f
done
CD=sha256:$(sha256sum $D/config.json | cut -d' ' -f1); LD=sha256:$(sha256sum $D/layer | cut -d' ' -f1)
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":11}]}' $CD $LD > $D/m.json
curl -s -o /dev/null -w "%{http_code}\n" -H "$AUTH" -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @$D/m.json http://127.0.0.1:5400/v2/bench/app/manifests/v1
URL=http://127.0.0.1:5400/v2/bench/app/manifests/v1
curl -s -o /dev/null -w "first GET %{http_code}\n" -H "$AUTH" -H 'Accept: application/vnd.oci.image.manifest.v1+json' $URL
wrk -t2 -c16 -d5s -H "$AUTH" -H 'Accept: application/vnd.oci.image.manifest.v1+json' $URL > /dev/null
sleep 1
T0=$(awk '{print $14+$15}' /proc/$PID/stat)
wrk -t2 -c16 -d10s -H "$AUTH" -H 'Accept: application/vnd.oci.image.manifest.v1+json' $URL > wrk-$L.txt
T1=$(awk '{print $14+$15}' /proc/$PID/stat)
REQ=$(grep -E "requests in" wrk-$L.txt | awk '{print $1}')
echo "$L: $(grep Requests/sec wrk-$L.txt) non2xx: $(grep -i non-2xx wrk-$L.txt | awk '{print $NF}') server cpu/req $(python3 -c "print(round(($T1-$T0)*10.0/$REQ*1000,1))") us"
