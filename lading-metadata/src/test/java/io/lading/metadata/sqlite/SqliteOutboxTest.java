package io.lading.metadata.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lading.metadata.DeadLetter;
import io.lading.metadata.EventRecord;
import io.lading.metadata.PendingEvent;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteOutboxTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static EventRecord event(String id, String repo) {
        return new EventRecord(0, id, repo, "push", "{\"id\":\"" + id + "\"}", T0);
    }

    private static List<String> ids(List<PendingEvent> events) {
        return events.stream().map(p -> p.event().id()).toList();
    }

    @Test
    void anEventRollsBackWithTheChangeItDescribes() {
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            assertThatThrownBy(() -> store.write(tx -> {
                tx.outbox().append(event("e1", "a"), List.of("hook"));
                throw new IllegalStateException("the change failed");
            })).hasMessage("the change failed");
            assertThat(store.<Long>read(tx -> tx.outbox().backlog("hook"))).isZero();
        }
    }

    @Test
    void aFailingRepositoryWaitsWithoutHoldingUpOthersAndKeepsItsOrder() {
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            store.write(tx -> {
                for (String id : List.of("a1", "b1", "a2", "b2", "a3")) {
                    tx.outbox().append(event(id, id.substring(0, 1)), List.of("hook", "other"));
                }
                return null;
            });
            List<PendingEvent> first = store.write(tx -> tx.outbox().due("hook", T0, 10));
            assertThat(ids(first)).containsExactly("a1", "b1", "a2", "b2", "a3");

            List<PendingEvent> aOnly = first.stream().filter(p -> p.event().repository().equals("a")).toList();
            List<PendingEvent> bOnly = first.stream().filter(p -> p.event().repository().equals("b")).toList();
            store.write(tx -> {
                tx.outbox().failed("hook", aOnly, T0.plusSeconds(60), "HTTP 503");
                tx.outbox().delivered("hook", bOnly, T0);
                return null;
            });
            // a waits out its failure; b is done; the other endpoint still has everything.
            assertThat(store.<List<PendingEvent>>write(tx -> tx.outbox().due("hook", T0.plusSeconds(1), 10))).isEmpty();
            assertThat(store.<Long>read(tx -> tx.outbox().backlog("other"))).isEqualTo(5);
            List<PendingEvent> retry = store.write(tx -> tx.outbox().due("hook", T0.plusSeconds(60), 2));
            assertThat(ids(retry)).containsExactly("a1", "a2");
            assertThat(retry).allSatisfy(p -> assertThat(p.failures()).isEqualTo(1));
            assertThat(store.<java.util.Optional<Instant>>read(tx -> tx.outbox().nextDue("hook")))
                    .hasValue(T0.plusSeconds(60));
        }
    }

    @Test
    void deadLettersAreListedAndReplayedInOrderAndSurviveRestart(@TempDir Path dir) {
        Path db = dir.resolve("m.db");
        try (SqliteMetadataStore store = SqliteMetadataStore.open(db)) {
            store.write(tx -> {
                tx.outbox().append(event("x1", "r"), List.of("hook"));
                tx.outbox().append(event("x2", "r"), List.of("hook"));
                return null;
            });
            store.write(tx -> {
                List<PendingEvent> due = tx.outbox().due("hook", T0, 1);
                tx.outbox().failed("hook", due, T0, "HTTP 500");
                tx.outbox().deadLetter("hook", due, T0, "HTTP 500");
                return null;
            });
        }
        try (SqliteMetadataStore store = SqliteMetadataStore.open(db)) {
            List<DeadLetter> letters = store.read(tx -> tx.outbox().deadLetters("hook", 0, 10));
            assertThat(letters).singleElement().satisfies(l -> {
                assertThat(l.event().id()).isEqualTo("x1");
                assertThat(l.event().payload()).isEqualTo("{\"id\":\"x1\"}");
                assertThat(l.failures()).isEqualTo(1);
                assertThat(l.error()).isEqualTo("HTTP 500");
            });
            assertThat(store.<List<String>>read(tx -> tx.outbox().endpoints())).containsExactly("hook");
            assertThat(ids(store.write(tx -> tx.outbox().due("hook", T0, 10)))).containsExactly("x2");
            assertThat(store.<Integer>write(tx -> tx.outbox().replay("hook", List.of(), T0))).isEqualTo(1);
            List<PendingEvent> all = store.write(tx -> tx.outbox().due("hook", T0, 10));
            assertThat(ids(all)).containsExactly("x1", "x2");
            store.write(tx -> {
                tx.outbox().delivered("hook", all, T0);
                return null;
            });
            assertThat(store.<Long>read(tx -> tx.outbox().backlog("hook"))).isZero();
            assertThat(store.<Long>read(tx -> tx.outbox().deadLetterCount("hook"))).isZero();
            assertThat(store.<List<String>>read(tx -> tx.outbox().endpoints())).isEmpty();
            // Delivered events leave no row behind.
            assertThat(store.<Long>read(tx -> ((SqliteTx) tx).one("SELECT COUNT(*) FROM events", rs -> rs.getLong(1))
                    .orElseThrow())).isZero();
        }
    }

    @Test
    void replayingOneDeadLetterLeavesTheOthers() {
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            store.write(tx -> {
                tx.outbox().append(event("d1", "a"), List.of("hook"));
                tx.outbox().append(event("d2", "b"), List.of("hook"));
                List<PendingEvent> due = tx.outbox().due("hook", T0, 10);
                tx.outbox().deadLetter("hook", due, T0, "HTTP 500");
                return null;
            });
            long second = store.<List<DeadLetter>>read(tx -> tx.outbox().deadLetters("hook", 0, 10)).get(1).event().seq();
            assertThat(store.<Integer>write(tx -> tx.outbox().replay("hook", List.of(second), T0))).isEqualTo(1);
            assertThat(store.<Integer>write(tx -> tx.outbox().replay("hook", List.of(second), T0))).isZero();
            assertThat(ids(store.read(tx -> tx.outbox().due("hook", T0, 10)))).containsExactly("d2");
            assertThat(store.<List<DeadLetter>>read(tx -> tx.outbox().deadLetters("hook", 0, 10)))
                    .extracting(l -> l.event().id()).containsExactly("d1");
        }
    }
}
