package io.lading.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MemoryBudgetTest {
    private static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void aRequestWaitsUntilEarlierOnesGiveBackTheirShare() throws Exception {
        MemoryBudget budget = new MemoryBudget(8L << 20, "test bodies");
        MemoryBudget.Share first = budget.acquire(4L << 20, LONG);
        MemoryBudget.Share second = budget.acquire(4L << 20, LONG);
        assertThat(budget.available()).isZero();
        CompletableFuture<MemoryBudget.Share> third = CompletableFuture.supplyAsync(() -> {
            try {
                return budget.acquire(1000, LONG);
            } catch (java.io.InterruptedIOException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100);
        assertThat(third).as("waits while the budget is taken").isNotDone();
        first.close();
        first.close(); // a second close gives nothing back twice
        try (MemoryBudget.Share s = third.get(5, TimeUnit.SECONDS)) {
            assertThat(budget.available()).isEqualTo((4L << 20) - 1024);
        }
        second.close();
        assertThat(budget.available()).isEqualTo(8L << 20);
    }

    @Test
    void aBodyLargerThanTheWholeBudgetTakesAllOfItRatherThanWaitingForever() throws Exception {
        MemoryBudget budget = new MemoryBudget(1L << 20, "test bodies");
        try (MemoryBudget.Share s = budget.acquire(10L << 20, LONG)) {
            assertThat(budget.available()).isZero();
        }
        assertThat(budget.available()).isEqualTo(1L << 20);
    }

    @Test
    void aRequestThatWaitsTooLongIsToldToRetryWithTooManyRequests() throws Exception {
        MemoryBudget budget = new MemoryBudget(4L << 20, "test bodies");
        try (MemoryBudget.Share held = budget.acquire(4L << 20, LONG)) {
            assertThatThrownBy(() -> budget.acquire(1, Duration.ofMillis(50)))
                    .isInstanceOfSatisfying(RegistryException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.TOOMANYREQUESTS));
        }
        assertThat(budget.available()).isEqualTo(4L << 20);
    }

    @Test
    void largeSharesStopAtHalfTheBudgetAndSmallOnesServeTheRest() throws Exception {
        MemoryBudget budget = new MemoryBudget(8L << 20, "test downloads");
        List<MemoryBudget.Share> held = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            held.add(budget.acquireUpTo(1L << 20, 32 << 10, LONG));
        }
        assertThat(held).extracting(MemoryBudget.Share::bytes).containsOnly(1 << 20);
        MemoryBudget.Share small = budget.acquireUpTo(1L << 20, 32 << 10, LONG);
        assertThat(small.bytes()).as("half the budget is left for small shares").isEqualTo(32 << 10);
        assertThat(budget.acquireUpTo(1000, 32 << 10, LONG).bytes()).as("less than the least").isEqualTo(1024);
        held.forEach(MemoryBudget.Share::close);
        assertThat(budget.acquireUpTo(1L << 20, 32 << 10, LONG).bytes()).isEqualTo(1 << 20);
    }
}
