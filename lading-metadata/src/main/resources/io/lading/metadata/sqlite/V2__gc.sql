-- Schema version 2: what garbage collection needs.
-- touched_at: when a push or mount last claimed the blob (the grace period counts from it, not from creation).
-- deleting:   1 while the collector removes the blob's bytes; pushes of the same digest wait until the row is
--             gone, and a collector that crashed finishes such rows on its next run (see docs/design/gc.md).
ALTER TABLE blobs ADD COLUMN touched_at INTEGER NOT NULL DEFAULT 0;
UPDATE blobs SET touched_at = created_at;
ALTER TABLE blobs ADD COLUMN deleting INTEGER NOT NULL DEFAULT 0;
-- generation: random, set when the row is created. A push checks, when it links the blob, that the row it claimed
--             is still the same row and not being deleted (a collection may have deleted and re-created it since).
ALTER TABLE blobs ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
CREATE INDEX blobs_deleting ON blobs (digest) WHERE deleting = 1;

-- The collector asks "is this digest a manifest anywhere?" for every blob it considers.
CREATE INDEX manifests_by_digest ON manifests (digest);

-- Results of collections, newest last, for the admin API and `lading gc`.
CREATE TABLE gc_runs (
    id                INTEGER PRIMARY KEY,
    started_at        INTEGER NOT NULL,
    finished_at       INTEGER,
    dry_run           INTEGER NOT NULL,
    manifests_deleted INTEGER NOT NULL DEFAULT 0,
    links_removed     INTEGER NOT NULL DEFAULT 0,
    blobs_deleted     INTEGER NOT NULL DEFAULT 0,
    bytes_reclaimed   INTEGER NOT NULL DEFAULT 0,
    error             TEXT
);
