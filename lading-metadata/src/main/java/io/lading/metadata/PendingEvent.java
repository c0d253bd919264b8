package io.lading.metadata;

/**
 * An event waiting for one endpoint.
 *
 * @param failures consecutive failed attempts of its repository's queue for that endpoint
 */
public record PendingEvent(EventRecord event, int failures) {
}
