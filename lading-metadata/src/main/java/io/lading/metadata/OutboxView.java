package io.lading.metadata;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** What the events outbox holds, readable in any transaction. */
public interface OutboxView {
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
