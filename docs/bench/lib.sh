# Shared by the RegistryBench scripts in docs/bench (sourced, not run): the JDK and harness they use, and the steps
# they all take. A script sets OUT (its results directory) before calling `harness`.
#   HARNESS_JAVA="OPTS"   the harness's JVM options (default: -Xmx6g, as in the bench README); for example
#                         "-Xms2g -Xmx6g -XX:+AlwaysPreTouch" touches the heap before the first phase (see
#                         docs/bench/results/2026-12-04-thirty-fourth-harness-heap)
JDK=${JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAR=/tmp/bench/target/registry-bench.jar
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# wait_up PORT: waits up to two minutes for a registry to answer /v2/ on 127.0.0.1:PORT.
wait_up() {
  for _ in $(seq 1 600); do curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/v2/" && return 0; sleep 0.2; done
  echo "nothing answers on port $1" >&2
  return 1
}

# drop_cache SECONDS: writes dirty pages out and drops the clean page cache (root only), then waits SECONDS.
drop_cache() { sync; echo 1 > /proc/sys/vm/drop_caches; sleep "$1"; }

# start_lading TREE PORT LOG ARGS...: `./lading serve --listen 127.0.0.1:PORT ARGS...` of the source tree TREE, its
# output to LOG; waits until it answers and sets LP to the server's process id. LADING_JAVA_OPTS is passed on as set.
start_lading() {
  local tree=$1 port=$2 log=$3; shift 3
  (cd "$tree" && ./lading serve --listen 127.0.0.1:$port "$@" > "$log" 2>&1 &)
  wait_up $port
  LP=$(pgrep -f "lading.jar serve --listen 127.0.0.1:$port( |\$)")
}

# stop PID: SIGTERM to a server, then waits until it has exited (it may not be this shell's child).
stop() {
  kill "$1" 2>/dev/null
  for _ in $(seq 1 600); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
}

# harness NAME PORT PID ARGS...: one RegistryBench pass against 127.0.0.1:PORT, reading PID's CPU and memory; JSON
# lines to $OUT/NAME.jsonl, progress and tables to $OUT/NAME.txt, the exit code to $OUT/rc.
harness() {
  local name=$1 port=$2 pid=$3; shift 3
  $JDK/bin/java ${HARNESS_JAVA:--Xmx6g} -jar $JAR --url http://127.0.0.1:$port "$@" --server-pid $pid \
    --json-out $OUT/$name.jsonl > /dev/null 2> $OUT/$name.txt
  echo "$name rc=$?" >> $OUT/rc
}

# stub_build: builds calib/nullreg, the bench's in-memory stub registry (the harness's ceiling), into $OUT/nullreg;
# exits the script when it cannot (it needs Go, Debian's golang-go).
stub_build() {
  (cd /tmp/bench/calib/nullreg && go build -o $OUT/nullreg .) || { echo "cannot build nullreg" >&2; exit 1; }
}

# stub_pass NAME ARGS...: starts the stub on 127.0.0.1:5398 (its output to $OUT/NAME.log), runs `harness NAME 5398
# PID ARGS...` against it and stops it.
stub_pass() {
  local name=$1 pid; shift
  $OUT/nullreg -addr 127.0.0.1:5398 -max-bytes $((8 << 30)) > $OUT/$name.log 2>&1 & pid=$!
  wait_up 5398
  harness $name 5398 $pid "$@"
  kill $pid; wait $pid 2>/dev/null
}
