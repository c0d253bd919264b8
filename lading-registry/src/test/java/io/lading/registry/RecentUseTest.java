package io.lading.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.core.Digest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RecentUseTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now.get());
        }
    };

    private static Digest d(int i) {
        return Digest.of(Digest.Algorithm.SHA256, ("blob " + i).getBytes());
    }

    @Test
    void remembersUsesForTheGracePeriodWithinItsCapacity() {
        RecentUse uses = new RecentUse(clock, 3);
        uses.keepFor(Duration.ofSeconds(10));
        uses.touch(d(1));
        assertThat(uses.usedSince(d(1), Instant.ofEpochMilli(now.get() - 1))).isTrue();
        assertThat(uses.usedSince(d(1), Instant.ofEpochMilli(now.get()))).isFalse(); // as old as the cutoff
        assertThat(uses.usedSince(d(2), Instant.EPOCH)).isFalse();

        uses.touch(d(2));
        uses.touch(d(3));
        uses.touch(d(4)); // full, nothing expired: not recorded (the collector is then less polite, never unsafe)
        assertThat(uses.size()).isEqualTo(3);
        assertThat(uses.usedSince(d(4), Instant.EPOCH)).isFalse();

        now.addAndGet(11_000); // everything is older than the grace period now
        uses.touch(d(5));
        assertThat(uses.size()).isEqualTo(1);
        assertThat(uses.usedSince(d(5), Instant.ofEpochMilli(now.get() - 1))).isTrue();
    }
}
