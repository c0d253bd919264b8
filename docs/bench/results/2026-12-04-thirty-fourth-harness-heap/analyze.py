# Prints, per 0.1-0.2 s sample of dev-N.txt between two times (HH:MM:SS, UTC), the device's read rate, the machine's
# CPU ticks (user, system, idle, iowait), the server's ticks (user, system) and, where sampled (run 3), the harness's
# ticks and minor page faults, and the machine's page faults.  Usage: python3 analyze.py N FROM TO
import datetime, sys
n, lo, hi = sys.argv[1], sys.argv[2], sys.argv[3]
prev = None
for line in open('dev-%s.txt' % n):
    r = line.split()
    cut = r.index('H') if 'H' in r else len(r)
    t = float(r[0]); f = list(map(int, r[1:cut]))
    h = list(map(int, r[cut + 1:cut + 5])) if cut < len(r) else None
    pg = int(r[cut + 6]) if cut < len(r) else None
    ts = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime('%H:%M:%S.%f')[:-4]
    if prev and lo <= ts <= hi:
        dt = t - prev[0]; p = prev[1]; k = len(f)
        cpu = [f[k - 7 + i] - p[k - 7 + i] for i in range(4)]; srv = [f[k - 2] - p[k - 2], f[k - 1] - p[k - 1]]
        out = '%s read %5.0f MB/s  cpu(u,s,idle,iow) %-17s server(u,s) %-8s' % (
            ts, (f[2] - p[2]) * 512 / 1e6 / dt, cpu, srv)
        if h and prev[2]:
            out += ' harness(u,s) %-9s minflt %5d  machine pgfault %5d' % (
                [h[2] - prev[2][2], h[3] - prev[2][3]], h[0] - prev[2][0], pg - prev[3])
        print(out)
    prev = (t, f, h, pg)
