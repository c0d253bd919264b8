package io.lading.metadata.sqlite;

import io.lading.metadata.DeadLetter;
import io.lading.metadata.EventRecord;
import io.lading.metadata.Outbox;
import io.lading.metadata.PendingEvent;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The events outbox on the tables of V3__events.sql, using the statements of the transaction it belongs to. */
final class SqliteOutbox implements Outbox {
    private static final String EVENT_COLUMNS = "e.seq, e.id, e.repository, e.action, e.payload, e.created_at";

    private final SqliteTx tx;

    SqliteOutbox(SqliteTx tx) {
        this.tx = tx;
    }

    private static EventRecord event(ResultSet rs) throws SQLException {
        return new EventRecord(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                Instant.ofEpochMilli(rs.getLong(6)));
    }

    @Override
    public long append(EventRecord e, Collection<String> endpoints) {
        if (endpoints.isEmpty()) {
            return 0;
        }
        tx.update("INSERT INTO events (id, repository, action, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                e.id(), e.repository(), e.action(), e.payload(), e.createdAt().toEpochMilli());
        long seq = tx.one("SELECT last_insert_rowid()", rs -> rs.getLong(1)).orElseThrow();
        for (String endpoint : endpoints) {
            enqueue(endpoint, e.repository(), seq, e.createdAt());
        }
        return seq;
    }

    private void enqueue(String endpoint, String repository, long seq, Instant due) {
        tx.update("INSERT INTO event_deliveries (endpoint, repository, seq) VALUES (?, ?, ?)", endpoint, repository, seq);
        tx.update("INSERT INTO event_queues (endpoint, repository, next_attempt_at) VALUES (?, ?, ?)"
                + " ON CONFLICT (endpoint, repository) DO NOTHING", endpoint, repository, due.toEpochMilli());
    }

    @Override
    public List<PendingEvent> due(String endpoint, Instant now, int limit) {
        record Queue(String repository, int failures) {
        }
        // Repositories in the order they became due: one that was just served goes behind the others.
        List<Queue> queues = tx.query("SELECT repository, attempts FROM event_queues WHERE endpoint = ?"
                        + " AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
                rs -> new Queue(rs.getString(1), rs.getInt(2)), endpoint, now.toEpochMilli(), limit);
        List<PendingEvent> out = new ArrayList<>();
        for (Queue q : queues) {
            if (out.size() >= limit) {
                break;
            }
            for (EventRecord e : tx.query("SELECT " + EVENT_COLUMNS + " FROM event_deliveries d"
                            + " JOIN events e ON e.seq = d.seq WHERE d.endpoint = ? AND d.repository = ?"
                            + " ORDER BY d.seq LIMIT ?", SqliteOutbox::event, endpoint, q.repository(),
                    limit - out.size())) {
                out.add(new PendingEvent(e, q.failures()));
            }
        }
        out.sort(Comparator.comparingLong(p -> p.event().seq()));
        return out;
    }

    @Override
    public void delivered(String endpoint, Collection<PendingEvent> events, Instant now) {
        for (PendingEvent p : events) {
            tx.update("DELETE FROM event_deliveries WHERE endpoint = ? AND repository = ? AND seq = ?", endpoint,
                    p.event().repository(), p.event().seq());
        }
        for (String repository : repositories(events)) {
            tx.update("UPDATE event_queues SET attempts = 0, last_error = NULL, next_attempt_at = ?"
                    + " WHERE endpoint = ? AND repository = ?", now.toEpochMilli(), endpoint, repository);
        }
        tidy(endpoint, events);
    }

    @Override
    public void failed(String endpoint, Collection<PendingEvent> events, Instant next, String error) {
        for (String repository : repositories(events)) {
            tx.update("UPDATE event_queues SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
                    + " WHERE endpoint = ? AND repository = ?", error, next.toEpochMilli(), endpoint, repository);
        }
    }

    @Override
    public void deadLetter(String endpoint, Collection<PendingEvent> events, Instant now, String error) {
        for (PendingEvent p : events) {
            if (tx.update("DELETE FROM event_deliveries WHERE endpoint = ? AND repository = ? AND seq = ?", endpoint,
                    p.event().repository(), p.event().seq()) > 0) {
                // The failures counted by the queue, including the attempt that gave up.
                tx.update("INSERT INTO event_dead_letters (endpoint, seq, attempts, dead_at, error)"
                                + " VALUES (?, ?, COALESCE((SELECT attempts FROM event_queues WHERE endpoint = ?"
                                + " AND repository = ?), ?), ?, ?) ON CONFLICT (endpoint, seq) DO NOTHING", endpoint,
                        p.event().seq(), endpoint, p.event().repository(), p.failures(), now.toEpochMilli(), error);
            }
        }
        tidy(endpoint, events);
    }

    /** Drops queues left empty and events no endpoint waits for any more. */
    private void tidy(String endpoint, Collection<PendingEvent> events) {
        for (String repository : repositories(events)) {
            tx.update("DELETE FROM event_queues WHERE endpoint = ? AND repository = ? AND NOT EXISTS (SELECT 1 FROM"
                    + " event_deliveries d WHERE d.endpoint = ? AND d.repository = ?)", endpoint, repository, endpoint,
                    repository);
        }
        for (PendingEvent p : events) {
            dropIfDone(p.event().seq());
        }
    }

    private void dropIfDone(long seq) {
        tx.update("DELETE FROM events WHERE seq = ? AND NOT EXISTS (SELECT 1 FROM event_deliveries WHERE seq = ?)"
                + " AND NOT EXISTS (SELECT 1 FROM event_dead_letters WHERE seq = ?)", seq, seq, seq);
    }

    private static Set<String> repositories(Collection<PendingEvent> events) {
        Set<String> out = new LinkedHashSet<>();
        events.forEach(p -> out.add(p.event().repository()));
        return out;
    }

    @Override
    public int replay(String endpoint, Collection<Long> seqs, Instant now) {
        if (seqs.isEmpty()) {
            return requeue(endpoint, null, now);
        }
        int n = 0;
        for (long seq : seqs) {
            n += requeue(endpoint, seq, now);
        }
        return n;
    }

    /** Moves the endpoint's dead letters (all, or the one numbered {@code seq}) back to its queues, in SQL. */
    private int requeue(String endpoint, Long seq, Instant now) {
        String from = " FROM event_dead_letters l JOIN events e ON e.seq = l.seq WHERE l.endpoint = ?"
                + (seq == null ? "" : " AND l.seq = ?");
        Object[] which = seq == null ? new Object[]{endpoint} : new Object[]{endpoint, seq};
        tx.update("INSERT INTO event_deliveries (endpoint, repository, seq) SELECT l.endpoint, e.repository, l.seq"
                + from, which);
        Object[] withTime = new Object[which.length + 1];
        withTime[0] = now.toEpochMilli();
        System.arraycopy(which, 0, withTime, 1, which.length);
        tx.update("INSERT INTO event_queues (endpoint, repository, next_attempt_at) SELECT DISTINCT l.endpoint,"
                + " e.repository, ?" + from + " ON CONFLICT (endpoint, repository) DO NOTHING", withTime);
        return tx.update("DELETE FROM event_dead_letters AS l WHERE l.endpoint = ?" + (seq == null ? ""
                : " AND l.seq = ?"), which);
    }

    // ---- reads ----------------------------------------------------------------------------------------------

    private static final String DEAD_LETTERS = "SELECT " + EVENT_COLUMNS + ", l.endpoint, l.attempts, l.dead_at,"
            + " l.error FROM event_dead_letters l JOIN events e ON e.seq = l.seq WHERE l.endpoint = ?";

    private static DeadLetter deadLetter(ResultSet rs) throws SQLException {
        return new DeadLetter(rs.getString(7), event(rs), rs.getInt(8), Instant.ofEpochMilli(rs.getLong(9)),
                rs.getString(10));
    }

    @Override
    public long backlog(String endpoint) {
        return tx.one("SELECT COUNT(*) FROM event_deliveries WHERE endpoint = ?", rs -> rs.getLong(1), endpoint)
                .orElse(0L);
    }

    @Override
    public long deadLetterCount(String endpoint) {
        return tx.one("SELECT COUNT(*) FROM event_dead_letters WHERE endpoint = ?", rs -> rs.getLong(1), endpoint)
                .orElse(0L);
    }

    @Override
    public List<DeadLetter> deadLetters(String endpoint, long afterSeq, int limit) {
        return tx.query(DEAD_LETTERS + " AND l.seq > ? ORDER BY l.seq LIMIT ?", SqliteOutbox::deadLetter, endpoint,
                afterSeq, limit);
    }

    @Override
    public Optional<Instant> nextDue(String endpoint) {
        return tx.one("SELECT next_attempt_at FROM event_queues WHERE endpoint = ? ORDER BY next_attempt_at LIMIT 1",
                rs -> Instant.ofEpochMilli(rs.getLong(1)), endpoint);
    }

    @Override
    public List<String> endpoints() {
        return tx.query("SELECT endpoint FROM event_queues UNION SELECT endpoint FROM event_dead_letters"
                + " ORDER BY 1", rs -> rs.getString(1));
    }
}
