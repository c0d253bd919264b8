package io.lading.metadata;

import java.time.Instant;

/**
 * An event in the outbox. The store keeps {@code payload} as it is given (the registry's JSON of the event); it
 * only reads {@code repository}, which orders delivery.
 *
 * @param seq       position in the outbox, assigned when the event is appended (0 before)
 * @param id        the event's stable id (the same on every delivery attempt)
 * @param action    push, pull, delete or mount
 */
public record EventRecord(long seq, String id, String repository, String action, String payload,
                          Instant createdAt) {
}
