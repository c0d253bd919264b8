package io.lading.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pacer on a clock of its own, which only its sleeps (and the test) move. */
class PacerTest {
    private long now = 5_000_000_000L;
    private final List<Long> slept = new ArrayList<>();
    private final Pacer.Sleeper sleeper = nanos -> {
        slept.add(nanos);
        now += nanos;
    };

    @Test
    void holdsReadsThatTakeNoTimeToTheRate() throws Exception {
        Pacer pacer = new Pacer(1 << 20, () -> now, sleeper);
        long start = now;
        for (int i = 0; i < 10; i++) {
            pacer.paced(256 * 1024);
        }
        assertThat(now - start).as("2.5 MiB at 1 MiB/s").isEqualTo(2_500_000_000L);
    }

    @Test
    void sleepsOnlyForWhatReadingDidNotTakeAlready() throws Exception {
        Pacer pacer = new Pacer(1_000_000, () -> now, sleeper);
        pacer.paced(500_000); // due in 0.5 s
        now += 300_000_000L; // the next read took 0.3 s
        pacer.paced(500_000); // due at 1.0 s after the start; 0.8 s have passed
        assertThat(slept).containsExactly(500_000_000L, 200_000_000L);
    }

    @Test
    void idleTimeBuysAtMostASecondOfBurst() throws Exception {
        Pacer pacer = new Pacer(1_000_000, () -> now, sleeper);
        pacer.paced(1_000_000);
        now += 60_000_000_000L; // a minute of stats and small blobs
        pacer.paced(1_000_000); // covered by the one second of credit
        assertThat(slept).containsExactly(1_000_000_000L);
        pacer.paced(1_000_000); // the credit is spent
        assertThat(slept).containsExactly(1_000_000_000L, 1_000_000_000L);
    }

    @Test
    void noRateMeansNoSleep() throws Exception {
        Pacer pacer = new Pacer(0, () -> now, sleeper);
        pacer.paced(Long.MAX_VALUE / 2);
        assertThat(slept).isEmpty();
    }
}
