package io.lading.cli;

import io.lading.cli.config.LadingConfig;
import io.lading.http.RegistryHandler;
import io.lading.http.RegistryServer;
import io.lading.metadata.MetadataStore;
import io.lading.metadata.sqlite.SqliteMetadataStore;
import io.lading.registry.BlobService;
import io.lading.registry.ManifestService;
import io.lading.registry.RegistryOptions;
import io.lading.registry.UploadService;
import io.lading.storage.BlobStore;
import io.lading.storage.FileSystemDriver;
import io.lading.storage.InMemoryDriver;
import io.lading.storage.StorageDriver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole registry wired from one {@link LadingConfig}: storage driver, metadata store, services, HTTP server
 * and background maintenance. Reading this class shows every part and how they connect.
 */
public final class LadingApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LadingApp.class);

    private final StorageDriver driver;
    private final MetadataStore metadata;
    private final UploadService uploads;
    private final RegistryServer server;
    private final ScheduledExecutorService maintenance;
    private final LadingConfig config;

    public LadingApp(LadingConfig config) throws IOException {
        this.config = config;
        LadingConfig.Storage s = config.storage();
        if (s.driver().equals("inmemory")) {
            driver = new InMemoryDriver();
            metadata = config.lading().metadataPath() != null
                    ? SqliteMetadataStore.open(config.lading().metadataPath()) : SqliteMetadataStore.inMemory();
        } else {
            driver = new FileSystemDriver(s.rootDirectory(), config.lading().directWrites());
            Path db = config.lading().metadataPath() != null ? config.lading().metadataPath()
                    : s.rootDirectory().resolve("metadata.db");
            metadata = SqliteMetadataStore.open(db);
        }
        BlobStore blobStore = new BlobStore(driver);
        RegistryOptions options = new RegistryOptions(s.deleteEnabled(), new AtomicBoolean(s.readOnly()),
                config.validation().indexes(), config.validation().platforms(), config.lading().chunkMinLength(),
                config.catalogMaxEntries(), 100_000);
        Clock clock = Clock.systemUTC();
        BlobService blobs = new BlobService(metadata, blobStore, options);
        uploads = new UploadService(metadata, blobStore, options, clock);
        ManifestService manifests = new ManifestService(metadata, blobStore, options, clock);
        Map<String, String> headers = new LinkedHashMap<>();
        config.http().headers().forEach((k, v) -> headers.put(k, String.join(", ", v)));
        RegistryHandler handler = new RegistryHandler(blobs, uploads, manifests, options, config.http().host(), headers);
        server = new RegistryServer(handler, address(config.http().addr()), config.http().drainTimeout());
        maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lading-maintenance");
            t.setDaemon(true);
            return t;
        });
    }

    static InetSocketAddress address(String addr) {
        int colon = addr.lastIndexOf(':');
        String host = addr.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new InetSocketAddress(host.isEmpty() ? "0.0.0.0" : host, Integer.parseInt(addr.substring(colon + 1)));
    }

    /** Starts serving and the maintenance schedule. */
    public void start() throws Exception {
        server.start();
        var purging = config.storage().uploadPurging();
        if (purging.enabled()) {
            long first = Math.min(purging.interval().toMillis(), Duration.ofMinutes(1).toMillis());
            maintenance.scheduleWithFixedDelay(() -> purge(purging), first, purging.interval().toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        LOG.info("Lading listening on {} (port {}), storage {} at {}, metadata {}", config.http().addr(), port(),
                driver.name(), config.storage().rootDirectory() == null ? "memory" : config.storage().rootDirectory(),
                metadata);
    }

    private void purge(io.lading.registry.RegistryOptions.UploadPurging purging) {
        try {
            int n = uploads.purge(purging.age(), purging.dryRun());
            if (n > 0) {
                LOG.info("upload purge: {} upload(s) {} (older than {})", n, purging.dryRun() ? "would be purged" : "purged",
                        purging.age());
            }
        } catch (RuntimeException e) {
            LOG.error("upload purge failed", e);
        }
    }

    public int port() {
        return server.port();
    }

    public void join() throws InterruptedException {
        server.join();
    }

    /** Drains in-flight requests (http.draintimeout), then closes the stores. */
    @Override
    public void close() throws Exception {
        maintenance.shutdownNow();
        try {
            server.stop();
        } finally {
            metadata.close();
            driver.close();
        }
    }
}
