package io.lading.cli;

import io.lading.http.RegistryServer;
import io.lading.http.RequestObserver;
import io.lading.metadata.MetadataStore;
import io.lading.metadata.ObservedMetadataStore;
import io.lading.metadata.ReadTx;
import io.lading.metadata.Usage;
import io.lading.registry.ContentCheck;
import io.lading.registry.GarbageCollector;
import io.lading.registry.MaintenanceService;
import io.lading.registry.PullThrough;
import io.lading.registry.StagedContent;
import io.lading.registry.events.Notifier;
import io.lading.storage.ObservedDriver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The Prometheus registry and what Lading reports into it: requests by route, method and status (latency, bytes
 * in and out), storage driver operations and metadata transactions (latency, failures), open upload sessions,
 * event delivery per endpoint (delivered, failed attempts, dead letters, backlog, latency), garbage collections
 * (runs, items scanned and deleted, bytes reclaimed, duration), storage use from the metadata store (cached for
 * 30 s, so scrapes do not add up to a table scan each), and the JVM's own figures.
 *
 * <p>It observes the parts through their observer interfaces ({@link RequestObserver}, {@link Notifier.Listener},
 * {@link ObservedDriver.Observer}, {@link ObservedMetadataStore.Observer}); meters are cached per label set so
 * the request path does one map lookup, not a registry lookup.
 */
final class Metrics implements AutoCloseable, RequestObserver, Notifier.Listener {
    /** The Prometheus text format version the page is served in. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final Duration USAGE_CACHE = Duration.ofSeconds(30);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics jvmGc = new JvmGcMetrics();
    private final AtomicReference<CachedUsage> usage = new AtomicReference<>();

    private record CachedUsage(Usage usage, long at) {
    }

    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    Metrics() {
        new JvmMemoryMetrics().bindTo(registry);
        jvmGc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    /** Registers the figures read from the running parts (called once they exist). */
    void bind(MaintenanceService maintenance, GarbageCollector collector, Notifier notifier, MetadataStore metadata,
              StagedContent staged, RegistryServer server) {
        FunctionCounter.builder("lading.http.sendfile", server, RegistryServer::zeroCopyBytes).baseUnit("bytes")
                .description("blob bytes sent from files with sendfile, without a copy through the process")
                .register(registry);
        Gauge.builder("lading.uploads.open", () -> metadata.read(ReadTx::uploadCount))
                .description("upload sessions open").register(registry);
        Gauge.builder("lading.staged.bytes", staged, StagedContent::backlogBytes).baseUnit("bytes")
                .description("small content committed in the metadata store and not yet written to storage")
                .register(registry);
        for (String endpoint : notifier.endpointNames()) {
            Gauge.builder("lading.events.backlog", () -> notifier.backlog(endpoint)).tag("endpoint", endpoint)
                    .description("events waiting for delivery").register(registry);
            Gauge.builder("lading.events.deadletters", () -> notifier.deadLetterCount(endpoint))
                    .tag("endpoint", endpoint).description("events in the dead letters").register(registry);
        }
        Gauge.builder("lading.gc.running", collector, c -> c.isRunning() ? 1 : 0)
                .description("1 while a garbage collection runs").register(registry);
        Counter ok = Counter.builder("lading.gc.runs").tag("result", "ok").description("garbage collections")
                .register(registry);
        Counter failed = Counter.builder("lading.gc.runs").tag("result", "error").register(registry);
        Counter repositories = counter("lading.gc.repositories.scanned", "repositories scanned by collections");
        Counter scanned = counter("lading.gc.blobs.scanned", "unreferenced blobs examined by collections");
        Counter manifests = counter("lading.gc.manifests.deleted", "untagged manifests deleted");
        Counter links = counter("lading.gc.links.removed", "unreferenced blob links removed");
        Counter blobs = counter("lading.gc.blobs.deleted", "blobs whose bytes were deleted");
        Counter bytes = Counter.builder("lading.gc.reclaimed").baseUnit("bytes")
                .description("bytes reclaimed by collections").register(registry);
        Timer duration = Timer.builder("lading.gc.duration").description("duration of collections")
                .register(registry);
        maintenance.observeRuns((r, error) -> {
            if (error != null) {
                failed.increment();
                return;
            }
            ok.increment();
            repositories.increment(r.repositoriesScanned());
            scanned.increment(r.blobsScanned());
            manifests.increment(r.manifestsDeleted());
            links.increment(r.linksRemoved());
            blobs.increment(r.blobsDeleted());
            bytes.increment(r.bytesReclaimed());
            duration.record(r.took());
        });

        Gauge.builder("lading.check.running", () -> maintenance.checkStatus().running().isPresent() ? 1 : 0)
                .description("1 while a content check runs").register(registry);
        Gauge.builder("lading.check.damaged", () -> maintenance.checkStatus().last()
                        .map(ContentCheck.Result::damaged).orElse(0L))
                .description("damaged blobs, and problems of the metadata store, the last finished content check"
                        + " found (0 before the first)")
                .register(registry);
        Gauge.builder("lading.check.last.finished", () -> maintenance.checkStatus().last()
                        .map(r -> r.started().plus(r.took()).getEpochSecond()).orElse(0L)).baseUnit("seconds")
                .description("when the last content check finished, in seconds since the epoch (0 before the first)")
                .register(registry);

        Gauge.builder("lading.storage.blobs", () -> usage(maintenance).blobs())
                .description("distinct blobs stored (from the metadata store)").register(registry);
        Gauge.builder("lading.storage.used", () -> usage(maintenance).bytes()).baseUnit("bytes")
                .description("bytes stored, each blob counted once").register(registry);
    }

