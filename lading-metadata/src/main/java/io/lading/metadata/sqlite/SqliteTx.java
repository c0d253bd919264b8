package io.lading.metadata.sqlite;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import io.lading.core.Tag;
import io.lading.metadata.BlobRecord;
import io.lading.metadata.BlobUse;
import io.lading.metadata.GcRunRecord;
import io.lading.metadata.ManifestRecord;
import io.lading.metadata.MetadataException;
import io.lading.metadata.UploadRecord;
import io.lading.metadata.Usage;
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
import java.util.Set;
import java.util.UUID;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
    /** Per statement: how it may change what lookups read (see {@link #lookupEffect(String)}). */
    private final Map<String, LookupEffect> lookupEffects = new HashMap<>();
    /** Set by a statement that may change what lookups read; taken (and cleared) once per group by the store. */
    private boolean lookupsChanged;
    /** Whether the running work ran an insert that may change what lookups read (see updateLookupsOnCommit). */
    private boolean workInserted;
    /** The running work's updateLookupsOnCommit actions, and those of the group's works that were kept. */
    private LongConsumer workUpdate;
    private final List<LongConsumer> updates = new ArrayList<>();
    private final SqliteOutbox outbox = new SqliteOutbox(this);
    private final SqliteStaging staging = new SqliteStaging(this);

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

    /**
     * SQLite's {@code PRAGMA data_version} of this connection: it moves when another connection, of this process
     * or another, has committed since it was last read, and never with this connection's own commits.
     */
    long dataVersion() {
        return one("PRAGMA data_version", rs -> rs.getLong(1)).orElseThrow();
    }

    void synchronous(String mode) {
        // Not through exec: SQLite applies this pragma when it compiles the statement, so a prepared one run again
        // would change nothing.
        String sql = "PRAGMA synchronous = " + mode;
        try (Statement s = connection.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw fail(sql, e);
        }
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

    /** Copies the database to {@code target} (outside any transaction of this connection). */
    void vacuumInto(java.nio.file.Path target) {
        try {
            vacuumInto(connection, target);
        } catch (SQLException e) {
            throw fail("VACUUM INTO", e);
        }
    }

    static void vacuumInto(Connection c, java.nio.file.Path target) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("VACUUM INTO ?")) {
            ps.setString(1, target.toAbsolutePath().toString());
            ps.execute();
        }
    }

    /** {@link SqliteMetadataStore#integrityProblems} on this connection (outside any transaction of it). */
    List<String> integrityProblems() {
        try {
            return integrityProblems(connection);
        } catch (SQLException e) {
            throw fail("integrity check", e);
        }
    }

    static List<String> integrityProblems(Connection c) throws SQLException {
        int limit = io.lading.metadata.MetadataStore.INTEGRITY_PROBLEMS;
        List<String> problems = new ArrayList<>();
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false); // one snapshot for the three checks
        try (Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("PRAGMA integrity_check(" + limit + ")")) {
                while (rs.next()) {
                    String row = rs.getString(1);
                    if (!"ok".equals(row)) {
                        problems.add("SQLite integrity check: " + row);
                    }
                }
            }
            try (ResultSet rs = s.executeQuery("PRAGMA foreign_key_check")) {
                while (rs.next() && problems.size() < limit) {
                    String rowid = rs.getString("rowid"); // null in tables WITHOUT ROWID
                    problems.add("a row of " + rs.getString("table") + (rowid == null ? "" : " (rowid " + rowid + ")")
                            + " refers to a row of " + rs.getString("parent") + " that does not exist");
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT r.name, t.name, b.digest FROM tags t"
                    + " JOIN repositories r ON r.id = t.repository_id JOIN blobs b ON b.id = t.blob_id"
                    + " WHERE NOT EXISTS (SELECT 1 FROM manifests m WHERE m.repository_id = t.repository_id"
                    + " AND m.blob_id = t.blob_id) LIMIT " + limit)) {
                while (rs.next() && problems.size() < limit) {
                    problems.add("tag " + rs.getString(2) + " of " + rs.getString(1) + " names " + rs.getString(3)
                            + ", which is not a manifest of that repository");
                }
            }
        } catch (SQLException e) {
            if (e instanceof org.sqlite.SQLiteException se && (se.getResultCode().code & 0xff) == 11) {
                problems.add("the database cannot be read through: " + e.getMessage()); // SQLITE_CORRUPT
            } else {
                throw e;
            }
        } finally {
            c.rollback();
            c.setAutoCommit(autoCommit);
        }
        return problems;
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

    /**
     * Runs a transaction-control statement, prepared once like the others (SQLite does their work when they run;
     * not for pragmas, most of which act when compiled).
     */
    private void exec(String sql) {
        try {
            prepare(sql).execute();
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

    /** SQLite's primary result code for a database that cannot grow (its disk is full, or max_page_count). */
    private static final int SQLITE_FULL = 13;

    static MetadataException fail(String sql, SQLException e) {
        // sqlite-jdbc reports the primary result code (the extended one masked to its low byte) as the error code.
        return new MetadataException("metadata query failed (" + e.getMessage() + "): " + sql, e,
                (e.getErrorCode() & 0xff) == SQLITE_FULL);
    }

    /** A query with bound parameters, mapped row by row. */
    <T> List<T> query(String sql, RowMapper<T> mapper, Object... params) {
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

    <T> Optional<T> one(String sql, RowMapper<T> mapper, Object... params) {
        List<T> rows = query(sql, mapper, params);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    int update(String sql, Object... params) {
        // Marked before it runs: a statement that fails, or is rolled back, counts too.
        switch (lookupEffects.computeIfAbsent(sql, SqliteTx::lookupEffect)) {
            case OTHER -> lookupsChanged = true;
            case INSERT -> workInserted = true; // settled when the work ends (endWork)
            case NONE -> {
            }
        }
        try {
            PreparedStatement ps = prepare(sql);
            bind(ps, params);
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw fail(sql, e);
        }
    }

    /**
     * Tables only the registry's own bookkeeping reads: upload sessions, staged bytes, the event outbox and the
     * record of collection runs. No lookup of a manifest, tag, repository or blob link reads them.
     */
    private static final Set<String> BOOKKEEPING = Set.of("uploads", "staged_blobs", "events", "event_deliveries",
            "event_queues", "event_dead_letters", "gc_runs");
    private static final Pattern CHANGED_TABLE = Pattern.compile(
            "\\s*(INSERT|REPLACE|UPDATE|DELETE)(\\s+OR\\s+\\w+)?\\s+(?:INTO\\s+|FROM\\s+)?(\\w+)\\b.*",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

    /** How a statement may change what lookups read. */
    enum LookupEffect {
        /** It changes only bookkeeping tables. */
        NONE,
        /**
         * A plain INSERT (an upsert too) of another table: a work that brings lookups up to date itself
         * (updateLookupsOnCommit) covers it.
         */
        INSERT,
        /** Anything else: UPDATE, DELETE, INSERT OR REPLACE (which deletes), or a statement not recognised. */
        OTHER
    }

    /**
     * How {@code sql} may change what lookups read: NONE only for a plain INSERT, UPDATE or DELETE of a bookkeeping
     * table (the schema has no triggers and no cascades).
     */
    static LookupEffect lookupEffect(String sql) {
        Matcher m = CHANGED_TABLE.matcher(sql);
        if (!m.matches()) {
            return LookupEffect.OTHER;
        }
        if (BOOKKEEPING.contains(m.group(3).toLowerCase(java.util.Locale.ROOT))) {
            return LookupEffect.NONE;
        }
        return m.group(1).equalsIgnoreCase("INSERT") && m.group(2) == null ? LookupEffect.INSERT : LookupEffect.OTHER;
    }

    @Override
    public void updateLookupsOnCommit(LongConsumer update) {
        workUpdate = workUpdate == null ? update : workUpdate.andThen(update);
    }

    /** Called by the store before each work of a group. */
    void beginWork() {
        endWork(false);
    }

    /**
     * Called by the store after each work, {@code kept} when it was not rolled back: the work's inserts are
     * covered by its updateLookupsOnCommit actions when it has some and is kept, and count as a change otherwise
     * (a rolled-back insert too, as every statement that may have changed something).
     */
    void endWork(boolean kept) {
        if (kept && workUpdate != null) {
            updates.add(workUpdate);
        } else if (workInserted) {
            lookupsChanged = true;
        }
        workInserted = false;
        workUpdate = null;
    }

    /**
     * What the statements of a group changed, as far as the store's change count needs to know, and the
     * updateLookupsOnCommit actions of its works that were kept.
     */
    record Changes(boolean lookups, List<LongConsumer> updates) {
        /** What a group that may have changed anything, and brings nothing up to date, reports. */
        static final Changes ANYTHING = new Changes(true, List.of());
    }

    /**
     * What the statements since the last call changed, clearing the marks: whether they may have changed what
     * lookups read, and the updateLookupsOnCommit actions of the works that were kept.
     */
    Changes takeChanges() {
        endWork(false); // a work the store did not end: nothing covers its inserts
        Changes c = new Changes(lookupsChanged, List.copyOf(updates));
        updates.clear();
        lookupsChanged = false;
        return c;
    }

    private static void bind(PreparedStatement ps, Object... params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            Object p = params[i];
            switch (p) {
                case null -> ps.setObject(i + 1, null);
                case Long l -> ps.setLong(i + 1, l);
                case Integer n -> ps.setInt(i + 1, n);
                case String s -> ps.setString(i + 1, s);
                case byte[] b -> ps.setBytes(i + 1, b);
                default -> ps.setString(i + 1, p.toString());
            }
        }
    }

    @FunctionalInterface
    interface RowMapper<T> {
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

    /**
     * The id of the blob row of the digest bound in its place: NULL when there is none, which the NOT NULL of every
     * column it fills turns into an error (the foreign key did, when rows named blobs by digest).
     */
    static final String BLOB_ID = "(SELECT id FROM blobs WHERE digest = ?)";

    /** The id of the blob row of {@code digest}, if it has one. */
    private Optional<Long> blobId(Digest digest) {
        return one("SELECT id FROM blobs WHERE digest = ?", rs -> rs.getLong(1), digest.toString());
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    // ---- reads ----------------------------------------------------------------------------------------------

    @Override
    public Optional<Long> blobSize(Digest digest) {
        return one("SELECT size FROM blobs WHERE digest = ? AND deleting = 0", rs -> rs.getLong(1), digest.toString());
    }

    @Override
    public boolean blobKnown(Digest digest) {
        return one("SELECT 1 FROM blobs WHERE digest = ?", rs -> true, digest.toString()).isPresent();
    }

    @Override
    public List<BlobRecord> blobs(Digest after, int limit) {
        return query("SELECT digest, size FROM blobs WHERE digest > ? AND deleting = 0 ORDER BY digest LIMIT ?",
                rs -> new BlobRecord(Digest.parse(rs.getString(1)), rs.getLong(2)),
                after == null ? "" : after.toString(), limit);
    }

    /**
     * Where a blob is used (?1 to ?3 its digest, ?4 the limit): its links, the manifests it is, and the manifests
     * that reference it, each manifest with its tags in the repository. Every branch is an index search.
     */
    static final String BLOB_USES = "SELECT r.name, NULL, NULL FROM repository_blobs rb"
            + " JOIN repositories r ON r.id = rb.repository_id WHERE rb.blob_id = " + BLOB_ID
            + " UNION ALL SELECT r.name, b.digest, (SELECT group_concat(t.name, char(10) ORDER BY t.name) FROM tags t"
            + "   WHERE t.blob_id = m.blob_id AND t.repository_id = m.repository_id)"
            + " FROM manifests m JOIN repositories r ON r.id = m.repository_id JOIN blobs b ON b.id = m.blob_id"
            + " WHERE m.blob_id = " + BLOB_ID
            + " UNION ALL SELECT r.name, b.digest, (SELECT group_concat(t.name, char(10) ORDER BY t.name) FROM tags t"
            + "   WHERE t.blob_id = c.manifest_id AND t.repository_id = c.repository_id)"
            + " FROM manifest_references c JOIN repositories r ON r.id = c.repository_id"
            + " JOIN blobs b ON b.id = c.manifest_id WHERE c.child_digest = ?"
            + " LIMIT ?";

    @Override
    public List<BlobUse> blobUses(Digest digest, int limit) {
        String d = digest.toString();
        return query(BLOB_USES, rs -> {
            String manifest = rs.getString(2);
            String tags = rs.getString(3);
            return new BlobUse(RepositoryName.of(rs.getString(1)), manifest == null ? null : Digest.parse(manifest),
                    tags == null ? List.of() : List.of(tags.split("\n")));
        }, d, d, d, limit);
    }

    @Override
    public boolean hasBlob(RepositoryName repository, Digest digest) {
        return one("SELECT 1 FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id"
                + " JOIN blobs b ON b.id = rb.blob_id WHERE r.name = ? AND b.digest = ?", rs -> true,
                repository.value(), digest.toString()).isPresent();
    }

    @Override
    public Optional<Long> linkedBlobSize(RepositoryName repository, Digest digest) {
        // Each statement outside a transaction takes and drops SQLite's read locks: one statement, not two.
        return one("SELECT b.size FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id"
                + " JOIN blobs b ON b.id = rb.blob_id WHERE r.name = ? AND b.digest = ? AND b.deleting = 0",
                rs -> rs.getLong(1), repository.value(), digest.toString());
    }

    @Override
    public boolean repositoryExists(RepositoryName repository) {
        return repositoryId(repository).isPresent();
    }

    /** The columns {@link #manifest(ResultSet)} reads, from manifests m joined with its blob b. */
    private static final String MANIFEST_COLUMNS =
            "b.digest, m.media_type, m.size, m.subject, m.artifact_type, m.annotations, m.created_at";
    /** A repository's manifests with their blobs, to be completed with conditions on r, m and b. */
    private static final String MANIFESTS = "SELECT " + MANIFEST_COLUMNS + " FROM manifests m"
            + " JOIN repositories r ON r.id = m.repository_id JOIN blobs b ON b.id = m.blob_id";

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
        return one(MANIFESTS + " WHERE r.name = ? AND b.digest = ?", SqliteTx::manifest, repository.value(),
                digest.toString());
    }

    @Override
    public Optional<ManifestRecord> taggedManifest(RepositoryName repository, Tag tag) {
        return one("SELECT " + MANIFEST_COLUMNS + " FROM tags t JOIN repositories r ON r.id = t.repository_id"
                + " JOIN manifests m ON m.repository_id = t.repository_id AND m.blob_id = t.blob_id"
                + " JOIN blobs b ON b.id = m.blob_id WHERE r.name = ? AND t.name = ?", SqliteTx::manifest,
                repository.value(), tag.value());
    }

    @Override
    public List<String> tags(RepositoryName repository, String after, int limit) {
        Optional<Long> id = repositoryId(repository);
        if (id.isEmpty()) {
            return List.of();
        }
        return names("SELECT group_concat(name, char(10) ORDER BY name) FROM (SELECT name FROM tags"
                + " WHERE repository_id = ? AND name > ? ORDER BY name LIMIT ?)", id.get(), after == null ? "" : after, limit);
    }

    /**
     * A page of names (tags, repositories) that {@code sql} joins with newlines in one row: one string crosses JNI
     * for the whole page instead of one per name, which a profile of 10 000-tag lists showed dominating. The
     * grammars of tags and repository names exclude newlines.
     */
    private List<String> names(String sql, Object... params) {
        // group_concat of no rows is NULL; no name is empty, so "" stands for none
        String joined = one(sql, rs -> java.util.Objects.toString(rs.getString(1), ""), params).orElse("");
        return joined.isEmpty() ? List.of() : java.util.Arrays.asList(joined.split("\n"));
    }

    @Override
    public List<Digest> manifestDigests(RepositoryName repository, Digest after, int limit) {
        Optional<Long> start = pageStart(after);
        if (start.isEmpty()) {
            return List.of();
        }
        return query("SELECT b.digest FROM manifests m JOIN repositories r ON r.id = m.repository_id"
                        + " JOIN blobs b ON b.id = m.blob_id WHERE r.name = ? AND m.blob_id > ?"
                        + " ORDER BY m.blob_id LIMIT ?",
                rs -> Digest.parse(rs.getString(1)), repository.value(), start.get(), limit);
    }

    /**
     * Where a page of blob ids after {@code after}, the last digest of the page before, starts: 0 for the first
     * page, and empty when the blob row of {@code after} is gone meanwhile (the walk then ends early: pages in blob
     * id order are read from an index, not sorted, so each costs its own rows however large the repository).
     */
    private Optional<Long> pageStart(Digest after) {
        return after == null ? Optional.of(0L) : blobId(after);
    }

    @Override
    public long repositoryCount() {
        return one("SELECT COUNT(*) FROM repositories", rs -> rs.getLong(1)).orElse(0L);
    }

    @Override
    public List<String> repositories(String after, int limit) {
        return names("SELECT group_concat(name, char(10) ORDER BY name) FROM (SELECT name FROM repositories"
                + " WHERE name > ? ORDER BY name LIMIT ?)", after == null ? "" : after, limit);
    }

    @Override
    public List<ManifestRecord> referrers(RepositoryName repository, Digest subject) {
        return query(MANIFESTS + " WHERE r.name = ? AND m.subject = ? ORDER BY b.digest", SqliteTx::manifest,
                repository.value(), subject.toString());
    }

    @Override
    public List<ManifestRecord> referrers(RepositoryName repository, Digest subject, Digest after, String artifactType,
                                          int limit) {
        return query(MANIFESTS + " WHERE r.name = ? AND m.subject = ? AND b.digest > ?"
                        + (artifactType == null ? "" : " AND m.artifact_type = ?") + " ORDER BY b.digest LIMIT ?",
                SqliteTx::manifest, artifactType == null
                        ? new Object[]{repository.value(), subject.toString(), after == null ? "" : after.toString(), limit}
                        : new Object[]{repository.value(), subject.toString(), after == null ? "" : after.toString(),
                        artifactType, limit});
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
    public long uploadCount() {
        return one("SELECT COUNT(*) FROM uploads", rs -> rs.getLong(1)).orElse(0L);
    }

    @Override
    public void linkBlob(RepositoryName repository, Digest digest) {
        long id = ensureRepository(repository);
        // created_at is when the link was last made: linking again (a re-push, a mount) restarts its grace period.
        update("INSERT INTO repository_blobs (repository_id, blob_id, created_at) VALUES (?, " + BLOB_ID + ", ?)"
                + " ON CONFLICT DO UPDATE SET created_at = excluded.created_at", id, digest.toString(), now());
    }

    @Override
    public boolean unlinkBlob(RepositoryName repository, Digest digest) {
        Optional<Long> id = repositoryId(repository);
        return id.isPresent() && update("DELETE FROM repository_blobs WHERE repository_id = ? AND blob_id = "
                + BLOB_ID, id.get(), digest.toString()) > 0;
    }

    @Override
    public boolean putManifest(RepositoryName repository, ManifestRecord m, Collection<Digest> blobs,
                            Collection<Digest> manifests) {
        long id = ensureRepository(repository);
        String annotations;
        try {
            annotations = m.annotations().isEmpty() ? null : JSON.writeValueAsString(m.annotations());
        } catch (JsonProcessingException e) {
            throw new MetadataException("cannot encode annotations", e);
        }
        int inserted = update("INSERT INTO manifests (repository_id, blob_id, media_type, size, subject, artifact_type,"
                        + " annotations, created_at) VALUES (?, " + BLOB_ID + ", ?, ?, ?, ?, ?, ?)"
                        + " ON CONFLICT DO NOTHING",
                id, m.digest().toString(), m.mediaType(), m.size(), m.subject() == null ? null : m.subject().toString(),
                m.artifactType(), annotations, m.created().toEpochMilli());
        if (inserted == 0) {
            return false; // same digest, same bytes: its references are recorded already
        }
        for (Digest b : blobs) {
            update("INSERT INTO manifest_references (repository_id, manifest_id, kind, child_digest)"
                    + " VALUES (?, " + BLOB_ID + ", 'b', ?) ON CONFLICT DO NOTHING", id, m.digest().toString(),
                    b.toString());
        }
        for (Digest c : manifests) {
            update("INSERT INTO manifest_references (repository_id, manifest_id, kind, child_digest)"
                    + " VALUES (?, " + BLOB_ID + ", 'm', ?) ON CONFLICT DO NOTHING", id, m.digest().toString(),
                    c.toString());
        }
        return true;
    }

    @Override
    public void putTag(RepositoryName repository, Tag tag, Digest manifest) {
        long id = ensureRepository(repository);
        update("INSERT INTO tags (repository_id, name, blob_id, updated_at) VALUES (?, ?, " + BLOB_ID + ", ?)"
                        + " ON CONFLICT (repository_id, name) DO UPDATE SET blob_id = excluded.blob_id,"
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
    public List<Tag> tagsUnchangedSince(RepositoryName repository, Instant cutoff, int limit) {
        Optional<Long> id = repositoryId(repository);
        if (id.isEmpty()) {
            return List.of();
        }
        return query("SELECT name FROM tags WHERE repository_id = ? AND updated_at <= ? ORDER BY name LIMIT ?",
                rs -> Tag.of(rs.getString(1)), id.get(), cutoff.toEpochMilli(), limit);
    }

    @Override
    public boolean deleteManifest(RepositoryName repository, Digest digest) {
        Optional<Long> id = repositoryId(repository);
        if (id.isEmpty()) {
            return false;
        }
        Optional<Long> blob = blobId(digest);
        if (blob.isEmpty()) {
            return false;
        }
        // References and tags first: their foreign keys name the manifest row.
        update("DELETE FROM manifest_references WHERE repository_id = ? AND manifest_id = ?", id.get(), blob.get());
        update("DELETE FROM tags WHERE blob_id = ? AND repository_id = ?", blob.get(), id.get());
        return update("DELETE FROM manifests WHERE repository_id = ? AND blob_id = ?", id.get(), blob.get()) > 0;
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

    // ---- deletes and garbage collection -----------------------------------------------------------------------

    @Override
    public List<Digest> indexesReferencing(RepositoryName repository, Digest digest) {
        return query("SELECT b.digest FROM manifest_references r JOIN repositories p ON p.id = r.repository_id"
                        + " JOIN blobs b ON b.id = r.manifest_id"
                        + " WHERE r.child_digest = ? AND p.name = ? AND r.kind = 'm' ORDER BY b.digest",
                rs -> Digest.parse(rs.getString(1)), digest.toString(), repository.value());
    }

    @Override
    public boolean blobReferenced(RepositoryName repository, Digest digest) {
        return one("SELECT 1 FROM manifest_references r JOIN repositories p ON p.id = r.repository_id"
                + " WHERE r.child_digest = ? AND p.name = ? AND r.kind = 'b' LIMIT 1", rs -> true,
                digest.toString(), repository.value()).isPresent();
    }

    @Override
    public Optional<Usage> usage(RepositoryName repository) {
        Optional<Long> id = repositoryId(repository);
        if (id.isEmpty()) {
            return Optional.empty();
        }
        return one("SELECT COUNT(*), COALESCE(SUM(b.size), 0),"
                        + " COALESCE(SUM(CASE WHEN o.blob_id IS NULL THEN 1 ELSE 0 END), 0),"
                        + " COALESCE(SUM(CASE WHEN o.blob_id IS NULL THEN b.size ELSE 0 END), 0)"
                        + " FROM repository_blobs rb JOIN blobs b ON b.id = rb.blob_id"
                        + " LEFT JOIN (SELECT DISTINCT blob_id FROM repository_blobs WHERE repository_id != ?) o"
                        + " ON o.blob_id = rb.blob_id WHERE rb.repository_id = ?",
                rs -> new Usage(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4)), id.get(), id.get());
    }

    @Override
    public Usage usage() {
        return one("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM blobs WHERE deleting = 0",
                rs -> new Usage(rs.getLong(1), rs.getLong(2), rs.getLong(1), rs.getLong(2))).orElseThrow();
    }

    private static final String GC_RUN_COLUMNS = "id, started_at, finished_at, dry_run, manifests_deleted,"
            + " links_removed, blobs_deleted, bytes_reclaimed, error";

    @Override
    public Optional<GcRunRecord> lastGcRun() {
        return one("SELECT " + GC_RUN_COLUMNS + " FROM gc_runs ORDER BY id DESC LIMIT 1", rs -> {
            long finished = rs.getLong(3);
            boolean running = rs.wasNull();
            return new GcRunRecord(rs.getLong(1), Instant.ofEpochMilli(rs.getLong(2)),
                    running ? null : Instant.ofEpochMilli(finished), rs.getInt(4) != 0, rs.getLong(5), rs.getLong(6),
                    rs.getLong(7), rs.getLong(8), rs.getString(9));
        });
    }

    @Override
    public java.util.OptionalLong claimBlob(Digest digest, long size) {
        String d = digest.toString();
        long now = now();
        update("INSERT INTO blobs (digest, size, created_at, touched_at, generation) VALUES (?, ?, ?, ?, random())"
                + " ON CONFLICT (digest) DO UPDATE SET touched_at = excluded.touched_at WHERE deleting = 0",
                d, size, now, now);
        return one("SELECT generation FROM blobs WHERE digest = ? AND deleting = 0", rs -> rs.getLong(1), d)
                .map(java.util.OptionalLong::of).orElse(java.util.OptionalLong.empty());
    }

    @Override
    public boolean claimHolds(Digest digest, long generation) {
        return one("SELECT 1 FROM blobs WHERE digest = ? AND deleting = 0 AND generation = ?", rs -> true,
                digest.toString(), generation).isPresent();
    }

    /**
     * The manifests of repository ?1 (bound four times) created at or before ?5 that are not live, indexes first, at
     * most ?6. Roots are the tagged manifests; index children and referrers of a live manifest are live too. By
     * digest, as children and subjects are: a child or subject need not be a blob the registry holds. Each step
     * starts from its one live row (CROSS JOIN keeps that order: without statistics SQLite chose to walk every
     * reference and every referrer of the repository for each live manifest).
     */
    static final String UNREACHABLE_MANIFESTS = "WITH RECURSIVE live(digest) AS ("
            + " SELECT b.digest FROM tags t JOIN blobs b ON b.id = t.blob_id WHERE t.repository_id = ?"
            + " UNION SELECT c.child_digest FROM live l CROSS JOIN blobs b ON b.digest = l.digest"
            + "   CROSS JOIN manifest_references c ON c.repository_id = ? AND c.manifest_id = b.id AND c.kind = 'm'"
            + " UNION SELECT b.digest FROM live l"
            + "   CROSS JOIN manifests m ON m.repository_id = ? AND m.subject = l.digest"
            + "   CROSS JOIN blobs b ON b.id = m.blob_id)"
            + " SELECT b.digest FROM manifests m JOIN blobs b ON b.id = m.blob_id"
            + " WHERE m.repository_id = ? AND m.created_at <= ? AND b.digest NOT IN (SELECT digest FROM live)"
            // Indexes first, so that an index never outlives its children even between two batches.
            + " ORDER BY EXISTS (SELECT 1 FROM manifest_references c WHERE c.repository_id = m.repository_id"
            + "   AND c.manifest_id = m.blob_id AND c.kind = 'm') DESC, b.digest LIMIT ?";

    @Override
    public List<Digest> unreachableManifests(RepositoryName repository, Instant cutoff, int limit) {
        Optional<Long> id = repositoryId(repository);
        if (id.isEmpty()) {
            return List.of();
        }
        long r = id.get();
        return query(UNREACHABLE_MANIFESTS, rs -> Digest.parse(rs.getString(1)), r, r, r, r, cutoff.toEpochMilli(),
                limit);
    }

    /**
     * Links of repository ?1 made at or before ?2 with a blob id above ?3 that are neither referenced by a manifest
     * of the repository nor one of its manifests, at most ?4, in blob id order (the primary key's: no sort).
     */
    static final String UNREFERENCED_LINKS = "SELECT b.digest FROM repository_blobs rb"
            + " JOIN blobs b ON b.id = rb.blob_id WHERE rb.repository_id = ? AND rb.created_at <= ? AND rb.blob_id > ?"
            + " AND NOT EXISTS (SELECT 1 FROM manifests m WHERE m.repository_id = rb.repository_id"
            + "   AND m.blob_id = rb.blob_id)"
            + " AND NOT EXISTS (SELECT 1 FROM manifest_references r WHERE r.child_digest = b.digest"
            + "   AND r.repository_id = rb.repository_id)"
            + " ORDER BY rb.blob_id LIMIT ?";

    @Override
    public List<Digest> unreferencedLinks(RepositoryName repository, Instant cutoff, Digest after, int limit) {
        Optional<Long> id = repositoryId(repository);
        if (id.isEmpty()) {
            return List.of();
        }
        Optional<Long> start = pageStart(after);
        if (start.isEmpty()) {
            return List.of();
        }
        return query(UNREFERENCED_LINKS, rs -> Digest.parse(rs.getString(1)), id.get(), cutoff.toEpochMilli(),
                start.get(), limit);
    }

    @Override
    public boolean removeRepositoryIfEmpty(RepositoryName repository) {
        return update("DELETE FROM repositories WHERE name = ?"
                + " AND NOT EXISTS (SELECT 1 FROM repository_blobs WHERE repository_id = repositories.id)"
                + " AND NOT EXISTS (SELECT 1 FROM manifests WHERE repository_id = repositories.id)"
                + " AND NOT EXISTS (SELECT 1 FROM tags WHERE repository_id = repositories.id)", repository.value()) > 0;
    }

    /**
     * The conditions under which a blob may go: old enough, linked to no repository, referenced by no manifest
     * and not itself a manifest anywhere.
     */
    private static final String COLLECTABLE = "b.deleting = 0 AND b.touched_at <= ?"
            + " AND NOT EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.blob_id = b.id)"
            + " AND NOT EXISTS (SELECT 1 FROM manifest_references r WHERE r.child_digest = b.digest)"
            + " AND NOT EXISTS (SELECT 1 FROM manifests m WHERE m.blob_id = b.id)";

    @Override
    public List<BlobRecord> collectableBlobs(Instant cutoff, Digest after, int limit) {
        return query("SELECT b.digest, b.size FROM blobs b WHERE b.digest > ? AND " + COLLECTABLE
                        + " ORDER BY b.digest LIMIT ?",
                rs -> new BlobRecord(Digest.parse(rs.getString(1)), rs.getLong(2)),
                after == null ? "" : after.toString(), cutoff.toEpochMilli(), limit);
    }

    @Override
    public boolean markDeleting(Digest digest, Instant cutoff) {
        return update("UPDATE blobs AS b SET deleting = 1 WHERE b.digest = ? AND " + COLLECTABLE,
                digest.toString(), cutoff.toEpochMilli()) > 0;
    }

    @Override
    public boolean markOrphanDeleting(Digest digest) {
        long now = now();
        return update("INSERT INTO blobs (digest, size, created_at, touched_at, deleting) VALUES (?, 0, ?, ?, 1)"
                + " ON CONFLICT (digest) DO NOTHING", digest.toString(), now, now) > 0;
    }

    @Override
    public List<BlobRecord> blobsBeingDeleted(int limit) {
        return query("SELECT digest, size FROM blobs WHERE deleting = 1 ORDER BY digest LIMIT ?",
                rs -> new BlobRecord(Digest.parse(rs.getString(1)), rs.getLong(2)), limit);
    }

    @Override
    public void forgetBlob(Digest digest) {
        Optional<Long> id = one("SELECT id FROM blobs WHERE digest = ? AND deleting = 1", rs -> rs.getLong(1),
                digest.toString());
        if (id.isPresent()) {
            update("DELETE FROM staged_blobs WHERE blob_id = ?", id.get()); // first: its foreign key names the blob
            update("DELETE FROM blobs WHERE id = ?", id.get());
        }
    }

    @Override
    public long startGcRun(boolean dryRun) {
        update("INSERT INTO gc_runs (started_at, dry_run) VALUES (?, ?)", now(), dryRun ? 1 : 0);
        return one("SELECT last_insert_rowid()", rs -> rs.getLong(1)).orElseThrow();
    }

    @Override
    public void finishGcRun(GcRunRecord run) {
        update("UPDATE gc_runs SET finished_at = ?, manifests_deleted = ?, links_removed = ?, blobs_deleted = ?,"
                        + " bytes_reclaimed = ?, error = ? WHERE id = ?",
                run.finished() == null ? now() : run.finished().toEpochMilli(), run.manifestsDeleted(),
                run.linksRemoved(), run.blobsDeleted(), run.bytesReclaimed(), run.error(), run.id());
    }

    @Override
    public SqliteOutbox outbox() {
        return outbox;
    }

    @Override
    public SqliteStaging staging() {
        return staging;
    }
}
