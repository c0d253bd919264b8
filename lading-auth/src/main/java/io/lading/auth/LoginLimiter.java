package io.lading.auth;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed-login rate limiting per client address: after {@code maxFailures} failed logins within {@code window},
 * the client is refused (429 with Retry-After) until the window that began with its first failure has passed. A
 * successful login clears the client's record. Memory is bounded: at most {@link #MAX_CLIENTS} clients are
 * tracked, and expired records are dropped when that many are reached.
 *
 * <pre>{@code
 * LoginLimiter limiter = new LoginLimiter(10, Duration.ofMinutes(1), Clock.systemUTC());
 * if (limiter.blocked(ip).isPresent()) { ... 429 ... }
 * if (!ok) limiter.failed(ip); else limiter.succeeded(ip);
 * }</pre>
 */
public final class LoginLimiter {
    static final int MAX_CLIENTS = 100_000;

    private record Window(long startMillis, int failures) {
    }

    private final int maxFailures;
    private final Duration window;
    private final Clock clock;
    private final Map<String, Window> clients = new ConcurrentHashMap<>();

    public LoginLimiter(int maxFailures, Duration window, Clock clock) {
        this.maxFailures = maxFailures;
        this.window = window;
        this.clock = clock;
    }

    /** How long the client must wait, if it is over the limit. */
    public Optional<Duration> blocked(String client) {
        Window w = clients.get(client);
        long now = clock.millis();
        if (w == null || w.failures() < maxFailures) {
            return Optional.empty();
        }
        long left = w.startMillis() + window.toMillis() - now;
        if (left <= 0) {
            clients.remove(client, w);
            return Optional.empty();
        }
        return Optional.of(Duration.ofMillis(left));
    }

    /** {@link #blocked} in whole seconds, rounded up, for a Retry-After header. */
    public java.util.OptionalLong retryAfterSeconds(String client) {
        return blocked(client).map(d -> java.util.OptionalLong.of(Math.max(1, (d.toMillis() + 999) / 1000)))
                .orElse(java.util.OptionalLong.empty());
    }

    public void failed(String client) {
        long now = clock.millis();
        if (clients.size() >= MAX_CLIENTS) {
            clients.entrySet().removeIf(e -> e.getValue().startMillis() + window.toMillis() <= now);
            if (clients.size() >= MAX_CLIENTS) {
                return; // under a flood of distinct addresses, stop tracking new ones rather than grow
            }
        }
        clients.merge(client, new Window(now, 1), (old, one) -> old.startMillis() + window.toMillis() <= now
                ? one : new Window(old.startMillis(), old.failures() + 1));
    }

    public void succeeded(String client) {
        clients.remove(client);
    }
}
