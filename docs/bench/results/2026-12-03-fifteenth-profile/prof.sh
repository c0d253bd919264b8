#!/bin/bash
# prof.sh OUT PID DURATION [event]: cpu profile of PID for DURATION seconds into OUT.collapsed
OUT=$1; PID=$2; DUR=$3; EV=${4:-cpu}
LIB=/tmp/ap/x/linux-x64/libasyncProfiler.so
JCMD=/usr/lib/jvm/temurin-25-jdk-amd64/bin/jcmd
echo 1 > /proc/sys/kernel/perf_event_paranoid
$JCMD $PID JVMTI.agent_load $LIB "\"start,event=$EV,interval=200us\"" >/dev/null
sleep $DUR
$JCMD $PID JVMTI.agent_load $LIB "\"stop,file=$OUT.collapsed,collapsed\"" >/dev/null
echo written $OUT.collapsed