    /** Registers the pull-through cache's figures (proxy.remoteurl). */
    void bindCache(PullThrough.Counts cache) {
        String hits = "pulls the pull-through cache answered from what it holds";
        FunctionCounter.builder("lading.proxy.hits", cache, PullThrough.Counts::manifestHits).tag("kind", "manifest")
                .description(hits).register(registry);
        FunctionCounter.builder("lading.proxy.hits", cache, PullThrough.Counts::blobHits).tag("kind", "blob")
                .description(hits).register(registry);
        String fetches = "content fetched from upstream, verified and stored";
        FunctionCounter.builder("lading.proxy.fetches", cache, PullThrough.Counts::manifestFetches)
                .tag("kind", "manifest").description(fetches).register(registry);
        FunctionCounter.builder("lading.proxy.fetches", cache, PullThrough.Counts::blobFetches).tag("kind", "blob")
                .description(fetches).register(registry);
        FunctionCounter.builder("lading.proxy.fetched", cache, PullThrough.Counts::fetchedBytes).baseUnit("bytes")
                .description("bytes fetched from upstream and stored").register(registry);
        FunctionCounter.builder("lading.proxy.stale", cache, PullThrough.Counts::staleTags)
                .description("tag pulls answered as last cached because upstream could not be asked")
                .register(registry);
        FunctionCounter.builder("lading.proxy.upstream.failures", cache, PullThrough.Counts::upstreamFailures)
                .description("requests to upstream that failed or brought content not matching its digest")
                .register(registry);
    }

    private Counter counter(String name, String description) {
        return Counter.builder(name).description(description).register(registry);
    }

    // ---- observers ------------------------------------------------------------------------------------------

    @Override
    public void completed(String route, String method, int status, long nanos, long bytesIn, long bytesOut) {
        String key = route + ' ' + method + ' ' + status;
        timers.computeIfAbsent("http " + key, k -> Timer.builder("lading.http.requests")
                .tags("route", route, "method", method, "status", Integer.toString(status))
                .description("requests served").register(registry)).record(nanos, TimeUnit.NANOSECONDS);
        if (bytesIn > 0) {
            counters.computeIfAbsent("in " + route, k -> Counter.builder("lading.http.received").baseUnit("bytes")
                    .tag("route", route).description("request body bytes read").register(registry)).increment(bytesIn);
        }
        if (bytesOut > 0) {
            counters.computeIfAbsent("out " + route, k -> Counter.builder("lading.http.sent").baseUnit("bytes")
                    .tag("route", route).description("response body bytes written").register(registry))
                    .increment(bytesOut);
        }
    }

    /** A storage driver operation ({@link ObservedDriver.Observer}). */
    void driverOperation(String operation, long nanos, boolean failed) {
        timers.computeIfAbsent("driver " + operation + ' ' + failed, k -> Timer.builder("lading.storage.operations")
                .tags("operation", operation, "result", failed ? "error" : "ok")
                .description("storage driver operations").register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A metadata transaction ({@link ObservedMetadataStore.Observer}). */
    void metadataTransaction(String kind, long nanos, boolean failed) {
        timers.computeIfAbsent("metadata " + kind + ' ' + failed, k -> Timer.builder("lading.metadata.transactions")
                .tags("kind", kind, "result", failed ? "error" : "ok")
                .description("metadata store transactions").register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    private Counter endpointCounter(String name, String endpoint, String description) {
        return counters.computeIfAbsent(name + ' ' + endpoint, k -> Counter.builder(name).tag("endpoint", endpoint)
                .description(description).register(registry));
    }

    @Override
    public void delivered(String endpoint, int events, Duration oldestLatency) {
        // The latency first: a scrape that sees the delivery count sees its latency too.
        timers.computeIfAbsent("latency " + endpoint, k -> Timer.builder("lading.events.delivery.latency")
                .tag("endpoint", endpoint).description("time from an event's recording to its delivery (oldest of"
                        + " each request)").register(registry)).record(oldestLatency);
        endpointCounter("lading.events.delivered", endpoint, "events delivered").increment(events);
    }

    @Override
    public void failed(String endpoint, String error) {
        endpointCounter("lading.events.failures", endpoint, "failed delivery attempts").increment();
    }

    @Override
    public void deadLettered(String endpoint, int events) {
        endpointCounter("lading.events.deadlettered", endpoint, "events moved to the dead letters").increment(events);
    }

    @Override
    public void pullEventsDropped(int events) {
        counters.computeIfAbsent("pull dropped", k -> Counter.builder("lading.events.pull.dropped")
                .description("pull events not recorded because the store could not keep up").register(registry))
                .increment(events);
    }

    private Usage usage(MaintenanceService maintenance) {
        CachedUsage c = usage.get();
        long now = System.nanoTime();
        if (c == null || now - c.at() > USAGE_CACHE.toNanos()) {
            c = new CachedUsage(maintenance.usage(), now);
            usage.set(c);
        }
        return c.usage();
    }

    /** The page for {@code http.debug.prometheus.path}. */
    String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        jvmGc.close();
        registry.close();
    }
}
