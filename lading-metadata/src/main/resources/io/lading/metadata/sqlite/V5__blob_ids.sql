-- Schema version 5: rows refer to blobs by an integer id instead of by digest text.
-- A digest is random, so every table or index keyed by one put each push's row on a random page: a manifest push
-- changed eleven such pages (each a write-ahead-log frame of 4 KiB, and a page split now and then). Now only the
-- digest index of blobs is keyed by digest; a new blob's id is the largest yet, so the rows and index entries that
-- name it go at the end of their b-trees, on pages the pushes before it changed too. Child digests of manifests stay
-- text: a child need not exist (an index may name manifests the registry does not hold, a referrer's subject may
-- come later), and the collector asks for them by digest.
-- The migration runs with foreign keys off and checks them before it commits (SqliteMetadataStore.migrate).

CREATE TABLE blobs_v5 (
    id         INTEGER PRIMARY KEY,
    digest     TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    touched_at INTEGER NOT NULL DEFAULT 0,
    deleting   INTEGER NOT NULL DEFAULT 0,
    generation INTEGER NOT NULL DEFAULT 0
);
-- Made before the copies, which look digests up in it; it keeps its name through the rename below.
CREATE UNIQUE INDEX blobs_by_digest ON blobs_v5 (digest);
INSERT INTO blobs_v5 (digest, size, created_at, touched_at, deleting, generation)
    SELECT digest, size, created_at, touched_at, deleting, generation FROM blobs ORDER BY created_at, digest;
-- The versions that wrote manifests claimed their bytes as blobs; should a manifest have no blob row all the same,
-- one is made for it, so that the joins below lose no manifest.
INSERT INTO blobs_v5 (digest, size, created_at, touched_at)
    SELECT m.digest, max(m.size), min(m.created_at), min(m.created_at) FROM manifests m
    WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.digest = m.digest) GROUP BY m.digest ORDER BY m.digest;

CREATE TABLE repository_blobs_v5 (
    repository_id INTEGER NOT NULL REFERENCES repositories (id),
    blob_id       INTEGER NOT NULL REFERENCES blobs (id),
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (repository_id, blob_id)
) WITHOUT ROWID;
INSERT INTO repository_blobs_v5 (repository_id, blob_id, created_at)
    SELECT rb.repository_id, b.id, rb.created_at FROM repository_blobs rb JOIN blobs_v5 b ON b.digest = rb.digest;

CREATE TABLE manifests_v5 (
    repository_id INTEGER NOT NULL REFERENCES repositories (id),
    blob_id       INTEGER NOT NULL REFERENCES blobs (id),
    media_type    TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    subject       TEXT,
    artifact_type TEXT,
    annotations   TEXT,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (repository_id, blob_id)
) WITHOUT ROWID;
INSERT INTO manifests_v5 (repository_id, blob_id, media_type, size, subject, artifact_type, annotations, created_at)
    SELECT m.repository_id, b.id, m.media_type, m.size, m.subject, m.artifact_type, m.annotations, m.created_at
    FROM manifests m JOIN blobs_v5 b ON b.digest = m.digest;

-- What each manifest references: config and layers (kind 'b') or index children (kind 'm'), by digest.
CREATE TABLE manifest_references_v5 (
    repository_id INTEGER NOT NULL,
    manifest_id   INTEGER NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('b', 'm')),
    child_digest  TEXT    NOT NULL,
    PRIMARY KEY (repository_id, manifest_id, kind, child_digest),
    FOREIGN KEY (repository_id, manifest_id) REFERENCES manifests (repository_id, blob_id)
) WITHOUT ROWID;
INSERT INTO manifest_references_v5 (repository_id, manifest_id, kind, child_digest)
    SELECT r.repository_id, b.id, r.kind, r.child_digest FROM manifest_references r
    JOIN blobs_v5 b ON b.digest = r.manifest_digest
    WHERE EXISTS (SELECT 1 FROM manifests_v5 m WHERE m.repository_id = r.repository_id AND m.blob_id = b.id);

-- A tag names a manifest of its repository; one whose manifest is gone named nothing a client could read, and is
-- not carried over.
CREATE TABLE tags_v5 (
    repository_id INTEGER NOT NULL REFERENCES repositories (id),
    name          TEXT    NOT NULL,
    blob_id       INTEGER NOT NULL REFERENCES blobs (id),
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (repository_id, name)
) WITHOUT ROWID;
INSERT INTO tags_v5 (repository_id, name, blob_id, updated_at)
    SELECT t.repository_id, t.name, b.id, t.updated_at FROM tags t JOIN blobs_v5 b ON b.digest = t.digest
    WHERE EXISTS (SELECT 1 FROM manifests_v5 m WHERE m.repository_id = t.repository_id AND m.blob_id = b.id);

-- A row-id table: SQLite appends to the last page of one (a new page when it is full) without rebalancing its
-- neighbours, as it does in a WITHOUT ROWID table, whose rows of up to 64 KiB split pages every few pushes.
CREATE TABLE staged_blobs_v5 (
    blob_id INTEGER PRIMARY KEY REFERENCES blobs (id),
    bytes   BLOB    NOT NULL
);
INSERT INTO staged_blobs_v5 (blob_id, bytes)
    SELECT b.id, s.bytes FROM staged_blobs s JOIN blobs_v5 b ON b.digest = s.digest;

DROP TABLE tags;
DROP TABLE manifest_references;
DROP TABLE manifests;
DROP TABLE repository_blobs;
DROP TABLE staged_blobs;
DROP TABLE blobs;
ALTER TABLE blobs_v5 RENAME TO blobs;
ALTER TABLE repository_blobs_v5 RENAME TO repository_blobs;
ALTER TABLE manifests_v5 RENAME TO manifests;
ALTER TABLE manifest_references_v5 RENAME TO manifest_references;
ALTER TABLE tags_v5 RENAME TO tags;
ALTER TABLE staged_blobs_v5 RENAME TO staged_blobs;

CREATE INDEX blobs_deleting ON blobs (digest) WHERE deleting = 1;
-- Which repositories link a blob (the collector; a blob row cannot go while one does).
CREATE INDEX repository_blobs_by_blob ON repository_blobs (blob_id);
-- Whether a blob is a manifest anywhere (the collector).
CREATE INDEX manifests_by_blob ON manifests (blob_id);
CREATE INDEX manifests_by_subject ON manifests (repository_id, subject) WHERE subject IS NOT NULL;
CREATE INDEX manifest_references_by_child ON manifest_references (child_digest, repository_id);
-- The tags of a manifest (its delete); blob first, so that a blob row's delete finds them too.
CREATE INDEX tags_by_blob ON tags (blob_id, repository_id);
