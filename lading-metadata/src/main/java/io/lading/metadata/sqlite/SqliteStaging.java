package io.lading.metadata.sqlite;

import io.lading.core.Digest;
import io.lading.metadata.MetadataException;
import io.lading.metadata.Staging;
import java.util.List;
import java.util.Optional;

/**
 * Staged content on the table of V4__staging.sql (keyed by blob id since V5__blob_ids.sql), using the statements of
 * the transaction it belongs to.
 */
final class SqliteStaging implements Staging {
    private final SqliteTx tx;

    SqliteStaging(SqliteTx tx) {
        this.tx = tx;
    }

    @Override
    public void stage(Digest digest, byte[] bytes) {
        // blob_id is the table's row id, for which NULL means "a new one": so SELECT (no row without a blob row).
        if (tx.update("INSERT INTO staged_blobs (blob_id, bytes) SELECT id, ? FROM blobs WHERE digest = ?"
                + " ON CONFLICT (blob_id) DO NOTHING", bytes, digest.toString()) == 0 && !tx.blobKnown(digest)) {
            throw new MetadataException("cannot stage " + digest + ": the blob was not claimed", null);
        }
    }

    @Override
    public boolean unstage(Digest digest) {
        return tx.update("DELETE FROM staged_blobs WHERE blob_id = " + SqliteTx.BLOB_ID, digest.toString()) > 0;
    }

    @Override
    public Optional<byte[]> get(Digest digest) {
        return tx.one("SELECT bytes FROM staged_blobs WHERE blob_id = " + SqliteTx.BLOB_ID, rs -> rs.getBytes(1),
                digest.toString());
    }

    @Override
    public List<StagedBlob> first(int limit) {
        // Oldest first: a blob's id grows with each new one.
        return tx.query("SELECT b.digest, s.bytes FROM staged_blobs s JOIN blobs b ON b.id = s.blob_id"
                        + " WHERE b.deleting = 0 ORDER BY s.blob_id LIMIT ?",
                rs -> new StagedBlob(Digest.parse(rs.getString(1)), rs.getBytes(2)), limit);
    }

    @Override
    public Backlog backlog() {
        return tx.one("SELECT count(*), coalesce(sum(length(bytes)), 0) FROM staged_blobs",
                rs -> new Backlog(rs.getLong(1), rs.getLong(2))).orElseThrow();
    }
}
