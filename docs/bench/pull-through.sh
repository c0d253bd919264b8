#!/usr/bin/env bash
# Pull-through caches side by side: distribution 2.8 (Debian's docker-registry, proxy mode) and Lading
# (proxy.remoteurl), both mirroring one upstream docker-registry on this machine. For each, CLIENTS clients pull
# one uncached blob of SIZE_MIB at once, then again once it is cached. Prints the wall time of each round, how
# many GETs of the blob the upstream served for it (from the upstream's access log), and checks every copy's
# sha256. Usage: docs/bench/pull-through.sh [CLIENTS] [SIZE_MIB] (defaults 8, 256). Needs curl, docker-registry.
set -euo pipefail
clients=${1:-8}
size_mib=${2:-256}
here=$(cd "$(dirname "$0")/../.." && pwd)
w=$(mktemp -d /tmp/pull-through.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$w"; }
trap cleanup EXIT

registry_config() { # name port [remote]
  cat > "$w/$1.yml" <<YML
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $w/$1
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$2
YML
  if [ -n "${3:-}" ]; then printf 'proxy:\n  remoteurl: %s\n' "$3" >> "$w/$1.yml"; fi
}
wait_up() {
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$1/v2/" >/dev/null && return; sleep 0.5; done
  echo "port $1 did not come up" >&2
  exit 1
}

registry_config upstream 5070
docker-registry serve "$w/upstream.yml" > "$w/upstream.log" 2>&1 & pids+=($!)
wait_up 5070 # distribution's cache asks its upstream at start and panics when it cannot reach it
registry_config distribution 5071 http://127.0.0.1:5070
docker-registry serve "$w/distribution.yml" > "$w/distribution.log" 2>&1 & pids+=($!)
registry_config lading 5072 http://127.0.0.1:5070
"$here/lading" serve --config "$w/lading.yml" > "$w/lading.log" 2>&1 & pids+=($!)
wait_up 5071; wait_up 5072

head -c $((size_mib << 20)) /dev/urandom > "$w/blob"
digest="sha256:$(sha256sum "$w/blob" | cut -d' ' -f1)"
location=$(curl -sfi -X POST http://127.0.0.1:5070/v2/bench/big/blobs/uploads/ | tr -d '\r' \
  | sed -n 's/^Location: //Ip')
case "$location" in http*) ;; *) location="http://127.0.0.1:5070$location" ;; esac
sep='?'; case "$location" in *\?*) sep='&' ;; esac
curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$w/blob" \
  "$location${sep}digest=$digest" >/dev/null

upstream_gets() { grep -c "GET /v2/bench/big/blobs/$digest" "$w/upstream.log" || true; }

round() { # name port label
  local before t0 t1 bad=0 cpids=()
  before=$(upstream_gets)
  t0=$(date +%s.%N)
  for i in $(seq 1 "$clients"); do
    curl -sf -o "$w/out.$1.$i" "http://127.0.0.1:$2/v2/bench/big/blobs/$digest" & cpids+=($!)
  done
  for p in "${cpids[@]}"; do wait "$p" || true; done
  t1=$(date +%s.%N)
  for i in $(seq 1 "$clients"); do
    [ -f "$w/out.$1.$i" ] && [ "sha256:$(sha256sum "$w/out.$1.$i" | cut -d' ' -f1)" = "$digest" ] \
      || bad=$((bad + 1))
    rm -f "$w/out.$1.$i"
  done
  printf '%-13s %-9s %2d clients x %4d MiB: %6.2f s, upstream GETs of the blob: %d, bad copies: %d\n' "$1" "$3" \
    "$clients" "$size_mib" "$(echo "$t1 - $t0" | bc)" $(( $(upstream_gets) - before )) "$bad"
}

for name in distribution lading; do
  port=5071; [ "$name" = lading ] && port=5072
  round "$name" "$port" uncached
  round "$name" "$port" cached
done
