#!/bin/bash
# migrate-time.sh N: a version 4 database with N manifests (each with a config, a layer, a tag and a link per blob,
# 3N blobs), then the time Lading's V5 migration takes on it with the sqlite3 shell (same SQL, same engine).
N=${1:-100000}
S=lading-metadata/src/main/resources/io/lading/metadata/sqlite
DB=/tmp/migrate-$N.db
rm -f $DB
cat $S/V1__init.sql $S/V2__gc.sql $S/V3__events.sql $S/V4__staging.sql | sqlite3 $DB
sqlite3 $DB <<SQL
PRAGMA user_version = 4;
INSERT INTO repositories (id, name, created_at) VALUES (1, 'bench/app', 1);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO blobs (digest, size, created_at, touched_at) SELECT 'sha256:' || lower(hex(randomblob(32))), 1000, i, i FROM n,
  (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3);
INSERT INTO repository_blobs (repository_id, digest, created_at) SELECT 1, digest, created_at FROM blobs;
CREATE TEMP TABLE triple AS SELECT created_at AS i, group_concat(digest, ' ') AS d FROM blobs GROUP BY created_at;
INSERT INTO manifests (repository_id, digest, media_type, size, created_at)
  SELECT 1, substr(d, 1, 71), 'application/vnd.oci.image.manifest.v1+json', 1000, i FROM triple;
INSERT INTO manifest_references (repository_id, manifest_digest, kind, child_digest)
  SELECT 1, substr(d, 1, 71), 'b', substr(d, 73, 71) FROM triple
  UNION ALL SELECT 1, substr(d, 1, 71), 'b', substr(d, 145, 71) FROM triple;
INSERT INTO tags (repository_id, name, digest, updated_at) SELECT 1, 't' || i, substr(d, 1, 71), i FROM triple;
SQL
ls -la $DB
sqlite3 $DB "SELECT (SELECT count(*) FROM blobs), (SELECT count(*) FROM manifests), (SELECT count(*) FROM manifest_references), (SELECT count(*) FROM tags)"
cp $DB /tmp/migrate-$N.v4
{ echo "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; BEGIN;"; cat $S/V5__blob_ids.sql; echo "PRAGMA foreign_key_check; PRAGMA user_version = 5; COMMIT;"; } > /tmp/migrate-v5.sql
/usr/bin/time -f "V5 migration: %e s elapsed, %M KiB max RSS" sqlite3 $DB < /tmp/migrate-v5.sql
sqlite3 $DB "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
ls -la $DB
sqlite3 $DB "SELECT (SELECT count(*) FROM blobs), (SELECT count(*) FROM manifests), (SELECT count(*) FROM manifest_references), (SELECT count(*) FROM tags)"
# The log's size right after the migration's COMMIT (the shell checkpoints and removes it when it exits): run the
# same migration again on a fresh copy from Python, which keeps the connection open while it looks.
python3 - $N <<'PY'
import os, sqlite3, subprocess, sys
n = sys.argv[1]; db = f"/tmp/migrate-{n}-again.db"
for f in (db, db + "-wal", db + "-shm"):
    if os.path.exists(f): os.remove(f)
subprocess.run(["cp", f"/tmp/migrate-{n}.v4", db], check=True)
c = sqlite3.connect(db, isolation_level=None)
c.executescript(open("/tmp/migrate-v5.sql").read())
print(f"database {os.path.getsize(db) >> 20} MiB, log after the COMMIT {os.path.getsize(db + '-wal') >> 20} MiB")
c.close()
for f in (db, db + "-wal", db + "-shm"):
    if os.path.exists(f): os.remove(f)
PY
