package io.lading.registry.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lading.metadata.MetadataStore;
import io.lading.metadata.MetadataStore.Durability;
import io.lading.metadata.PendingEvent;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one endpoint's events, one request at a time: takes a due batch from the outbox, posts it, and records
 * the outcome. On failure the batch's repositories wait (exponential backoff with full jitter, or the receiver's
 * Retry-After on 429/503, whichever is longer) while other repositories go on; events older than the endpoint's
 * dead-letter age that fail again move to the dead letters. Anything 2xx or 3xx (after redirects) is delivered,
 * as in distribution.
 */
final class DeliveryWorker {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryWorker.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String ENVELOPE_TYPE = "application/vnd.docker.distribution.events.v2+json";
    /** Longest sleep between looks at the outbox when nothing is due and nobody wakes the worker. */
    private static final Duration IDLE_POLL = Duration.ofSeconds(1);
    private static final Duration MIN_IDLE = Duration.ofMillis(5);

    private final MetadataStore metadata;
    private final Endpoint endpoint;
    private final HttpClient http;
    private final Clock clock;
    private final Notifier.Listener listener;
    private volatile boolean running = true;
    private volatile Thread thread;
    private volatile int consecutiveFailures;
    private volatile String lastError;

    DeliveryWorker(MetadataStore metadata, Endpoint endpoint, HttpClient http, Clock clock, Notifier.Listener listener) {
        this.metadata = metadata;
        this.endpoint = endpoint;
        this.http = http;
        this.clock = clock;
        this.listener = listener;
    }

    Endpoint endpoint() {
        return endpoint;
    }

    int consecutiveFailures() {
        return consecutiveFailures;
    }

    String lastError() {
        return lastError;
    }

    void start() {
        thread = Thread.ofVirtual().name("lading-notify-" + endpoint.name()).start(this::run);
    }

