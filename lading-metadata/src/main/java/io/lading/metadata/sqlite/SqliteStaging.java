package io.lading.metadata.sqlite;

import io.lading.core.Digest;
import io.lading.metadata.Staging;
import java.util.List;
import java.util.Optional;

/** Staged content on the table of V4__staging.sql, using the statements of the transaction it belongs to. */
final class SqliteStaging implements Staging {
    private final SqliteTx tx;

    SqliteStaging(SqliteTx tx) {
        this.tx = tx;
    }

    @Override
    public void stage(Digest digest, byte[] bytes) {
        tx.update("INSERT INTO staged_blobs (blob_id, bytes) VALUES (" + SqliteTx.BLOB_ID + ", ?)"
                + " ON CONFLICT (blob_id) DO NOTHING", digest.toString(), bytes);
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
