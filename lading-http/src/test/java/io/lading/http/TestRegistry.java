package io.lading.http;

import io.lading.core.Digest;
import io.lading.metadata.sqlite.SqliteMetadataStore;
import io.lading.registry.BlobService;
import io.lading.registry.ContentCheck;
import io.lading.registry.GarbageCollector;
import io.lading.registry.MaintenanceService;
import io.lading.registry.ManifestService;
import io.lading.registry.RecentUse;
import io.lading.registry.RegistryOptions;
import io.lading.registry.SpaceReserve;
import io.lading.registry.StagedContent;
import io.lading.registry.UploadService;
import io.lading.registry.events.Notifier;
import io.lading.storage.BlobStore;
import io.lading.storage.InMemoryDriver;
import io.lading.storage.StorageDriver;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/** A registry on an ephemeral loopback port (in-memory driver, in-memory SQLite) and an HTTP client for it. */
final class TestRegistry implements AutoCloseable {
    final RegistryOptions options;
    final RegistryServer server;
    final SqliteMetadataStore metadata;
    final BlobStore blobs;
    final RecentUse recentUse;
    final GarbageCollector collector;
    final MaintenanceService maintenance;
    final UploadService uploads;
    final StagedContent staged;
    final Notifier notifier;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final String base;

    TestRegistry(RegistryOptions options) throws Exception {
        this(options, (io.lading.auth.Htpasswd) null);
    }

    /** @param htpasswd when not null, the registry requires its credentials (auth.htpasswd) */
    TestRegistry(RegistryOptions options, io.lading.auth.Htpasswd htpasswd) throws Exception {
        this(options, htpasswd, SqliteMetadataStore.inMemory(), null);
    }

    /**
     * @param notifications the events' endpoints, or null for none; the notifier records into {@code metadata}
     */
    TestRegistry(RegistryOptions options, io.lading.auth.Htpasswd htpasswd, SqliteMetadataStore metadata,
                 java.util.List<io.lading.registry.events.Endpoint> notifications) throws Exception {
        this(options, htpasswd, metadata, notifications, false);
    }

    /** @param eventReferences manifest events list what the manifest references (includereferences) */
    TestRegistry(RegistryOptions options, io.lading.auth.Htpasswd htpasswd, SqliteMetadataStore metadata,
                 java.util.List<io.lading.registry.events.Endpoint> notifications, boolean eventReferences)
            throws Exception {
        this(options, metadata, notifications, htpasswd == null ? AuthGate.open() : AuthGate.basic(htpasswd,
                io.lading.auth.AccessRules.authenticatedAll(), false,
                new io.lading.auth.LoginLimiter(1000, Duration.ofMinutes(1), Clock.systemUTC())), null, false, null,
                new InMemoryDriver(), RequestObserver.NONE, StagedContent.Settings.DEFAULTS, eventReferences,
                false);
    }

    /** A registry behind {@code gate}, with the token server {@code tokens} (or none). */
    TestRegistry(AuthGate gate, TokenHandler tokens, boolean explicitRules) throws Exception {
        this(RegistryOptions.defaults(), SqliteMetadataStore.inMemory(), null, gate, tokens, explicitRules, null,
                new InMemoryDriver(), RequestObserver.NONE, StagedContent.Settings.DEFAULTS, false, false);
    }

    /**
     * An open registry whose requests {@code observer} sees begin and end. Without staging: no commit of the
     * staged-content writer comes between a test's requests.
     */
    TestRegistry(RegistryOptions options, RequestObserver observer) throws Exception {
        this(options, SqliteMetadataStore.inMemory(), null, AuthGate.open(), null, false, null, new InMemoryDriver(),
                observer, StagedContent.Settings.OFF, false, false);
    }

    /** A registry behind {@code gate}, with the token server {@code tokens} (or none), seen by {@code observer}. */
    TestRegistry(AuthGate gate, TokenHandler tokens, RequestObserver observer) throws Exception {
        this(RegistryOptions.defaults(), SqliteMetadataStore.inMemory(), null, gate, tokens, false, null,
                new InMemoryDriver(), observer, StagedContent.Settings.OFF, false, false);
    }

    /** An open registry speaking plain HTTP/1.1 and, to clients that ask, HTTP/2 in clear text (h2c). */
    static TestRegistry withH2c(StorageDriver driver) throws Exception {
        return new TestRegistry(RegistryOptions.defaults(), SqliteMetadataStore.inMemory(), null, AuthGate.open(), null,
                false, null, driver, RequestObserver.NONE, StagedContent.Settings.DEFAULTS, false, true);
    }

    /** An open registry speaking HTTPS with {@code tls}. */
    TestRegistry(TlsSettings tls) throws Exception {
        this(tls, new InMemoryDriver());
    }

