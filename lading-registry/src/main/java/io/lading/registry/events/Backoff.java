package io.lading.registry.events;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.ThreadLocalRandom;

/** Retry delays: exponential backoff with full jitter, and the receiver's Retry-After when it sends one. */
final class Backoff {
    /** Longest Retry-After honoured: a receiver cannot park an endpoint for days. */
    static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);

    private Backoff() {
    }

    /** A delay drawn uniformly from [0, min(max, base × 2^(failures-1))]; failures counts from 1. */
    static Duration fullJitter(Duration base, Duration max, int failures) {
        long cap = base.toMillis();
        for (int i = 1; i < failures && cap < max.toMillis(); i++) {
            cap *= 2;
        }
        cap = Math.max(1, Math.min(cap, max.toMillis()));
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(cap + 1));
    }

    /** A Retry-After header value (delay-seconds or an HTTP-date) as a delay from now; null when absent or bad. */
    static Duration retryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.strip();
        Duration d;
        if (v.chars().allMatch(Character::isDigit)) {
            try {
                d = Duration.ofSeconds(Long.parseLong(v));
            } catch (NumberFormatException e) {
                d = MAX_RETRY_AFTER;
            }
        } else {
            try {
                d = Duration.between(now, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            } catch (DateTimeParseException e) {
                return null;
            }
        }
        if (d.isNegative()) {
            return Duration.ZERO;
        }
        return d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
    }
}
