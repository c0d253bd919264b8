package io.lading.metadata;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** What the events outbox holds, readable in any transaction. */
public interface OutboxView {
    /**
     * Up to {@code limit} events for the endpoint whose repository queue is due at {@code now}: for each such
     * repository its oldest events, the whole batch in sequence order.
     */
    List<PendingEvent> due(String endpoint, Instant now, int limit);

    /** Events waiting for the endpoint. */
    long backlog(String endpoint);

    /** Dead letters of the endpoint. */
    long deadLetterCount(String endpoint);

    /** Dead letters of the endpoint with a sequence number above {@code afterSeq}, oldest first. */
    List<DeadLetter> deadLetters(String endpoint, long afterSeq, int limit);

    /** When the earliest waiting repository queue of the endpoint is due; empty when nothing waits. */
    Optional<Instant> nextDue(String endpoint);

    /** Endpoints that have waiting events or dead letters (configured ones and ones removed from the config). */
    List<String> endpoints();
}
