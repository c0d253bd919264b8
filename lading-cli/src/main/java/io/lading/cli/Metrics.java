package io.lading.cli;

import io.lading.metadata.Usage;
import io.lading.registry.GarbageCollector;
import io.lading.registry.MaintenanceService;
import io.micrometer.core.instrument.Counter;
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
import java.util.concurrent.atomic.AtomicReference;

/**
 * The Prometheus registry and what Lading reports into it: garbage collections (runs, items scanned and
 * deleted, bytes reclaimed, duration), storage use from the metadata store (cached for 30 s, so scrapes do not
 * add up to a table scan each), and the JVM's own figures.
 */
final class Metrics implements AutoCloseable {
    /** The Prometheus text format version the page is served in. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final Duration USAGE_CACHE = Duration.ofSeconds(30);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics jvmGc = new JvmGcMetrics();
    private final AtomicReference<CachedUsage> usage = new AtomicReference<>();

    private record CachedUsage(Usage usage, long at) {
    }

    Metrics(MaintenanceService maintenance, GarbageCollector collector) {
        new JvmMemoryMetrics().bindTo(registry);
        jvmGc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);

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

        Gauge.builder("lading.storage.blobs", () -> usage(maintenance).blobs())
                .description("distinct blobs stored (from the metadata store)").register(registry);
        Gauge.builder("lading.storage.used", () -> usage(maintenance).bytes()).baseUnit("bytes")
                .description("bytes stored, each blob counted once").register(registry);
    }

    private Counter counter(String name, String description) {
        return Counter.builder(name).description(description).register(registry);
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
