package io.lading.registry;

import io.lading.core.Digest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Blobs clients have looked at recently (HEAD, GET, mount), kept in memory for the collector.
 *
 * <p>A client that finds a blob with HEAD skips uploading it and then pushes a manifest that references it. If the
 * collector unlinked that blob in between, the manifest push would fail with MANIFEST_BLOB_UNKNOWN (never with a
 * broken image: the push checks references in its transaction). So the online collector does not unlink a blob
 * used within the grace period. This is a hint for a process-local race, bounded in memory: when it is full,
 * entries older than the grace period go first, and if none are, it stops recording until they are (the
 * collector is then simply less polite, never unsafe).
 */
public final class RecentUse {
    private final ConcurrentHashMap<Digest, Long> lastUse = new ConcurrentHashMap<>();
    private final Clock clock;
    private final int capacity;
    private volatile Duration keep = Duration.ofHours(1);
    private volatile long lastPrune;

    public RecentUse(Clock clock, int capacity) {
        this.clock = clock;
        this.capacity = capacity;
    }

    /** How long a use is remembered (the collector's grace period). */
    public void keepFor(Duration duration) {
        this.keep = duration;
    }

    /** Records that a client used the blob now. */
    public void touch(Digest digest) {
        if (lastUse.size() >= capacity && !lastUse.containsKey(digest)) {
            long now = clock.millis();
            if (now - lastPrune >= 1000) { // a full map is scanned at most once a second, not per request
                lastPrune = now;
                prune();
            }
            if (lastUse.size() >= capacity) {
                return;
            }
        }
        lastUse.put(digest, clock.millis());
    }

    /** True when the blob was used after {@code since} (a use exactly at the cutoff is as old as the grace period). */
    public boolean usedSince(Digest digest, Instant since) {
        Long t = lastUse.get(digest);
        return t != null && t > since.toEpochMilli();
    }

    /** Forgets uses older than the keep period. */
    public void prune() {
        long cutoff = clock.millis() - keep.toMillis();
        lastUse.values().removeIf(t -> t < cutoff);
    }

    int size() {
        return lastUse.size();
    }
}
