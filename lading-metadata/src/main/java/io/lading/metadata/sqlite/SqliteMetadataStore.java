package io.lading.metadata.sqlite;

import io.lading.metadata.MetadataException;
import io.lading.metadata.MetadataStore;
import io.lading.metadata.ReadTx;
import io.lading.metadata.WriteTx;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default {@link MetadataStore}: one SQLite database in WAL mode.
 *
 * <p>SQLite allows one writer at a time, so there is exactly one write connection, taken under a
 * {@link ReentrantLock} (never {@code synchronized}, which would pin virtual threads); readers use a small pool
 * of their own connections and never wait for the writer. A durable write returns only once its change is on
 * disk: a 201 means stored. The sync is pipelined: the writer commits without one ({@code synchronous=NORMAL}
 * appends to the write-ahead log and returns) and gives the write lock to the next group; the durable writers of
 * the group then fsync the log themselves, one fsync covering every group committed before it. So one group's sync
 * overlaps the next group's work, and a change can be visible to readers a moment before its writer is answered
 * (a power cut in that moment loses it, as it loses any write whose client has not been answered).
 * {@link #inMemory()} gives the same implementation on a private in-memory database, which is what tests use, so
 * tests and production run the same SQL.
 */
public final class SqliteMetadataStore implements MetadataStore {
    private static final Logger LOG = LoggerFactory.getLogger(SqliteMetadataStore.class);
    /** Migrations in order; the database's {@code user_version} is how many have run. */
    static final List<String> MIGRATIONS = List.of("V1__init.sql", "V2__gc.sql", "V3__events.sql",
            "V4__staging.sql", "V5__blob_ids.sql");
    private static final int READERS = 4;
    /** A data version no connection reports (SQLite's are never negative). */
    private static final long UNKNOWN_DATA_VERSION = -1;

    /**
     * Pages the log holds before the commit that crosses the mark copies them into the database file (SQLite's
     * default is 1 000, 4 MiB). That checkpoint runs inside the commit, under the write lock, with a sync of the
     * log before it and of the database after it, and copies each page once however often it changed since the
     * last one. A manifest push changes about fifteen pages, many of them pages earlier pushes changed too, so at
     * 1 000 a burst of pushes checkpointed several times a second; at 10 000 (about 40 MiB of log) a page changed
     * again and again is copied once per 10 000, and the two syncs come a tenth as often (decision 0005).
     */
    private static final int CHECKPOINT_PAGES = 10_000;
    /** Bytes the log file is cut back to after a checkpoint, should one large write have grown it past this. */
    private static final long LOG_SIZE_LIMIT = 64L << 20;

    /** Most writes committed by one COMMIT; bounds the time a batch holds the lock. */
    private static final int MAX_GROUP = 128;

    private final ReentrantLock writeLock = new ReentrantLock();
    private final ConcurrentLinkedQueue<Pending<?>> queue = new ConcurrentLinkedQueue<>();
    private final SqliteTx writer;
    /** The writer connection's current {@code synchronous} setting (FULL when true); guarded by the write lock. */
    private boolean durableCommits = true;
    /**
     * The write-ahead log, which durable writers fsync after their commit; null when SQLite syncs in COMMIT
     * instead (an in-memory database, or a log file that could not be opened).
     */
    private final Path logFile;
    private final ReentrantLock syncLock = new ReentrantLock();
    /** The channel the log is synced through; guarded by the sync lock (reopened when an interrupt closed it). */
    private FileChannel log;
    private volatile boolean closed;
    /** Groups committed so far; advanced under the write lock after each COMMIT. */
    private volatile long committedGroups;
    /** Groups known to be on disk; advanced under the sync lock. */
    private volatile long syncedGroups;
    /**
     * Why a sync of the log failed, after which no write can be acknowledged as durable: Linux may drop the
     * unwritten pages of a failed fsync and report success to the next one, so later commits could sit behind a
     * hole in the log. The registry must be restarted (SQLite's recovery then reads the log as it is on disk).
     */
    private volatile IOException syncFailure;
    private final BlockingQueue<SqliteTx> readers;
    /** Where commits of every process show (a database file in WAL mode); null for an in-memory database. */
    private final WalIndexHeader walIndex;
    /**
     * What {@link #changeCount} returns: moved by every commit that may change what lookups read, and by every
     * commit this store did not make itself (another process's, whatever it changed). Commits of the registry's
     * own bookkeeping (upload sessions, staged bytes written out, event deliveries) leave it, so that lookups kept
     * by the layer above survive them. Written under the change lock.
     */
    private volatile long lookupEpoch;
    /** The wal-index version {@link #lookupEpoch} accounts for; written under the change lock, after the epoch. */
    private volatile long accountedVersion;
    /** True from just before this store's COMMIT until its version is accounted for; under the change lock. */
    private boolean commitInFlight;
    private final ReentrantLock changeLock = new ReentrantLock();
    /** Runs right after each COMMIT, before it is accounted for (tests: another process committing just then). */
    private volatile Runnable afterCommit;
    private final String description;
    private final String url;

    /** @param file the database file, null for a private in-memory database */
    private SqliteMetadataStore(String url, Path file, String description) {
        boolean shared = file != null;
        this.description = description;
        this.url = url;
        try {
            Connection w = connect(url);
            configure(w, true);
            migrate(w);
            this.writer = new SqliteTx(w);
            Path wal = file == null ? null : file.resolveSibling(file.getFileName() + "-wal");
            this.log = wal == null ? null : openLog(wal);
            this.logFile = log == null ? null : wal;
            if (shared) {
                this.readers = new ArrayBlockingQueue<>(READERS);
                for (int i = 0; i < READERS; i++) {
                    Connection r = connect(url);
                    configure(r, false);
                    readers.add(new SqliteTx(r));
                }
            } else {
                this.readers = null;
            }
            this.walIndex = shared ? openWalIndex(w, file) : null;
            this.accountedVersion = walIndex == null ? 0 : walIndex.version();
        } catch (SQLException e) {
            throw new MetadataException("cannot open metadata store " + description + ": " + e.getMessage(), e);
        }
    }

    /**
     * Maps the wal-index header of {@code file} for {@link #changeCount}; null (and nothing is cached) when the
     * database is not in WAL mode or its shared-memory file cannot be mapped.
     */
    private static WalIndexHeader openWalIndex(Connection c, Path file) throws SQLException {
        try (Statement s = c.createStatement(); var rs = s.executeQuery("PRAGMA journal_mode")) {
            String mode = rs.next() ? rs.getString(1) : null;
            if (!"wal".equalsIgnoreCase(mode)) {
                LOG.warn("the metadata database {} is in journal mode {}, not WAL; reads are not cached", file, mode);
                return null;
            }
        }
        Path shm = file.resolveSibling(file.getFileName() + "-shm");
        try {
            WalIndexHeader header = WalIndexHeader.open(shm).orElse(null);
            if (header == null) {
                LOG.warn("the metadata database {} has no shared-memory file {}; reads are not cached", file, shm);
            }
            return header;
        } catch (IOException e) {
            LOG.warn("cannot map {} ({}); metadata reads are not cached", shm, e.toString());
            return null;
        }
    }

    /**
     * Opens the write-ahead log (which SQLite has created by now) for durable writers to fsync; null, and SQLite
     * keeps syncing in COMMIT, when the log file cannot be opened.
     */
    private static FileChannel openLog(Path file) {
        try {
            return logChannel(file);
        } catch (IOException e) {
            LOG.warn("cannot open the metadata log {} ({}); commits sync on their own, one after the other",
                    file, e.toString());
            return null;
        }
    }

    private static FileChannel logChannel(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.READ); // fsync needs no write access
    }

    /** Opens (creating and migrating if needed) the database file. */
    public static SqliteMetadataStore open(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new MetadataException("cannot create directory for " + file + ": " + e.getMessage(), e);
        }
        return new SqliteMetadataStore("jdbc:sqlite:" + file.toAbsolutePath(), file.toAbsolutePath(),
                file.toString());
    }

    /** A private, empty in-memory database (for tests and {@code storage: inmemory} setups). */
    public static SqliteMetadataStore inMemory() {
        return new SqliteMetadataStore("jdbc:sqlite::memory:", null, ":memory:");
    }

    /**
     * Opens a connection to {@code url}. The driver's generated-key retrieval is off: with it on, every INSERT
     * that went through JDBC was followed by a second statement, prepared afresh, reading last_insert_rowid() for
     * {@code getGeneratedKeys()}, which nothing here calls (the two inserts that need the row id ask SQLite
     * themselves). It took a fifth of the time of a manifest push's statements (async-profiler, c=16).
     */
    static Connection connect(String url) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("jdbc.get_generated_keys", "false");
        return DriverManager.getConnection(url, properties);
    }

    private static void configure(Connection c, boolean writer) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout = 10000");
            if (writer) {
                s.execute("PRAGMA journal_mode = WAL");
                s.execute("PRAGMA wal_autocheckpoint = " + CHECKPOINT_PAGES);
                s.execute("PRAGMA journal_size_limit = " + LOG_SIZE_LIMIT);
                // Each work of a group runs in a savepoint, whose undo pages (the sub-journal) SQLite moves into a
                // temporary file once they pass 64 KiB; a manifest push changes about 15 pages, so most groups
                // did, paying a file, two pwrites a page and an unlink. In memory they cost a copy. Large
                // collector and purge statements work in batches (LIMIT), which bounds this memory.
                s.execute("PRAGMA temp_store = MEMORY");
            }
            s.execute("PRAGMA synchronous = FULL");
            s.execute("PRAGMA foreign_keys = ON");
            // Page cache per connection in KiB (negative = KiB): 8 MiB for the writer, 2 MiB for each reader.
            s.execute("PRAGMA cache_size = " + (writer ? -8192 : -2048));
        }
    }

    private static void migrate(Connection c) throws SQLException {
        int version;
        try (Statement s = c.createStatement(); var rs = s.executeQuery("PRAGMA user_version")) {
            version = rs.next() ? rs.getInt(1) : 0;
        }
        if (version > MIGRATIONS.size()) {
            throw new SQLException("database schema version " + version + " is newer than this Lading ("
                    + MIGRATIONS.size() + "); upgrade Lading");
        }
        if (version == MIGRATIONS.size()) {
            return;
        }
        // A migration that rebuilds a table drops the one other tables' foreign keys point at, which SQLite does
        // not allow while it enforces them (and the pragma has no effect inside a transaction). So they are off for
        // the migrations, and each checks them itself before it commits.
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA foreign_keys = OFF");
        }
        try {
            for (int i = version; i < MIGRATIONS.size(); i++) {
                migrate(c, i);
            }
        } finally {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA foreign_keys = ON");
            }
        }
    }

    /** Runs migration {@code i} (counting from 0) in one transaction. */
    private static void migrate(Connection c, int i) throws SQLException {
        String name = MIGRATIONS.get(i);
        String sql = resource(name);
        // A migration may rewrite whole tables (version 5 took 11 s for 100 000 manifests): say so before it starts.
        LOG.info("metadata schema: migrating to version {} ({})", i + 1, name);
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            for (String stmt : statements(sql)) {
                s.execute(stmt);
            }
            try (var rs = s.executeQuery("PRAGMA foreign_key_check")) {
                if (rs.next()) {
                    throw new SQLException("migration " + name + " left a row of " + rs.getString(1)
                            + " whose foreign key into " + rs.getString(3) + " finds nothing");
                }
            }
            s.execute("PRAGMA user_version = " + (i + 1));
            c.commit();
            LOG.info("metadata schema migrated to version {} ({})", i + 1, name);
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    static List<String> statements(String sql) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : sql.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("--") || trimmed.isEmpty()) {
                continue;
            }
            current.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                out.add(current.toString().strip());
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            out.add(current.toString().strip());
        }
        return out;
    }

    static String resource(String name) throws SQLException {
        try (InputStream in = SqliteMetadataStore.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new SQLException("migration " + name + " missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SQLException("cannot read migration " + name, e);
        }
    }

    @Override
    public <T> T read(Work<ReadTx, T> work) {
        if (readers == null) {
            return locked(() -> work.run(writer));
        }
        SqliteTx tx;
        try {
            tx = readers.poll(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MetadataException("interrupted waiting for a metadata connection", e);
        }
        if (tx == null) {
            throw new MetadataException("no metadata read connection free for 30 s", null);
        }
        try {
            return work.run(tx);
        } finally {
            readers.add(tx);
        }
    }

    /**
     * Runs {@code work} in a write transaction, committed together with whatever other writes are waiting
     * (group commit). A thread queues its work and takes the write lock; whoever holds the lock runs every queued
     * work in one transaction, each inside its own savepoint, and pays one {@code COMMIT} (one fsync) for all of
     * them. A work that throws is rolled back to its savepoint alone; the others still commit. A caller returns
     * only after the commit that holds its change.
     */
    @Override
    public <T> T write(Durability durability, Work<WriteTx, T> work) {
        boolean sync = durability == Durability.DURABLE && logFile != null;
        if (sync) {
            failIfSyncFailed();
        }
        Pending<T> mine = new Pending<>(work, durability);
        queue.add(mine);
        writeLock.lock();
        try {
            while (!mine.done) { // more than MAX_GROUP may be queued ahead of this one
                commitQueued();
            }
        } finally {
            writeLock.unlock();
        }
        if (sync && mine.error == null) {
            syncThrough(mine.group);
        }
        return mine.outcome();
    }

    /** Returns once the log is on disk up to and including committed group {@code group}. */
    private void syncThrough(long group) {
        if (syncedGroups >= group) {
            return;
        }
        syncLock.lock();
        try {
            if (syncedGroups >= group) {
                return; // the sync that ran while this one waited covered it
            }
            failIfSyncFailed();
            long upTo = committedGroups; // every group counted here has written its frames to the log
            try {
                forceLog();
            } catch (IOException e) {
                syncFailure = e;
                LOG.error("syncing the metadata log failed; no write can be acknowledged until a restart", e);
                failIfSyncFailed();
            }
            syncedGroups = upTo;
        } finally {
            syncLock.unlock();
        }
    }

    /**
     * fdatasyncs the log; called under the sync lock. A FileChannel is interruptible: an interrupt of the thread
     * syncing it would close it for every writer (and fail every later durable write). So the caller's interrupt
     * status is set aside for the sync and restored after it, and a channel closed by an interrupt that arrives
     * during the sync is reopened and the sync done again.
     */
    private void forceLog() throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 1; ; attempt++) {
                try {
                    log.force(false);
                    return;
                } catch (java.nio.channels.ClosedChannelException e) {
                    interrupted |= Thread.interrupted();
                    if (closed || attempt == 3) {
                        throw e;
                    }
                    log = logChannel(logFile);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void failIfSyncFailed() {
        IOException e = syncFailure;
        if (e != null) {
            throw new MetadataException("the metadata log could not be synced to disk (" + e.getMessage()
                    + "); restart the registry", e);
        }
    }

    private void commitQueued() {
        List<Pending<?>> batch = new ArrayList<>();
        for (Pending<?> p; batch.size() < MAX_GROUP && (p = queue.poll()) != null; ) {
            batch.add(p);
        }
        try {
            // In WAL mode, synchronous=NORMAL commits without an fsync. With the log open here, durable writers
            // sync it after the commit (syncThrough); without, a group with a durable write commits FULL, which
            // syncs the log up to itself, so the earlier NORMAL commits become durable with it.
            boolean durable = logFile == null && batch.stream().anyMatch(p -> p.durability == Durability.DURABLE);
            if (durable != durableCommits) {
                writer.synchronous(durable ? "FULL" : "NORMAL");
                durableCommits = durable;
            }
            writer.begin();
        } catch (RuntimeException e) {
            batch.forEach(p -> {
                p.fail(e);
                p.done = true;
            });
            return;
        }
        boolean committed = false;
        try {
            if (batch.size() == 1) {
                // Alone in its group: a failure rolls the whole transaction back, which is its savepoint.
                Pending<?> p = batch.get(0);
                writer.beginWork();
                try {
                    p.run(writer);
                } catch (RuntimeException | Error e) {
                    writer.endWork(false);
                    p.error = e;
                    return; // rolled back below
                }
                writer.endWork(true);
            } else {
                for (Pending<?> p : batch) {
                    writer.savepoint();
                    writer.beginWork();
                    try {
                        p.run(writer);
                        writer.releaseSavepoint();
                        writer.endWork(true);
                    } catch (RuntimeException | Error e) {
                        writer.endWork(false);
                        writer.rollbackToSavepoint();
                        p.error = e;
                    }
                }
            }
            SqliteTx.Changes changes = writer.takeChanges();
            long before = beginCommit();
            long othersBefore = walIndex == null ? 0 : dataVersion();
            writer.commit();
            committed = true;
            Runnable hook = afterCommit;
            if (hook != null) {
                hook.run();
            }
            endCommit(before, othersBefore, changes);
            long group = ++committedGroups; // only the write lock's holder writes it
            batch.forEach(p -> p.group = group);
        } catch (RuntimeException e) {
            batch.forEach(p -> p.fail(e));
        } finally {
            if (!committed) {
                writer.takeChanges();
                writer.rollback();
                endCommit(0, UNKNOWN_DATA_VERSION, SqliteTx.Changes.ANYTHING); // as if anything had changed
            }
            batch.forEach(p -> p.done = true);
        }
    }

    /**
     * Marks this store's COMMIT as in flight and returns the wal-index version before it. The writer began with
     * BEGIN IMMEDIATE, so SQLite's write lock is held: no other process can commit between this and the COMMIT.
     */
    private long beginCommit() {
        changeLock.lock();
        try {
            commitInFlight = true;
            return walIndex == null ? 0 : walIndex.version();
        } finally {
            changeLock.unlock();
        }
    }

    /**
     * Accounts for this store's commit: the epoch moves when the group may have changed what lookups read, or when
     * any other commit may lie between the version last accounted for and now. SQLite's write lock is released by
     * now, so another process may already have committed after this one. The writer connection's {@code PRAGMA
     * data_version} tells exactly: it moves with every commit of another connection and never with its own, and
     * {@code othersBefore} was read inside the transaction, where no other commit could land; it is read again
     * after the wal-index version here, so a commit it misses is one after that version, which {@link
     * #changeCount} will find. (Counting the header's {@code iChange}, as before, could not tell: a COMMIT whose
     * rows were rewritten with the bytes they held writes nothing to the log, and then another process's one commit
     * looked like this store's.) Then the group's updateLookupsOnCommit actions run, with the epoch as of after the
     * commit, still before {@link #changeCount} can report it (it reports no count while a commit is in flight);
     * not when another commit came after this one, as what they would keep may be older than that commit, whose
     * effects the moved epoch stands for.
     *
     * @param othersBefore the writer's data version before COMMIT; {@link #UNKNOWN_DATA_VERSION} when the group did
     *                     not commit
     */
    private void endCommit(long before, long othersBefore, SqliteTx.Changes changes) {
        changeLock.lock();
        try {
            boolean maybeLater = false;
            if (walIndex == null) {
                if (changes.lookups()) {
                    lookupEpoch++;
                }
            } else if (commitInFlight) {
                long after = walIndex.version();
                maybeLater = othersBefore == UNKNOWN_DATA_VERSION || othersCommitted(othersBefore);
                if (changes.lookups() || maybeLater || before != accountedVersion) {
                    lookupEpoch++;
                }
                accountedVersion = after;
            }
            for (LongConsumer update : maybeLater ? List.<LongConsumer>of() : changes.updates()) {
                try {
                    update.accept(lookupEpoch);
                } catch (RuntimeException e) {
                    lookupEpoch++; // whatever it left behind is out of date now
                    LOG.warn("bringing kept lookups up to date after a commit failed; all are dropped", e);
                }
            }
            commitInFlight = false;
        } finally {
            changeLock.unlock();
        }
    }

    /** Whether another connection committed since the writer's data version was {@code before}; true if unknown. */
    private boolean othersCommitted(long before) {
        long now = dataVersion();
        return now == UNKNOWN_DATA_VERSION || now != before;
    }

    /**
     * The writer connection's data version; {@link #UNKNOWN_DATA_VERSION} when SQLite cannot say, and then the
     * commit counts as one another process may have followed (nothing kept survives it), rather than failing.
     */
    private long dataVersion() {
        try {
            return writer.dataVersion();
        } catch (MetadataException e) {
            return UNKNOWN_DATA_VERSION;
        }
    }

    /** A queued write and, once its group has committed, its outcome. Fields are guarded by the write lock. */
    private static final class Pending<T> {
        private final Work<WriteTx, T> work;
        private final Durability durability;
        private T result;
        private Throwable error;
        private boolean done;
        /** The committed group it was in (see committedGroups). */
        private long group;

        Pending(Work<WriteTx, T> work, Durability durability) {
            this.work = work;
            this.durability = durability;
        }

        void run(WriteTx tx) {
            result = work.run(tx);
        }

        /** The whole group failed (BEGIN or COMMIT): the change is not stored, whatever the work returned. */
        void fail(RuntimeException e) {
            if (error == null) {
                error = e;
            }
            result = null;
        }

        T outcome() {
            if (error instanceof RuntimeException e) {
                throw e;
            }
            if (error instanceof Error e) {
                throw e;
            }
            return result;
        }
    }

    private <T> T locked(java.util.function.Supplier<T> body) {
        writeLock.lock();
        try {
            return body.get();
        } finally {
            writeLock.unlock();
        }
    }

    /** Sets what runs right after each COMMIT, before it is accounted for (for tests). */
    void afterCommit(Runnable hook) {
        afterCommit = hook;
    }

    /** Groups committed so far (for tests). */
    long committedGroups() {
        return committedGroups;
    }

    /** Groups whose commit is known to be on disk through the log sync (for tests; 0 without the log). */
    long syncedGroups() {
        return syncedGroups;
    }

    /**
     * Moves with every commit that may change what a lookup reads, whichever process made it. For a database file
     * this compares the wal-index header, which every commit moves, with the version this store has accounted
     * for: equal, nothing happened since; different, another process committed (the count moves) or this store's
     * own commit is being accounted for (the caller is told to keep nothing). An in-memory database has no other
     * process.
     */
    @Override
    public long changeCount() {
        if (walIndex == null) {
            return readers == null ? lookupEpoch : NO_CHANGE_COUNT;
        }
        long accounted = accountedVersion;
        if (walIndex.version() == accounted) {
            return lookupEpoch; // read after accountedVersion, which is written after it
        }
        changeLock.lock();
        try {
            if (commitInFlight) {
                return NO_CHANGE_COUNT;
            }
            long version = walIndex.version();
            if (version != accountedVersion) {
                lookupEpoch++; // a commit of another process: it may have changed anything
                accountedVersion = version;
            }
            return lookupEpoch;
        } finally {
            changeLock.unlock();
        }
    }

    /**
     * {@code VACUUM INTO} the target: SQLite copies the database as one read transaction sees it, compacted, while
     * writers go on (WAL). SQLite writes the copy without syncing it, so it is synced here, and its directory entry.
     */
    @Override
    public void copyTo(Path target) {
        if (Files.exists(target)) {
            throw new MetadataException("cannot copy the metadata store to " + target + ": the file exists", null);
        }
        try {
            if (readers == null) {
                locked(() -> {
                    writer.vacuumInto(target);
                    return null;
                });
            } else {
                try (Connection c = connect(url)) {
                    SqliteTx.vacuumInto(c, target);
                }
            }
            try (FileChannel ch = FileChannel.open(target, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try (FileChannel ch = FileChannel.open(target.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
                ch.force(true);
            }
        } catch (SQLException | IOException e) {
            throw new MetadataException("cannot copy the metadata store to " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * SQLite's {@code integrity_check} (b-trees, free pages, every index against its table) and
     * {@code foreign_key_check}, then the one reference the schema cannot declare: a tag's manifest. A database
     * too damaged to be read through is one problem, SQLite's message. The in-memory store is checked on its
     * writer (holding it for the check, as {@link #copyTo} does); a file on a connection of its own.
     */
    @Override
    public List<String> integrityProblems() {
        try {
            if (readers == null) {
                return locked(() -> writer.integrityProblems());
            }
            try (Connection c = connect(url)) {
                return SqliteTx.integrityProblems(c);
            }
        } catch (SQLException e) {
            throw new MetadataException("cannot check the metadata store: " + e.getMessage(), e);
        }
    }

    @Override
    public void ping() {
        read(tx -> tx.repositories(null, 1));
    }

    @Override
    public void close() {
        locked(() -> {
            writer.close();
            return null;
        });
        closed = true;
        if (logFile != null) {
            syncLock.lock();
            try {
                log.close();
            } catch (IOException e) {
                LOG.debug("closing the metadata log: {}", e.toString());
            } finally {
                syncLock.unlock();
            }
        }
        if (readers != null) {
            readers.forEach(SqliteTx::close);
        }
        if (walIndex != null) {
            try {
                walIndex.close();
            } catch (IOException e) {
                LOG.debug("closing the wal-index file: {}", e.toString());
            }
        }
    }

    @Override
    public String toString() {
        return "sqlite(" + description + ")";
    }
}
