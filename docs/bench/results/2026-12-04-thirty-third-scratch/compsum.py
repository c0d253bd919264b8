import json, sys, re, datetime
out = sys.argv[1]
ev = json.load(open(out + '/comp.json'))['recording']['events']
phases = []
for l in open(out + '/b.txt'):
    m = re.match(r'\[(\d\d:\d\d:\d\d)\] (.*)', l)
    if m: phases.append((m.group(1), m.group(2)))
day = ev[0]['values']['startTime'][:10]
def t(s): return datetime.datetime.fromisoformat(s.replace('Z', '+00:00')).timestamp()
bounds = [(t(day + 'T' + h + '+00:00'), name) for h, name in phases]
bounds.append((bounds[-1][0] + 3, 'end'))
def dur(s):
    m = re.match(r'PT(?:(\d+)M)?([\d.]+)S', s)
    return (int(m.group(1) or 0) * 60 + float(m.group(2))) if m else 0
rows = []
for e in ev:
    v = e['values']
    st = t(v['startTime']); d = dur(v['duration'])
    m = v['method']
    rows.append((st, d, v['compileLevel'], m['type']['name'] + '::' + m['name'], v.get('isOsr', False)))
for i in range(len(bounds) - 1):
    a, name = bounds[i]; b = bounds[i + 1][0]
    inw = [r for r in rows if a <= r[0] < b]
    c4 = [r for r in inw if r[2] == 4]
    print('%-45s compiles %4d  total %6.0f ms  C2 %4d / %6.0f ms' % (name[:45], len(inw), 1000 * sum(r[1] for r in inw),
          len(c4), 1000 * sum(r[1] for r in c4)))
    if 'manifest' in name or 'warm' in name:
        for r in sorted(inw, key=lambda r: -r[1])[:12]:
            print('      %6.1f ms L%d %s%s' % (1000 * r[1], r[2], r[3], ' (osr)' if r[4] else ''))
print('all: %d compiles, %.0f ms' % (len(rows), 1000 * sum(r[1] for r in rows)))
