package io.lading.metadata.sqlite;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import io.lading.core.Tag;
import io.lading.metadata.ManifestRecord;
import io.lading.metadata.MetadataException;
import io.lading.metadata.UploadRecord;
import io.lading.metadata.WriteTx;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * One SQLite connection and its prepared statements, serving as the transaction object. Used by one thread at a
 * time (the store hands it out under a lock or from a pool).
 */
final class SqliteTx implements WriteTx {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {
    };

    private final Connection connection;
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    SqliteTx(Connection connection) {
        this.connection = connection;
    }

    // ---- transaction control -------------------------------------------------------------------------------

    void begin() {
        exec("BEGIN IMMEDIATE");
    }

    void commit() {
        exec("COMMIT");
    }

    void synchronous(String mode) {
        exec("PRAGMA synchronous = " + mode);
    }

    void savepoint() {
        exec("SAVEPOINT work");
    }

    void releaseSavepoint() {
        exec("RELEASE work");
    }

    void rollbackToSavepoint() {
        exec("ROLLBACK TO work");
        exec("RELEASE work");
    }

    void rollback() {
        try {
            exec("ROLLBACK");
        } catch (MetadataException e) {
            // SQLite already rolled back (e.g. after SQLITE_FULL); nothing is left to undo.
        }
    }

    void close() {
        try {
            for (PreparedStatement ps : statements.values()) {
                ps.close();
            }
            connection.close();
        } catch (SQLException e) {
            throw new MetadataException("closing metadata connection: " + e.getMessage(), e);
        }
    }

    private void exec(String sql) {
        try (Statement s = connection.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw fail(sql, e);
        }
    }

    private PreparedStatement prepare(String sql) throws SQLException {
        PreparedStatement ps = statements.get(sql);
        if (ps == null) {
            ps = connection.prepareStatement(sql);
            statements.put(sql, ps);
        }
        return ps;
    }

    private static MetadataException fail(String sql, SQLException e) {
        return new MetadataException("metadata query failed (" + e.getMessage() + "): " + sql, e);
    }

