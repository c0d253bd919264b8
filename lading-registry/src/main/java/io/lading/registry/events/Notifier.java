package io.lading.registry.events;

import io.lading.core.Descriptor;
import io.lading.core.Digest;
import io.lading.core.Manifest;
import io.lading.core.RepositoryName;
import io.lading.metadata.DeadLetter;
import io.lading.metadata.EventRecord;
import io.lading.metadata.MetadataStore;
import io.lading.metadata.MetadataStore.Durability;
import io.lading.metadata.WriteTx;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registry events, recorded durably and delivered at least once (docs/design/notifications.md).
 *
 * <p>Push, delete and mount events are appended to the metadata store's outbox inside the transaction of the
 * change ({@link #record}), so a committed change always has its event and a rolled-back one never does. Pull
 * events go through a bounded in-memory queue that a background thread writes in batches ({@link #pulled}): a pull
 * never waits for a write, and when the queue is full (the store cannot keep up) pull events are dropped and
 * counted rather than slowing pulls or growing memory. One {@link DeliveryWorker} per endpoint sends what the
 * outbox holds.
 *
 * <pre>{@code
 * Notifier notifier = new Notifier(metadata, endpoints, source, "https://registry.example.com", true, false, clock,
 *         listener);
 * notifier.start();
 * metadata.write(tx -> { tx.putTag(...); notifier.record(tx, notifier.event(Event.PUSH, target)); return null; });
 * notifier.wake();   // after the commit: deliver now rather than at the next poll
 * }</pre>
 */
public final class Notifier implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);
    /** Pull events waiting to be written; beyond this they are dropped (and counted). */
    static final int PULL_QUEUE = 10_000;
    private static final int PULL_BATCH = 500;

    /** Observes deliveries (metrics). Methods are called from delivery threads and must not block. */
    public interface Listener {
        default void delivered(String endpoint, int events, Duration oldestLatency) {
        }

        default void failed(String endpoint, String error) {
        }

        default void deadLettered(String endpoint, int events) {
        }

        default void pullEventsDropped(int events) {
        }
    }

    /** What the admin API shows of an endpoint. */
    public record EndpointStatus(String name, String url, boolean configured, boolean disabled, long backlog,
                                 long deadLetters, int consecutiveFailures, String lastError) {
    }

    private final MetadataStore metadata;
    private final Map<String, Endpoint> endpoints = new LinkedHashMap<>();
    private final Event.Source source;
    private final String baseUrl;
    private final Clock clock;
    private final Listener listener;
    private final boolean pullEvents;
    private final boolean includeReferences;
    private final boolean active;
    private final BlockingQueue<Event> pulls = new ArrayBlockingQueue<>(PULL_QUEUE);
    private final List<DeliveryWorker> workers = new ArrayList<>();
    private final HttpClient http;
    private Thread pullWriter;
    private volatile boolean running;

    /**
     * @param baseUrl    what the target URLs of events start with before /v2/ (http.host and http.prefix); when
     *                   empty or a path, it is put after the request's Host
     * @param pullEvents record pull events (they are the bulk of all events)
     * @param includeReferences manifest events carry what the manifest references
     *                          (notifications.events.includereferences)
     */
    public Notifier(MetadataStore metadata, List<Endpoint> endpoints, Event.Source source, String baseUrl,
                    boolean pullEvents, boolean includeReferences, Clock clock, Listener listener) {
        this.metadata = metadata;
        endpoints.forEach(e -> this.endpoints.put(e.name(), e));
        this.active = endpoints.stream().anyMatch(e -> !e.disabled());
        this.source = source;
        this.baseUrl = baseUrl == null ? "" : baseUrl.replaceAll("/+$", "");
        this.pullEvents = pullEvents;
        this.includeReferences = includeReferences;
        this.clock = clock;
        this.listener = listener;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** A notifier with no endpoints: records nothing. */
    public static Notifier none() {
        return new Notifier(null, List.of(), new Event.Source("", ""), "", false, false, Clock.systemUTC(),
                new Listener() {
                });
    }

    /** True when at least one endpoint is enabled. */
    public boolean active() {
        return active;
    }

    // ---- recording ------------------------------------------------------------------------------------------

    /** An event about {@code target}, by the request bound to this thread. */
    public Event event(String action, Event.Target target) {
        return event(action, target, RequestInfo.current());
    }

    /**
     * An event about {@code target} by {@code request}: for events built inside a metadata transaction, which may
     * run on another request's thread (group commit), with the request captured before.
     */
    public Event event(String action, Event.Target target, RequestInfo request) {
        return new Event(UUID.randomUUID().toString(), clock.instant(), action, target, request, source);
    }

    /** The media type events give blobs: the registry does not know what a blob is, as in distribution. */
    public static final String BLOB_TYPE = "application/octet-stream";

    /**
     * A blob as push, pull and mount events describe it.
     *
     * @param from    the source repository of a mount, or null
     * @param request the request behind the event (its Host makes the URL when http.host is not set)
     */
    public Event.Target blob(RepositoryName repository, Digest digest, long size, String from, RequestInfo request) {
        return new Event.Target(BLOB_TYPE, size, digest.toString(), repository.value(),
                url(repository, "blobs", digest, request), null, from, List.of());
    }

    /**
     * A manifest as push and pull events describe it; {@code tag} null when it was addressed by digest. With
     * notifications.events.includereferences, what {@code manifest} references goes with it (see {@link
     * #includesReferences}: a caller that does not hold the parsed manifest passes null when that is off).
     */
    public Event.Target manifest(RepositoryName repository, Digest digest, String mediaType, long size, String tag,
                                 Manifest manifest, RequestInfo request) {
        List<Descriptor> references = !includeReferences || manifest == null ? List.of() : switch (manifest) {
            case Manifest.Image image -> {
                List<Descriptor> r = new ArrayList<>(image.layers().size() + 1);
                r.add(image.config());
                r.addAll(image.layers());
                yield r;
            }
            case Manifest.Index index -> index.manifests();
        };
        return new Event.Target(mediaType, size, digest.toString(), repository.value(),
                url(repository, "manifests", digest, request), tag, null, references);
    }

    /** Whether manifest events carry what the manifest references (notifications.events.includereferences). */
    public boolean includesReferences() {
        return includeReferences;
    }

    /** What a delete event names, as distribution's do: the repository and the digest or the tag. */
    public static Event.Target deleted(RepositoryName repository, Digest digest, String tag) {
        return new Event.Target(null, -1, digest == null ? null : digest.toString(), repository.value(), null, tag,
                null, List.of());
    }

    /** The URL events give for content: {@code <base>/v2/<repository>/<kind>/<digest>}. */
    private String url(RepositoryName repository, String kind, Digest digest, RequestInfo request) {
        String base = baseUrl;
        if (base.isEmpty() || base.startsWith("/")) { // relative: on the host the client asked
            String host = request.host();
            base = (host == null || host.isEmpty() ? "" : "http://" + host) + base;
        }
        return base + "/v2/" + repository + "/" + kind + "/" + digest;
    }

    /** Appends events to the outbox in the caller's transaction, for every endpoint that wants them. */
    public void record(WriteTx tx, Collection<Event> events) {
        if (!active()) {
            return;
        }
        for (Event e : events) {
            List<String> wanting = endpoints.values().stream().filter(ep -> ep.wants(e)).map(Endpoint::name).toList();
            if (!wanting.isEmpty()) {
                tx.outbox().append(new EventRecord(0, e.id(), e.target().repository(), e.action(),
                        e.toJson().toString(), e.timestamp()), wanting);
            }
        }
    }

    /** Appends one event in the caller's transaction. */
    public void record(WriteTx tx, Event event) {
        record(tx, List.of(event));
    }

    /** Whether pull events are recorded at all (a caller can skip building them). */
    public boolean recordsPulls() {
        return pullEvents && active();
    }

    /** Queues a pull event for the batched writer; never blocks. */
    public void pulled(Event event) {
        if (!recordsPulls()) {
            return;
        }
        if (!pulls.offer(event)) {
            listener.pullEventsDropped(1);
        }
    }

    /** Lets the delivery workers look at the outbox now (call after committing a recorded event). */
    public void wake() {
        workers.forEach(DeliveryWorker::wake);
    }

    // ---- lifecycle ------------------------------------------------------------------------------------------

    /** Starts the pull-event writer and one delivery worker per enabled endpoint. */
    public void start() {
        running = true;
        for (Endpoint e : endpoints.values()) {
            if (!e.disabled()) {
                DeliveryWorker w = new DeliveryWorker(metadata, e, http, clock, listener);
                workers.add(w);
                w.start();
                LOG.info("notifications: endpoint {} ({}), format {}, timeout {}, backoff {} up to {}, dead letters"
                                + " after {}", e.name(), e.url(), e.format().name().toLowerCase(), e.timeout(),
                        e.backoff(), e.maxBackoff(), e.deadLetterAfter());
            }
        }
        if (recordsPulls()) {
            pullWriter = Thread.ofPlatform().name("lading-pull-events").daemon().start(this::writePulls);
        }
        if (metadata != null) {
            for (String name : metadata.read(tx -> tx.outbox().endpoints())) {
                if (!endpoints.containsKey(name)) {
                    long backlog = metadata.read(tx -> tx.outbox().backlog(name));
                    LOG.warn("notifications: the outbox holds {} event(s) for endpoint '{}', which the configuration"
                            + " no longer has; they stay until it is configured again", backlog, name);
                }
            }
        }
    }

    private void writePulls() {
        List<Event> batch = new ArrayList<>(PULL_BATCH);
        while (running || !pulls.isEmpty()) {
            try {
                Event first = pulls.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                pulls.drainTo(batch, PULL_BATCH - 1);
                // A pull changes nothing a client relies on: losing the last batch to a power cut is acceptable.
                metadata.write(Durability.PROCESS_CRASH_SAFE, tx -> {
                    record(tx, batch);
                    return null;
                });
                wake();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.warn("notifications: could not record {} pull event(s): {}", batch.size(), e.getMessage());
                listener.pullEventsDropped(batch.size());
            } finally {
                batch.clear();
            }
        }
    }

    /** Stops delivery (an event in flight is sent again after restart) after writing queued pull events. */
    @Override
    public void close() {
        running = false;
        if (pullWriter != null) {
            try {
                pullWriter.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        workers.forEach(DeliveryWorker::stop);
        http.close();
    }

    // ---- administration -------------------------------------------------------------------------------------

    /** Every configured endpoint, and any other that still has events in the outbox. */
    public List<EndpointStatus> status() {
        List<EndpointStatus> out = new ArrayList<>();
        List<String> names = new ArrayList<>(endpoints.keySet());
        if (metadata != null) {
            metadata.read(tx -> tx.outbox().endpoints()).stream().filter(n -> !names.contains(n)).forEach(names::add);
        }
        for (String name : names) {
            Endpoint e = endpoints.get(name);
            DeliveryWorker w = workers.stream().filter(x -> x.endpoint().name().equals(name)).findFirst().orElse(null);
            long backlog = metadata == null ? 0 : metadata.read(tx -> tx.outbox().backlog(name));
            long dead = metadata == null ? 0 : metadata.read(tx -> tx.outbox().deadLetterCount(name));
            out.add(new EndpointStatus(name, e == null ? null : e.url().toString(), e != null,
                    e != null && e.disabled(), backlog, dead, w == null ? 0 : w.consecutiveFailures(),
                    w == null ? null : w.lastError()));
        }
        return out;
    }

    /** Configured endpoint names. */
    public List<String> endpointNames() {
        return List.copyOf(endpoints.keySet());
    }

    /** Whether the outbox or the configuration knows the endpoint. */
    public boolean knows(String endpoint) {
        return endpoints.containsKey(endpoint)
                || (metadata != null && metadata.read(tx -> tx.outbox().endpoints()).contains(endpoint));
    }

    /** A page of an endpoint's dead letters after sequence number {@code after}. */
    public List<DeadLetter> deadLetters(String endpoint, long after, int limit) {
        return metadata == null ? List.of() : metadata.read(tx -> tx.outbox().deadLetters(endpoint, after, limit));
    }

    /** Requeues dead letters of an endpoint (all when {@code seqs} is empty); returns how many. */
    public int replay(String endpoint, Collection<Long> seqs) {
        if (metadata == null) {
            return 0;
        }
        int n = metadata.write(tx -> tx.outbox().replay(endpoint, seqs, clock.instant()));
        wake();
        return n;
    }

    /** The endpoint's backlog (metrics). */
    public long backlog(String endpoint) {
        return metadata == null ? 0 : metadata.read(tx -> tx.outbox().backlog(endpoint));
    }

    /** The endpoint's dead letters (metrics). */
    public long deadLetterCount(String endpoint) {
        return metadata == null ? 0 : metadata.read(tx -> tx.outbox().deadLetterCount(endpoint));
    }
}
