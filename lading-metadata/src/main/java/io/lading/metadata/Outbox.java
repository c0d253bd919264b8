package io.lading.metadata;

import java.time.Instant;
import java.util.Collection;
import java.util.List;

/**
 * The events outbox, inside a write transaction. An event appended here commits or rolls back with the change
 * it describes, so a committed change always has its event, and an event never describes a change that did not
 * happen. Delivery is ordered per endpoint and repository: {@link #due} hands out a repository's events oldest
 * first, and only when its queue is not waiting out a failure.
 *
 * <pre>{@code
 * store.write(tx -> { tx.putTag(repo, tag, digest); tx.outbox().append(event, List.of("hook")); return null; });
 * List<PendingEvent> batch = store.read(tx -> tx.outbox().due("hook", now, 50));
 * // send them, then
 * store.write(tx -> { tx.outbox().delivered("hook", batch, now); return null; });
 * }</pre>
 */
public interface Outbox extends OutboxView {
    /** Records an event for each endpoint; returns its sequence number. No-op returning 0 without endpoints. */
    long append(EventRecord event, Collection<String> endpoints);

    /** The endpoint took the events: they leave its queues; their repositories' queues are due again now. */
    void delivered(String endpoint, Collection<PendingEvent> events, Instant now);

    /** An attempt with these events failed: their repositories' queues count a failure and wait until next. */
    void failed(String endpoint, Collection<PendingEvent> events, Instant next, String error);

    /** Moves events from the endpoint's queues to its dead letters. */
    void deadLetter(String endpoint, Collection<PendingEvent> events, Instant now, String error);

    /**
     * Puts dead letters of the endpoint back in its queues (all of them when {@code seqs} is empty), due now, in
     * their original order. Returns how many were requeued.
     */
    int replay(String endpoint, Collection<Long> seqs, Instant now);
}
