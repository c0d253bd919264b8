# walpages.py DB WAL: which b-trees the frames of a write-ahead log belong to (frames per commit, per b-tree)
import sys, struct, sqlite3, collections
db, wal = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db)
owner = {}
try:
    for name, pageno in con.execute("SELECT name, pageno FROM dbstat"):
        owner[pageno] = name
except sqlite3.OperationalError as e:
    print("no dbstat:", e)
data = open(wal, 'rb').read()
psize = struct.unpack('>I', data[8:12])[0]
salt = data[16:24]
off = 32; frames = []; commits = 0
while off + 24 + psize <= len(data):
    pg, size = struct.unpack('>II', data[off:off+8])
    if data[off+8:off+16] != salt: break
    frames.append(pg)
    if size: commits += 1
    off += 24 + psize
c = collections.Counter(owner.get(p, 'free/new') for p in frames)
print(f"{len(frames)} frames, {commits} commits, {len(frames)/max(commits,1):.1f} frames per commit")
for k, v in c.most_common(25): print(f"{v/max(commits,1):6.2f} per commit  {k}")
# per commit: distinct pages per b-tree, and commits touching each
commits_pages = []; cur = collections.defaultdict(set)
off = 32
while off + 24 + psize <= len(data):
    pg, size = struct.unpack('>II', data[off:off+8])
    if data[off+8:off+16] != salt: break
    cur[owner.get(pg, 'free/new')].add(pg)
    if size:
        commits_pages.append(cur); cur = collections.defaultdict(set)
    off += 24 + psize
touch = collections.Counter(); pages = collections.Counter()
for c in commits_pages:
    for k, v in c.items(): touch[k] += 1; pages[k] += len(v)
print("b-tree: commits touching it, distinct pages per touching commit")
for k, v in touch.most_common(): print(f"  {k:32s} {v:5d} {pages[k]/v:5.2f}")
