package io.lading.metadata.sqlite;

import io.lading.metadata.MetadataException;
import io.lading.metadata.MetadataStore;
import io.lading.metadata.ReadTx;
import io.lading.metadata.WriteTx;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default {@link MetadataStore}: one SQLite database in WAL mode.
 *
 * <p>SQLite allows one writer at a time, so there is exactly one write connection, taken under a
 * {@link ReentrantLock} (never {@code synchronized}, which would pin virtual threads); readers use a small pool
 * of their own connections and never wait for the writer. Commits are {@code synchronous=FULL}: a 201 means the
 * change is on disk. {@link #inMemory()} gives the same implementation on a private in-memory database, which is
 * what tests use, so tests and production run the same SQL.
 */
public final class SqliteMetadataStore implements MetadataStore {
    private static final Logger LOG = LoggerFactory.getLogger(SqliteMetadataStore.class);
    /** Migrations in order; the database's {@code user_version} is how many have run. */
    private static final List<String> MIGRATIONS = List.of("V1__init.sql");
    private static final int READERS = 4;

    private final ReentrantLock writeLock = new ReentrantLock();
    private final SqliteTx writer;
    private final BlockingQueue<SqliteTx> readers;
    private final String description;

    private SqliteMetadataStore(String url, boolean shared, String description) {
        this.description = description;
        try {
            Connection w = DriverManager.getConnection(url);
            configure(w, true);
            migrate(w);
            this.writer = new SqliteTx(w);
            if (shared) {
                this.readers = new ArrayBlockingQueue<>(READERS);
                for (int i = 0; i < READERS; i++) {
                    Connection r = DriverManager.getConnection(url);
                    configure(r, false);
                    readers.add(new SqliteTx(r));
                }
            } else {
                this.readers = null;
            }
        } catch (SQLException e) {
            throw new MetadataException("cannot open metadata store " + description + ": " + e.getMessage(), e);
        }
    }

    /** Opens (creating and migrating if needed) the database file. */
    public static SqliteMetadataStore open(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new MetadataException("cannot create directory for " + file + ": " + e.getMessage(), e);
        }
        return new SqliteMetadataStore("jdbc:sqlite:" + file.toAbsolutePath(), true, file.toString());
    }

    /** A private, empty in-memory database (for tests and {@code storage: inmemory} setups). */
    public static SqliteMetadataStore inMemory() {
        return new SqliteMetadataStore("jdbc:sqlite::memory:", false, ":memory:");
    }

    private static void configure(Connection c, boolean writer) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout = 10000");
            if (writer) {
                s.execute("PRAGMA journal_mode = WAL");
            }
            s.execute("PRAGMA synchronous = FULL");
            s.execute("PRAGMA foreign_keys = ON");
            s.execute("PRAGMA cache_size = -16000");
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
        for (int i = version; i < MIGRATIONS.size(); i++) {
            String sql = resource(MIGRATIONS.get(i));
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                for (String stmt : statements(sql)) {
                    s.execute(stmt);
                }
                s.execute("PRAGMA user_version = " + (i + 1));
                c.commit();
                LOG.info("metadata schema migrated to version {} ({})", i + 1, MIGRATIONS.get(i));
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
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

    private static String resource(String name) throws SQLException {
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

    @Override
    public <T> T write(Work<WriteTx, T> work) {
        return locked(() -> {
            writer.begin();
            boolean committed = false;
            try {
                T result = work.run(writer);
                writer.commit();
                committed = true;
                return result;
            } finally {
                if (!committed) {
                    writer.rollback();
                }
            }
        });
    }

    private <T> T locked(java.util.function.Supplier<T> body) {
        writeLock.lock();
        try {
            return body.get();
        } finally {
            writeLock.unlock();
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
        if (readers != null) {
            readers.forEach(SqliteTx::close);
        }
    }

    @Override
    public String toString() {
        return "sqlite(" + description + ")";
    }
}