    /** An open registry with {@code options}, storing blobs with {@code driver}. */
    TestRegistry(StorageDriver driver, RegistryOptions options) throws Exception {
        this(options, SqliteMetadataStore.inMemory(), null, AuthGate.open(), null, false, null, driver,
                RequestObserver.NONE, StagedContent.Settings.DEFAULTS, false, false);
    }

    /** An open registry storing blobs with {@code driver}, speaking HTTPS with {@code tls} (or HTTP if null). */
    TestRegistry(TlsSettings tls, StorageDriver driver) throws Exception {
        this(RegistryOptions.defaults(), SqliteMetadataStore.inMemory(), null, AuthGate.open(), null, false, tls,
                driver, RequestObserver.NONE, StagedContent.Settings.DEFAULTS, false, false);
    }

    private TestRegistry(RegistryOptions options, SqliteMetadataStore metadata,
                         java.util.List<io.lading.registry.events.Endpoint> notifications, AuthGate gate,
                         TokenHandler tokens, boolean explicitRules, TlsSettings tls, StorageDriver driver,
                         RequestObserver observer, StagedContent.Settings staging, boolean eventReferences,
                         boolean h2c) throws Exception {
        this.options = options;
        this.metadata = metadata;
        notifier = notifications == null ? Notifier.none() : new Notifier(metadata, notifications,
                new io.lading.registry.events.Event.Source("test:5000", "test-instance"), "", true,
                eventReferences, Clock.systemUTC(),
                new Notifier.Listener() {
                });
        notifier.start();
        blobs = new BlobStore(driver);
        Clock clock = Clock.systemUTC();
        recentUse = new RecentUse(clock, 10_000);
        collector = new GarbageCollector(metadata, blobs, recentUse, clock);
        staged = new StagedContent(metadata, blobs, staging);
        staged.start();
        BlobService linked = new BlobService(metadata, staged, options, recentUse, notifier);
        maintenance = new MaintenanceService(metadata, options, collector,
                new MaintenanceService.GcSettings(false, Duration.ofHours(1), Duration.ZERO, false),
                new MaintenanceService.CheckSettings(false, Duration.ofHours(24), false, false, 0),
                new ContentCheck(metadata, blobs, clock, linked::dataLost));
        SpaceReserve space = new SpaceReserve(blobs, options.reserve());
        uploads = new UploadService(metadata, blobs, staged, linked, options, space, clock, notifier);
        RegistryHandler handler = new RegistryHandler(linked, uploads,
                new ManifestService(metadata, blobs, staged, options, space, clock, notifier),
                options, "", Map.of());
        server = new RegistryServer(new LadingHandler(handler, new AdminHandler(maintenance, notifier, explicitRules),
                gate, tokens, observer, io.opentelemetry.api.OpenTelemetry.noop()),
                new InetSocketAddress("127.0.0.1", 0), Duration.ofSeconds(5), tls, true, h2c);
        server.start();
        base = (tls == null ? "http" : "https") + "://127.0.0.1:" + server.port();
    }

    TestRegistry() throws Exception {
        this(RegistryOptions.defaults());
    }

    HttpRequest.Builder request(String pathOrUrl) {
        return HttpRequest.newBuilder(URI.create(pathOrUrl.startsWith("http") ? pathOrUrl : base + pathOrUrl));
    }

    HttpResponse<byte[]> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> send(String method, String path, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = request(path).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        try {
            return send(b);
        } catch (java.io.IOException e) {
            throw new java.io.IOException(method + " " + path + ": " + e.getMessage(), e);
        }
    }

    /** Pushes a blob with POST + PUT into {@code repo}; returns its digest. */
    Digest pushBlob(String repo, byte[] content) throws Exception {
        Digest d = Digest.of(Digest.Algorithm.SHA256, content);
        HttpResponse<byte[]> r = send("POST", "/v2/" + repo + "/blobs/uploads/", null);
        String location = r.headers().firstValue("Location").orElseThrow();
        HttpResponse<byte[]> put = send("PUT", location + "?digest=" + d, content);
        if (put.statusCode() != 201) {
            throw new AssertionError("blob push failed: " + put.statusCode() + " " + text(put));
        }
        return d;
    }

    /** Pushes a manifest under {@code reference}; returns the response. */
    HttpResponse<byte[]> putManifest(String repo, String reference, String mediaType, String json) throws Exception {
        return send("PUT", "/v2/" + repo + "/manifests/" + reference, json.getBytes(StandardCharsets.UTF_8),
                "Content-Type", mediaType);
    }

    /**
     * The bytes the server has sent with sendfile, once they reach {@code expected} or after 5 s. The server counts
     * each write once it has returned, when its bytes are in the socket already: a client can have read them all
     * before the count moves.
     */
    long zeroCopyBytesReaching(long expected) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        long sent;
        while ((sent = server.zeroCopyBytes()) < expected && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return sent;
    }

    static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws Exception {
        server.stop();
        staged.close();
        notifier.close();
        metadata.close();
    }
}
