package io.lading.metadata;

import java.time.Instant;

/** An event an endpoint did not take in time, kept until an operator replays it. */
public record DeadLetter(String endpoint, EventRecord event, int failures, Instant deadAt, String error) {
}
