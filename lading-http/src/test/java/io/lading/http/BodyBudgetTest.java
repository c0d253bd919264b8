package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lading.core.ErrorCode;
import io.lading.core.RegistryException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BodyBudgetTest {
    private static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void aRequestWaitsUntilEarlierOnesGiveBackTheirShare() throws Exception {
        BodyBudget budget = new BodyBudget(8L << 20);
        BodyBudget.Share first = budget.acquire(4L << 20, LONG);
        BodyBudget.Share second = budget.acquire(4L << 20, LONG);
        assertThat(budget.available()).isZero();
        CompletableFuture<BodyBudget.Share> third = CompletableFuture.supplyAsync(() -> {
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
        try (BodyBudget.Share s = third.get(5, TimeUnit.SECONDS)) {
            assertThat(budget.available()).isEqualTo((4L << 20) - 1024);
        }
        second.close();
        assertThat(budget.available()).isEqualTo(8L << 20);
    }

    @Test
    void aBodyLargerThanTheWholeBudgetTakesAllOfItRatherThanWaitingForever() throws Exception {
        BodyBudget budget = new BodyBudget(1L << 20);
        try (BodyBudget.Share s = budget.acquire(10L << 20, LONG)) {
            assertThat(budget.available()).isZero();
        }
        assertThat(budget.available()).isEqualTo(1L << 20);
    }

    @Test
    void aRequestThatWaitsTooLongIsToldToRetryWithTooManyRequests() throws Exception {
        BodyBudget budget = new BodyBudget(4L << 20);
        try (BodyBudget.Share held = budget.acquire(4L << 20, LONG)) {
            assertThatThrownBy(() -> budget.acquire(1, Duration.ofMillis(50)))
                    .isInstanceOfSatisfying(RegistryException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.TOOMANYREQUESTS));
        }
        assertThat(budget.available()).isEqualTo(4L << 20);
    }
}
