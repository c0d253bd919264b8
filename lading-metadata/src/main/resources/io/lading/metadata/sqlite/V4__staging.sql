-- Schema version 4: small blobs and manifests staged in the metadata store until they are in storage.
-- A push of content no larger than lading.storage.staging.maxsize commits its bytes here, in the transaction that
-- links them, so the push costs one fsync (of this database's log) instead of a file, directory and log sync each.
-- A background writer then puts the bytes at their storage path (distribution's layout) and deletes the row; rows
-- left by a crash are written at the next start. Rows go with their blob when the collector forgets it.
-- One b-tree keyed by digest (no rowid, no second index): a push writes as few pages as possible.
CREATE TABLE staged_blobs (
    digest TEXT PRIMARY KEY,
    bytes  BLOB NOT NULL
) WITHOUT ROWID;
