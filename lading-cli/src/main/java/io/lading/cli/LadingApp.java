package io.lading.cli;

import io.lading.auth.AccessRules;
import io.lading.auth.Htpasswd;
import io.lading.auth.LoginLimiter;
import io.lading.auth.SigningKey;
import io.lading.auth.TokenIssuer;
import io.lading.auth.TokenVerifier;
import io.lading.cli.config.LadingConfig;
import io.lading.http.AdminHandler;
import io.lading.http.AuthGate;
import io.lading.http.DebugServer;
import io.lading.http.LadingHandler;
import io.lading.http.PathPrefixHandler;
import io.lading.http.RegistryHandler;
import io.lading.http.RegistryServer;
import io.lading.http.RequestObserver;
import io.lading.http.TokenHandler;
import io.lading.proxy.CredentialHelper;
import io.lading.proxy.HttpUpstream;
import io.lading.proxy.UpstreamCredentials;
import io.lading.metadata.MetadataStore;
import io.lading.metadata.ObservedMetadataStore;
import io.lading.metadata.sqlite.SqliteMetadataStore;
import io.lading.registry.BlobService;
import io.lading.registry.ContentCheck;
import io.lading.registry.GarbageCollector;
import io.lading.registry.MaintenanceService;
import io.lading.registry.ManifestService;
import io.lading.registry.PullThrough;
import io.lading.registry.RecentUse;
import io.lading.registry.RegistryOptions;
import io.lading.registry.SpaceReserve;
import io.lading.registry.StagedContent;
import io.lading.registry.UploadService;
import io.lading.registry.events.Event;
import io.lading.registry.events.Notifier;
import io.lading.storage.BlobStore;
import io.lading.storage.FileSystemDriver;
import io.lading.storage.InMemoryDriver;
import io.lading.storage.ObservedDriver;
import io.lading.storage.StorageDriver;
import io.lading.storage.azure.AzureDriver;
import io.lading.storage.s3.S3Driver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.server.Handler;
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
    private final StagedContent staged;
    private final RegistryServer server;
    private final ScheduledExecutorService maintenance;
    private final ScheduledExecutorService checks;
    private final LadingConfig config;
    private final GarbageCollector collector;
    private final MaintenanceService admin;
    private final Metrics metrics;
    private final DebugServer debugServer;
    private final Notifier notifier;
    private final Health health;
    private final Tracing tracing;
    /** True from the moment the listener is up until the shutdown drain begins (readiness). */
    private final AtomicBoolean serving = new AtomicBoolean();
    /** Blobs remembered as recently used by clients, for the collector (about 150 bytes of heap each). */
    private static final int RECENT_USE_CAPACITY = 50_000;
    /** How long a pull-through cache waits for the registry it mirrors to connect and to answer each request. */
    private static final Duration UPSTREAM_TIMEOUT = Duration.ofSeconds(30);

    public LadingApp(LadingConfig config) throws IOException {
        this(config, System.getenv());
    }

    /** @param env the environment, for OTEL_* (tracing) */
    public LadingApp(LadingConfig config, Map<String, String> env) throws IOException {
        this.config = config;
        tracing = Tracing.fromEnvironment(env);
        LadingConfig.Debug debug = config.http().debug();
        metrics = debug != null && debug.prometheus() ? new Metrics() : null;
        Stores stores = Stores.open(config);
        if (metrics == null && !tracing.enabled()) {
            driver = stores.driver();
            metadata = stores.metadata();
        } else {
            driver = new ObservedDriver(stores.driver(), (op, nanos, failed) -> {
                if (metrics != null) {
                    metrics.driverOperation(op, nanos, failed);
                }
                tracing.operation("storage " + op, nanos, failed);
            });
            metadata = new ObservedMetadataStore(stores.metadata(), (kind, nanos, failed) -> {
                if (metrics != null) {
                    metrics.metadataTransaction(kind, nanos, failed);
                }
                tracing.operation("metadata " + kind, nanos, failed);
            });
        }
        BlobStore blobStore = new BlobStore(driver);
        RegistryOptions options = options(config);
        Clock clock = Clock.systemUTC();
        RecentUse recentUse = new RecentUse(clock, RECENT_USE_CAPACITY);
        notifier = new Notifier(metadata, config.notifications().endpoints(), source(config), config.http().urlBase(),
                config.notifications().pullEvents(), config.notifications().includeReferences(), clock,
                metrics != null ? metrics : new Notifier.Listener() {
                });
        staged = new StagedContent(metadata, blobStore, config.lading().staging());
        BlobService blobs = new BlobService(metadata, staged, options, recentUse, notifier);
        SpaceReserve space = new SpaceReserve(blobStore, options.reserve());
        uploads = new UploadService(metadata, blobStore, staged, blobs, options, space, clock, notifier);
        ManifestService manifests = new ManifestService(metadata, blobStore, staged, options, space, clock,
                notifier);
        collector = new GarbageCollector(metadata, blobStore, recentUse, clock, config.proxy() == null ? null
                : config.proxy().ttl());
        admin = new MaintenanceService(metadata, options, collector, config.lading().gc(), config.lading().check(),
                new ContentCheck(metadata, blobStore, clock, blobs::dataLost));
        Map<String, String> headers = new LinkedHashMap<>();
        config.http().headers().forEach((k, v) -> headers.put(k, String.join(", ", v)));
        PullThrough pullThrough = null;
        if (config.proxy() != null) {
            LadingConfig.Proxy p = config.proxy();
            UpstreamCredentials credentials = p.exec() != null
                    ? new CredentialHelper(p.exec().command(), p.exec().lifetime(), p.remoteUrl().toString(), clock)
                    : UpstreamCredentials.of(p.username(), p.password());
            pullThrough = new PullThrough(manifests, blobs, uploads, new HttpUpstream(p.remoteUrl(), credentials,
                    UPSTREAM_TIMEOUT, clock), clock);
            LOG.info("pull-through cache of {}{}: pushes and deletes are refused", p.remoteUrl(),
                    p.exec() != null ? " (credentials from " + p.exec().command() + ")"
                            : p.username() == null ? "" : " (as " + p.username() + ")");
        }
        RegistryHandler handler = new RegistryHandler(blobs, uploads, manifests, options, config.http().urlBase(),
                headers, pullThrough);
        Access access = access(config.auth(), clock);
        Handler served = new LadingHandler(handler, new AdminHandler(admin, notifier, config.auth().rules() != null),
                access.gate(), access.tokens(), requestObserver(staged, metrics), tracing.openTelemetry());
        if (!config.http().prefix().isEmpty()) {
            served = new PathPrefixHandler(config.http().prefix(), served);
        }
        server = new RegistryServer(served, address(config.http().addr()), config.http().drainTimeout(),
                config.http().tls(), config.lading().sendfile(), config.http().h2c());
        server.limitConnections(config.lading().maxConnections());
        if (debug != null) {
            Map<String, DebugServer.Page> pages = new LinkedHashMap<>();
            health = new Health(driver, metadata, config.health());
            pages.put("/debug/health", new DebugServer.Page("application/json", health::render));
            pages.put("/debug/ready", new DebugServer.Page("application/json", () -> health.ready(serving::get)));
            if (metrics != null) {
                metrics.bind(admin, collector, notifier, metadata, staged, server);
                if (pullThrough != null) {
                    metrics.bindCache(pullThrough.counts());
                }
                pages.put(debug.prometheusPath(), DebugServer.Page.ok(Metrics.CONTENT_TYPE, metrics::scrape));
            }
            debugServer = new DebugServer(address(debug.addr()), pages);
        } else {
            health = null;
            debugServer = null;
        }
        maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lading-maintenance");
            t.setDaemon(true);
            return t;
        });
        // Its own thread: a check of a large store may take hours, and must not hold up collections and purges.
        checks = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lading-check");
            t.setDaemon(true);
            return t;
        });
    }

    /** The storage driver and metadata store a configuration names, opened (the metadata store migrated). */
    record Stores(StorageDriver driver, MetadataStore metadata) implements AutoCloseable {
        static Stores open(LadingConfig config) throws IOException {
            LadingConfig.Storage s = config.storage();
            if (s.driver().equals("inmemory")) {
                return new Stores(new InMemoryDriver(), config.lading().metadataPath() != null
                        ? SqliteMetadataStore.open(config.lading().metadataPath()) : SqliteMetadataStore.inMemory());
            }
            StorageDriver driver;
            if (s.objectStore()) {
                StorageDriver store = objectStore(s);
                try {
                    return new Stores(store, SqliteMetadataStore.open(database(config))); // creates its directory
                } catch (RuntimeException e) {
                    store.close();
                    throw e;
                }
            }
            try {
                // sendfile sends from the page cache: with it on, large blobs are read through it (decision 0035)
                driver = new FileSystemDriver(s.rootDirectory(), config.lading().directIo(),
                        config.lading().directIo() && !config.lading().sendfile());
            } catch (IOException e) {
                throw new IOException("cannot use the storage directory (--data or storage.filesystem.rootdirectory)",
                        e);
            }
            return new Stores(driver, SqliteMetadataStore.open(database(config)));
        }

        /**
         * The s3 or azure driver a configuration names, once it has listed its bucket or container: a registry
         * that cannot reach its storage does not start, and says why.
         */
        static StorageDriver objectStore(LadingConfig.Storage s) throws IOException {
            StorageDriver driver = s.s3() != null ? new S3Driver(s.s3()) : new AzureDriver(s.azure());
            try {
                driver.stat("/"); // lists the bucket or container
                return driver;
            } catch (IOException | RuntimeException e) {
                driver.close();
                String keys = s.s3() != null ? "bucket, region, regionendpoint" : "accountname, container, serviceurl";
                throw new IOException("storage." + s.driver() + ": cannot list " + s.objectStoreLocation() + " (are "
                        + keys + " and the credentials right?): " + e.getMessage(), e);
            }
        }

        /**
         * The metadata database of a filesystem, s3 or azure registry: lading.metadata.path, else metadata.db in its
         * root directory (for s3 and azure, the local one: --data, else ./data).
         */
        static Path database(LadingConfig config) {
            return config.lading().metadataPath() != null ? config.lading().metadataPath()
                    : config.storage().rootDirectory().resolve("metadata.db");
        }

        /**
         * For a command that works on a stopped or running registry's files ({@code lading check}, {@code lading
         * backup}): the configuration from {@code config} and {@code data}, with logging at warn, when it names a
         * filesystem registry whose database exists; otherwise null, after saying why on {@code err} (exit 2).
         *
         * @param doing what the command does to the files, for the message about in-memory storage ("check")
         */
        static LadingConfig offline(String command, String doing, Path config, Path data, java.io.PrintStream err) {
            return offline(command, doing, config, data, err, true);
        }

        /** @param existing whether the data directory must hold a metadata database already */
        static LadingConfig offline(String command, String doing, Path config, Path data, java.io.PrintStream err,
                                    boolean existing) {
            LadingConfig cfg;
            try {
                cfg = io.lading.cli.config.ConfigLoader.load(config, new java.util.HashMap<>(System.getenv()), data);
            } catch (io.lading.cli.config.ConfigException e) {
                err.println("lading " + command + ": " + e.getMessage());
                return null;
            }
            Logging.configure(new LadingConfig.Log("warn", "text", true, Map.of()), false);
            if (cfg.storage().driver().equals("inmemory")) {
                err.println("lading " + command + ": storage is inmemory: there is nothing on disk to " + doing);
                return null;
            }
            return existing && !hasDatabase(command, cfg, err) ? null : cfg;
        }

        /**
         * Whether the registry {@code cfg} names has its metadata database; if not, says so on {@code err}: a
         * mistyped --data must not become a new, empty registry.
         */
        static boolean hasDatabase(String command, LadingConfig cfg, java.io.PrintStream err) {
            Path db = database(cfg);
            if (java.nio.file.Files.isRegularFile(db)) {
                return true;
            }
            err.println("lading " + command + ": no metadata database at " + db + " (is --data or"
                    + " storage.filesystem.rootdirectory right?)");
            return false;
        }

        @Override
        public void close() throws IOException {
            try {
                metadata.close();
            } finally {
                driver.close();
            }
        }
    }

    /** The registry's rules, as the configuration sets them. */
    static RegistryOptions options(LadingConfig config) {
        LadingConfig.Storage s = config.storage();
        return new RegistryOptions(s.deleteEnabled(), new AtomicBoolean(s.readOnly()),
                config.validation().indexes(), config.validation().platforms(), config.lading().chunkMinLength(),
                config.catalogMaxEntries(), 100_000, config.lading().referrers(), config.lading().reserve(),
                config.validation().urls(), s.redirects());
    }

    /** The gate every request passes, and the built-in token server when it is on. */
    private record Access(AuthGate gate, TokenHandler tokens) {
    }

    private static Access access(LadingConfig.Auth auth, Clock clock) throws IOException {
        LoginLimiter limiter = new LoginLimiter(auth.loginFailures(), auth.loginWindow(), clock);
        AccessRules rules = auth.rules() != null ? auth.rules() : AccessRules.authenticatedAll();
        if (auth.htpasswdPath() != null) {
            return new Access(AuthGate.basic(new Htpasswd(auth.htpasswdPath(), auth.htpasswdRealm(), clock), rules,
                    auth.rules() != null, limiter), null);
        }
        LadingConfig.Token t = auth.token();
        if (t == null) {
            return new Access(AuthGate.open(), null);
        }
        List<X509Certificate> roots = List.of();
        Map<String, PublicKey> jwks = Map.of();
        try {
            if (t.rootCertBundle() != null) {
                roots = TokenVerifier.readCertificates(t.rootCertBundle());
            }
            if (t.jwks() != null) {
                jwks = TokenVerifier.readJwks(t.jwks());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("auth.token.rootcertbundle / auth.token.jwks: " + e.getMessage(), e);
        }
        TokenHandler tokens = null;
        Map<String, PublicKey> own = Map.of();
        if (auth.issuer() != null) {
            SigningKey key;
            try {
                key = SigningKey.load(auth.issuer().key(), true);
            } catch (IOException e) {
                throw new IllegalArgumentException("lading.auth.issuer.key: " + e.getMessage(), e);
            }
            own = Map.of(key.keyId(), key.publicKey());
            TokenIssuer issuer = new TokenIssuer(t.issuer(), t.service(), key,
                    new Htpasswd(auth.issuer().users(), t.service(), clock), rules, auth.issuer().expiration(),
                    auth.issuer().refresh(), clock);
            tokens = new TokenHandler(issuer, limiter, t.service());
            LOG.info("token server on /token: service {}, issuer {}, key {} ({}), tokens valid {}", t.service(),
                    t.issuer(), key.keyId(), key.algorithm(), auth.issuer().expiration());
        }
        TokenVerifier verifier = new TokenVerifier(t.service(), t.issuer(), roots, jwks, own, t.algorithms(), clock);
        return new Access(AuthGate.token(verifier, t.realm(), t.autoRedirectPath(), t.service(), auth.rules() != null),
                tokens);
    }

    /** What sees every request: the staged-content writer (which waits for quiet), and metrics if on. */
    private static RequestObserver requestObserver(StagedContent staged, Metrics metrics) {
        return new RequestObserver() {
            @Override
            public void started() {
                staged.requestStarted();
            }

            @Override
            public void completed(String route, String method, int status, long nanos, long in, long out) {
                staged.requestFinished();
                if (metrics != null) {
                    metrics.completed(route, method, status, nanos, in, out);
                }
            }
        };
    }

    /** The source of events: this host and port, and an id for this run of the process (as distribution). */
    private static Event.Source source(LadingConfig config) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "localhost";
        }
        String addr = config.http().addr();
        return new Event.Source(host + addr.substring(addr.lastIndexOf(':')), UUID.randomUUID().toString());
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
        int recovered = collector.recover();
        if (recovered > 0) {
            LOG.info("gc: finished {} blob deletion(s) left by an interrupted collection", recovered);
        }
        notifier.start();
        staged.start();
        server.start();
        serving.set(true);
        if (health != null) {
            health.start();
        }
        if (debugServer != null) {
            debugServer.start();
            LOG.info("debug listener on {} (port {}){}", config.http().debug().addr(), debugServer.port(),
                    metrics != null ? ", Prometheus metrics at " + config.http().debug().prometheusPath() : "");
        }
        MaintenanceService.GcSettings gc = config.lading().gc();
        if (gc.enabled()) {
            maintenance.scheduleWithFixedDelay(() -> admin.runGc(admin.gcOptions(false, null)),
                    gc.interval().toMillis(), gc.interval().toMillis(), TimeUnit.MILLISECONDS);
        }
        MaintenanceService.CheckSettings check = config.lading().check();
        if (check.enabled()) {
            long first = Math.min(check.interval().toMillis(), Duration.ofHours(1).toMillis());
            checks.scheduleWithFixedDelay(() -> admin.runCheck(check.options()), first,
                    check.interval().toMillis(), TimeUnit.MILLISECONDS);
        }
        var purging = config.storage().uploadPurging();
        if (purging.enabled()) {
            long first = Math.min(purging.interval().toMillis(), Duration.ofMinutes(1).toMillis());
            maintenance.scheduleWithFixedDelay(() -> purge(purging), first, purging.interval().toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        LadingConfig.Storage st = config.storage();
        LOG.info("Lading listening on {} (port {}, {}), storage {} at {}, metadata {}", config.http().addr(), port(),
                config.http().tls() == null ? "http" : "https, HTTP/2", driver.name(),
                st.objectStore() ? st.objectStoreLocation() + (st.redirects() ? ", blob GETs redirected" : "")
                        : st.rootDirectory() == null ? "memory" : st.rootDirectory(), metadata);
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

    /** The debug listener's port, or -1 when http.debug.addr is not set. */
    public int debugPort() {
        return debugServer == null ? -1 : debugServer.port();
    }

    public void join() throws InterruptedException {
        server.join();
    }

    /** Drains in-flight requests (http.draintimeout), then closes the stores. */
    @Override
    public void close() throws Exception {
        serving.set(false);
        maintenance.shutdownNow();
        checks.shutdownNow(); // interrupts a running check: it stops between two blobs, before the stores close
        checks.awaitTermination(5, TimeUnit.SECONDS);
        admin.stopStartedCheck(Duration.ofSeconds(5));
        try {
            server.stop();
            try {
                staged.close(); // storage is complete on its own after a clean stop (distribution can read it)
            } catch (IOException e) {
                LOG.warn("staged content not all written to storage ({}); the next start writes it", e.getMessage());
            }
            notifier.close();
            if (health != null) {
                health.close();
            }
            tracing.close();
            if (debugServer != null) {
                debugServer.close();
            }
            if (metrics != null) {
                metrics.close();
            }
        } finally {
            metadata.close();
            driver.close();
        }
    }
}