    /** A query with bound parameters, mapped row by row. */
    private <T> List<T> query(String sql, RowMapper<T> mapper, Object... params) {
        try {
            PreparedStatement ps = prepare(sql);
            bind(ps, params);
            List<T> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(mapper.map(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw fail(sql, e);
        }
    }

    private <T> Optional<T> one(String sql, RowMapper<T> mapper, Object... params) {
        List<T> rows = query(sql, mapper, params);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    private int update(String sql, Object... params) {
        try {
            PreparedStatement ps = prepare(sql);
            bind(ps, params);
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw fail(sql, e);
        }
    }

    private static void bind(PreparedStatement ps, Object... params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            Object p = params[i];
            switch (p) {
                case null -> ps.setObject(i + 1, null);
                case Long l -> ps.setLong(i + 1, l);
                case Integer n -> ps.setInt(i + 1, n);
                case String s -> ps.setString(i + 1, s);
                default -> ps.setString(i + 1, p.toString());
            }
        }
    }

    @FunctionalInterface
    private interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private Optional<Long> repositoryId(RepositoryName repository) {
        return one("SELECT id FROM repositories WHERE name = ?", rs -> rs.getLong(1), repository.value());
    }

    private long ensureRepository(RepositoryName repository) {
        Optional<Long> id = repositoryId(repository);
        if (id.isPresent()) {
            return id.get();
        }
        update("INSERT INTO repositories (name, created_at) VALUES (?, ?)", repository.value(), now());
        return repositoryId(repository).orElseThrow();
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    // ---- reads ----------------------------------------------------------------------------------------------

    @Override
    public Optional<Long> blobSize(Digest digest) {
        return one("SELECT size FROM blobs WHERE digest = ?", rs -> rs.getLong(1), digest.toString());
    }

    @Override
    public boolean hasBlob(RepositoryName repository, Digest digest) {
        return one("SELECT 1 FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id"
                + " WHERE r.name = ? AND rb.digest = ?", rs -> true, repository.value(), digest.toString()).isPresent();
    }

    @Override
    public boolean repositoryExists(RepositoryName repository) {
        return repositoryId(repository).isPresent();
    }

    private static final String MANIFEST_COLUMNS =
            "m.digest, m.media_type, m.size, m.subject, m.artifact_type, m.annotations, m.created_at";

    private static ManifestRecord manifest(ResultSet rs) throws SQLException {
        String subject = rs.getString(4);
        String annotations = rs.getString(6);
        Map<String, String> map = Map.of();
        if (annotations != null) {
            try {
                map = JSON.readValue(annotations, STRING_MAP);
            } catch (JsonProcessingException e) {
                throw new SQLException("corrupt annotations column", e);
            }
        }
        return new ManifestRecord(Digest.parse(rs.getString(1)), rs.getString(2), rs.getLong(3),
                subject == null ? null : Digest.parse(subject), rs.getString(5), map,
                Instant.ofEpochMilli(rs.getLong(7)));
    }

    @Override
    public Optional<ManifestRecord> manifest(RepositoryName repository, Digest digest) {
        return one("SELECT " + MANIFEST_COLUMNS + " FROM manifests m JOIN repositories r ON r.id = m.repository_id"
                + " WHERE r.name = ? AND m.digest = ?", SqliteTx::manifest, repository.value(), digest.toString());
    }

    @Override
    public Optional<Digest> tag(RepositoryName repository, Tag tag) {
        return one("SELECT t.digest FROM tags t JOIN repositories r ON r.id = t.repository_id"
                + " WHERE r.name = ? AND t.name = ?", rs -> Digest.parse(rs.getString(1)), repository.value(), tag.value());
    }

    @Override
    public List<String> tags(RepositoryName repository, String after, int limit) {
        Optional<Long> id = repositoryId(repository);
        if (id.isEmpty()) {
            return List.of();
        }
        return query("SELECT name FROM tags WHERE repository_id = ? AND name > ? ORDER BY name LIMIT ?",
                rs -> rs.getString(1), id.get(), after == null ? "" : after, limit);
    }

    @Override
    public List<String> repositories(String after, int limit) {
        return query("SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?",
                rs -> rs.getString(1), after == null ? "" : after, limit);
    }

    @Override
    public List<ManifestRecord> referrers(RepositoryName repository, Digest subject) {
        return query("SELECT " + MANIFEST_COLUMNS + " FROM manifests m JOIN repositories r ON r.id = m.repository_id"
                + " WHERE r.name = ? AND m.subject = ? ORDER BY m.digest", SqliteTx::manifest,
                repository.value(), subject.toString());
    }

    private static UploadRecord upload(ResultSet rs) throws SQLException {
        return new UploadRecord(UUID.fromString(rs.getString(1)), RepositoryName.of(rs.getString(2)), rs.getLong(3),
                Digest.Algorithm.of(rs.getString(4)), Instant.ofEpochMilli(rs.getLong(5)),
                Instant.ofEpochMilli(rs.getLong(6)));
    }

    @Override
    public Optional<UploadRecord> upload(UUID id) {
        return one("SELECT id, repository, \"offset\", algorithm, started_at, updated_at FROM uploads WHERE id = ?",
                SqliteTx::upload, id.toString());
    }

    // ---- writes ---------------------------------------------------------------------------------------------

    @Override
    public void putBlob(Digest digest, long size) {
        update("INSERT INTO blobs (digest, size, created_at) VALUES (?, ?, ?) ON CONFLICT (digest) DO NOTHING",
                digest.toString(), size, now());
    }

    @Override
    public void linkBlob(RepositoryName repository, Digest digest) {
        long id = ensureRepository(repository);
        update("INSERT INTO repository_blobs (repository_id, digest, created_at) VALUES (?, ?, ?)"
                + " ON CONFLICT DO NOTHING", id, digest.toString(), now());
    }

    @Override
    public boolean unlinkBlob(RepositoryName repository, Digest digest) {
        Optional<Long> id = repositoryId(repository);
        return id.isPresent() && update("DELETE FROM repository_blobs WHERE repository_id = ? AND digest = ?",
                id.get(), digest.toString()) > 0;
    }

    @Override
    public void putManifest(RepositoryName repository, ManifestRecord m, Collection<Digest> blobs,
                            Collection<Digest> manifests) {
        long id = ensureRepository(repository);
        String annotations;
        try {
            annotations = m.annotations().isEmpty() ? null : JSON.writeValueAsString(m.annotations());
        } catch (JsonProcessingException e) {
            throw new MetadataException("cannot encode annotations", e);
        }
        int inserted = update("INSERT INTO manifests (repository_id, digest, media_type, size, subject, artifact_type,"
                        + " annotations, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                id, m.digest().toString(), m.mediaType(), m.size(), m.subject() == null ? null : m.subject().toString(),
                m.artifactType(), annotations, m.created().toEpochMilli());
        if (inserted == 0) {
            return; // same digest, same bytes: its references are recorded already
        }
        for (Digest b : blobs) {
            update("INSERT INTO manifest_references (repository_id, manifest_digest, kind, child_digest)"
                    + " VALUES (?, ?, 'b', ?) ON CONFLICT DO NOTHING", id, m.digest().toString(), b.toString());
        }
        for (Digest c : manifests) {
            update("INSERT INTO manifest_references (repository_id, manifest_digest, kind, child_digest)"
                    + " VALUES (?, ?, 'm', ?) ON CONFLICT DO NOTHING", id, m.digest().toString(), c.toString());
        }
    }

    @Override
    public void putTag(RepositoryName repository, Tag tag, Digest manifest) {
        long id = ensureRepository(repository);
        update("INSERT INTO tags (repository_id, name, digest, updated_at) VALUES (?, ?, ?, ?)"
                        + " ON CONFLICT (repository_id, name) DO UPDATE SET digest = excluded.digest,"
                        + " updated_at = excluded.updated_at",
                id, tag.value(), manifest.toString(), now());
    }

    @Override
    public boolean deleteTag(RepositoryName repository, Tag tag) {
        Optional<Long> id = repositoryId(repository);
        return id.isPresent() && update("DELETE FROM tags WHERE repository_id = ? AND name = ?",
                id.get(), tag.value()) > 0;
    }

    @Override
    public boolean deleteManifest(RepositoryName repository, Digest digest) {
        Optional<Long> id = repositoryId(repository);
        if (id.isEmpty()) {
            return false;
        }
        String d = digest.toString();
        if (update("DELETE FROM manifests WHERE repository_id = ? AND digest = ?", id.get(), d) == 0) {
            return false;
        }
        update("DELETE FROM tags WHERE repository_id = ? AND digest = ?", id.get(), d);
        update("DELETE FROM manifest_references WHERE repository_id = ? AND manifest_digest = ?", id.get(), d);
        return true;
    }

    @Override
    public void putUpload(UploadRecord u) {
        update("INSERT INTO uploads (id, repository, \"offset\", algorithm, started_at, updated_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET \"offset\" = excluded.\"offset\","
                        + " algorithm = excluded.algorithm, updated_at = excluded.updated_at",
                u.id().toString(), u.repository().value(), u.offset(), u.algorithm().id(),
                u.started().toEpochMilli(), u.updated().toEpochMilli());
    }

    @Override
    public boolean deleteUpload(UUID id) {
        return update("DELETE FROM uploads WHERE id = ?", id.toString()) > 0;
    }

    @Override
    public List<UploadRecord> uploadsUpdatedBefore(Instant cutoff, int limit) {
        return query("SELECT id, repository, \"offset\", algorithm, started_at, updated_at FROM uploads"
                + " WHERE updated_at < ? ORDER BY updated_at LIMIT ?", SqliteTx::upload, cutoff.toEpochMilli(), limit);
    }
}