    void wake() {
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    void stop() {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        while (running) {
            try {
                List<PendingEvent> batch = metadata.read(tx -> tx.outbox().due(endpoint.name(), clock.instant(),
                        endpoint.maxBatch()));
                if (batch.isEmpty()) {
                    idle();
                    continue;
                }
                deliver(batch);
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                LOG.warn("notifications: endpoint {}: {}", endpoint.name(), e.getMessage());
                LockSupport.parkNanos(IDLE_POLL.toNanos());
            }
        }
    }

    /** Sleeps until the earliest waiting queue is due, a wake-up, or the idle poll, whichever comes first. */
    private void idle() {
        Duration sleep = IDLE_POLL;
        var next = metadata.read(tx -> tx.outbox().nextDue(endpoint.name()));
        if (next.isPresent()) {
            Duration until = Duration.between(clock.instant(), next.get());
            if (until.compareTo(sleep) < 0) {
                sleep = until;
            }
        }
        // Never spin: even when a queue is due already (it was served between the two reads), wait a little.
        LockSupport.parkNanos(Math.max(sleep.toNanos(), MIN_IDLE.toNanos()));
    }

    private void deliver(List<PendingEvent> batch) {
        Outcome outcome = send(batch);
        if (!running && !outcome.ok()) {
            return; // stopped mid-request: the batch stays due and is sent again after restart
        }
        Instant now = clock.instant();
        if (outcome.ok()) {
            metadata.write(Durability.PROCESS_CRASH_SAFE, tx -> {
                tx.outbox().delivered(endpoint.name(), batch, now);
                return null;
            });
            if (consecutiveFailures >= endpoint.threshold()) {
                LOG.info("notifications: endpoint {} delivers again after {} failed attempt(s)", endpoint.name(),
                        consecutiveFailures);
            }
            consecutiveFailures = 0;
            lastError = null;
            listener.delivered(endpoint.name(), batch.size(), Duration.between(batch.get(0).event().createdAt(), now));
            return;
        }
        int failures = batch.stream().mapToInt(PendingEvent::failures).max().orElse(0) + 1;
        Duration delay = Backoff.fullJitter(endpoint.backoff(), endpoint.maxBackoff(), failures);
        if (outcome.retryAfter() != null && outcome.retryAfter().compareTo(delay) > 0) {
            delay = outcome.retryAfter();
        }
        Instant next = now.plus(delay);
        Instant deadline = now.minus(endpoint.deadLetterAfter());
        List<PendingEvent> expired = batch.stream().filter(p -> !p.event().createdAt().isAfter(deadline)).toList();
        metadata.write(Durability.PROCESS_CRASH_SAFE, tx -> {
            tx.outbox().failed(endpoint.name(), batch, next, outcome.error());
            if (!expired.isEmpty()) {
                tx.outbox().deadLetter(endpoint.name(), expired, now, outcome.error());
            }
            return null;
        });
        consecutiveFailures++;
        lastError = outcome.error();
        listener.failed(endpoint.name(), outcome.error());
        if (!expired.isEmpty()) {
            listener.deadLettered(endpoint.name(), expired.size());
            LOG.warn("notifications: endpoint {}: {} event(s) older than {} moved to the dead letters ({})",
                    endpoint.name(), expired.size(), endpoint.deadLetterAfter(), outcome.error());
        }
        if (consecutiveFailures == endpoint.threshold()) {
            LOG.warn("notifications: endpoint {} failed {} times in a row ({}); retrying with backoff, events wait"
                    + " in the outbox", endpoint.name(), consecutiveFailures, outcome.error());
        }
    }

    /** The result of one request: delivered, or why not and how long the receiver asked to wait. */
    private record Outcome(boolean ok, String error, Duration retryAfter) {
    }

    private Outcome send(List<PendingEvent> batch) {
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint.url()).timeout(endpoint.timeout());
        endpoint.headers().forEach((name, values) -> values.forEach(v -> request.header(name, v)));
        request.header("Content-Type", contentType(batch.size()));
        request.POST(HttpRequest.BodyPublishers.ofString(body(batch)));
        try {
            HttpResponse<Void> r = http.send(request.build(), HttpResponse.BodyHandlers.discarding());
            int status = r.statusCode();
            if (status >= 200 && status < 400) {
                return new Outcome(true, null, null);
            }
            Duration retryAfter = status == 429 || status == 503
                    ? Backoff.retryAfter(r.headers().firstValue("Retry-After").orElse(null), clock.instant()) : null;
            return new Outcome(false, "HTTP " + status, retryAfter);
        } catch (IOException e) {
            return new Outcome(false, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": "
                    + e.getMessage()), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(false, "interrupted (registry stopping)", null);
        } catch (IllegalArgumentException e) {
            return new Outcome(false, "invalid request: " + e.getMessage(), null);
        }
    }

    private String contentType(int events) {
        return switch (endpoint.format()) {
            case DISTRIBUTION -> ENVELOPE_TYPE;
            case CLOUDEVENTS -> events == 1 ? "application/cloudevents+json; charset=utf-8"
                    : "application/cloudevents-batch+json; charset=utf-8";
        };
    }

    private String body(List<PendingEvent> batch) {
        return switch (endpoint.format()) {
            case DISTRIBUTION -> batch.stream().map(p -> p.event().payload())
                    .collect(Collectors.joining(",", "{\"events\":[", "]}"));
            case CLOUDEVENTS -> batch.size() == 1 ? cloudEvent(batch.get(0))
                    : batch.stream().map(DeliveryWorker::cloudEvent).collect(Collectors.joining(",", "[", "]"));
        };
    }

    /** CloudEvents 1.0, structured mode: the distribution event is the data. */
    private static String cloudEvent(PendingEvent p) {
        try {
            ObjectNode data = (ObjectNode) JSON.readTree(p.event().payload());
            ObjectNode ce = JSON.createObjectNode();
            ce.put("specversion", "1.0");
            ce.put("id", p.event().id());
            ce.put("source", "/lading/" + data.path("source").path("addr").asText(""));
            ce.put("type", "io.lading.registry." + p.event().action());
            ce.put("subject", p.event().repository());
            ce.put("time", data.path("timestamp").asText());
            ce.put("datacontenttype", "application/json");
            ce.set("data", data);
            return ce.toString();
        } catch (IOException e) {
            throw new IllegalStateException("event " + p.event().id() + " has an unreadable payload", e);
        }
    }
}
