# Usage: phasecpu.py PID OUTPREFIX -- harness args...
# Runs the harness, timestamps its stderr lines, samples per-thread CPU of PID every 20 ms,
# prints per phase (from one "[hh:mm:ss] ..." line to the next) the CPU of each thread group.
import os, re, sys, threading, time, subprocess, collections
PID = sys.argv[1]; out = sys.argv[2]; args = sys.argv[4:]
tick = os.sysconf('SC_CLK_TCK')
CTX = os.environ.get('CTX') == '1'
samples = []
stop = False
def group(comm):
    comm = re.sub(r'[-#]?\d+$', '', comm)
    return comm
cpid = [None]
def sample():
    while not stop:
        t = time.time(); tot = collections.Counter()
        try:
          for pid, pre in ((PID, ''), (cpid[0], 'cli:')):
            if pid is None: continue
            for tid in os.listdir(f'/proc/{pid}/task'):
                try:
                    s = open(f'/proc/{pid}/task/{tid}/stat').read()
                except OSError:
                    continue
                comm = s[s.index('(') + 1:s.rindex(')')]
                f = s[s.rindex(')') + 2:].split()
                tot[(tid, pre + group(comm))] += int(f[11]) + int(f[12])
                if CTX:
                    try:
                        st = open(f'/proc/{pid}/task/{tid}/status').read()
                    except OSError:
                        continue
                    v = int(re.search(r'^voluntary_ctxt_switches:\s+(\d+)', st, re.M).group(1))
                    n = int(re.search(r'^nonvoluntary_ctxt_switches:\s+(\d+)', st, re.M).group(1))
                    tot[(tid, 'ctx:' + pre + group(comm))] += v + n
        except OSError:
            break
        samples.append((t, tot)); time.sleep(0.02)
th = threading.Thread(target=sample); th.start()
p = subprocess.Popen(args, stdout=open(out + '.jsonl', 'w'), stderr=subprocess.PIPE, text=True)
cpid[0] = p.pid
lines = []
for l in p.stderr:
    lines.append((time.time(), l.rstrip()))
p.wait(); stop = True; th.join()
open(out + '.txt', 'w').write('\n'.join(l for _, l in lines) + '\n')
marks = [(t, l) for t, l in lines if re.match(r'\[\d\d:\d\d:\d\d\]', l)]
marks.append((lines[-1][0], 'end'))
def at(t):
    best = samples[0]
    for s in samples:
        if s[0] <= t: best = s
    return best[1]
# threads that ended count as gone; a thread's delta is from first seen
for (t0, l0), (t1, _) in zip(marks, marks[1:]):
    a, b = at(t0), at(t1)
    d = collections.Counter()
    for k, v in b.items():
        d[k[1]] += v - a.get(k, 0)
    cx = {k: v for k, v in d.items() if k.startswith('ctx:')}
    d = collections.Counter({k: v for k, v in d.items() if not k.startswith('ctx:')})
    total = sum(v for k, v in d.items() if not k.startswith('cli:'))
    ctot = sum(v for k, v in d.items() if k.startswith('cli:'))
    if CTX:
        print('    client cpu %.2fs ctx %d' % (ctot / tick, sum(v for k, v in cx.items() if k.startswith('ctx:cli:'))))
    if CTX:
        print('    ctx switches %d: %s' % (sum(cx.values()), ' '.join('%s=%d' % (k[4:], v) for k, v in sorted(cx.items(), key=lambda x: -x[1])[:12] if v and not k.startswith('ctx:cli:'))))
    print('%-60s %5.2fs cpu %.2fs  %s' % (l0[:60], t1 - t0, total / tick,
          ' '.join('%s=%.2f' % (g, v / tick) for g, v in d.most_common(12) if v and not g.startswith('cli:'))))
