-- Lading metadata, schema version 1. Timestamps are epoch milliseconds; digests are "alg:hex" text.
CREATE TABLE repositories (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- Blobs whose bytes are committed to storage, shared by every repository.
CREATE TABLE blobs (
    digest     TEXT    PRIMARY KEY,
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Which repository holds which blob (pushed or mounted).
CREATE TABLE repository_blobs (
    repository_id INTEGER NOT NULL REFERENCES repositories (id),
    digest        TEXT    NOT NULL REFERENCES blobs (digest),
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX repository_blobs_by_digest ON repository_blobs (digest);

CREATE TABLE manifests (
    repository_id INTEGER NOT NULL REFERENCES repositories (id),
    digest        TEXT    NOT NULL,
    media_type    TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    subject       TEXT,
    artifact_type TEXT,
    annotations   TEXT,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX manifests_by_subject ON manifests (repository_id, subject, digest) WHERE subject IS NOT NULL;

-- What each manifest references: config and layers (kind 'b') or index children (kind 'm').
CREATE TABLE manifest_references (
    repository_id   INTEGER NOT NULL,
    manifest_digest TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('b', 'm')),
    child_digest    TEXT    NOT NULL,
    PRIMARY KEY (repository_id, manifest_digest, kind, child_digest)
) WITHOUT ROWID;
CREATE INDEX manifest_references_by_child ON manifest_references (child_digest, repository_id);

CREATE TABLE tags (
    repository_id INTEGER NOT NULL REFERENCES repositories (id),
    name          TEXT    NOT NULL,
    digest        TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (repository_id, name)
) WITHOUT ROWID;
CREATE INDEX tags_by_digest ON tags (repository_id, digest);

CREATE TABLE uploads (
    id         TEXT    PRIMARY KEY,
    repository TEXT    NOT NULL,
    "offset"   INTEGER NOT NULL,
    algorithm  TEXT    NOT NULL,
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX uploads_by_updated ON uploads (updated_at);
