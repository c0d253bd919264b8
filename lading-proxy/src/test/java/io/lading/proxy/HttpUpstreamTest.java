package io.lading.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.lading.core.Digest;
import io.lading.core.ErrorCode;
import io.lading.core.MemoryBudget;
import io.lading.core.Reference;
import io.lading.core.RegistryException;
import io.lading.core.RepositoryName;
import io.lading.registry.Upstream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The HTTP side of a pull-through cache against registries that ask for tokens, redirect, and say no. */
class HttpUpstreamTest {
    private static final RepositoryName REPO = RepositoryName.of("lib/app");
    private static final byte[] BLOB = "layer bytes".getBytes(StandardCharsets.UTF_8);
    private static final Digest DIGEST = Digest.of(Digest.Algorithm.SHA256, BLOB);

    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    private interface Answer {
        void answer(HttpExchange exchange) throws IOException;
    }

    private String serve(Answer answer) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            try (exchange) {
                answer.answer(exchange);
            }
        });
        server.start();
        servers.add(server);
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static void reply(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            exchange.getResponseBody().write(body);
        }
    }

    /**
     * Blob GETs to upstream in flight share a memory budget, each until its response's body is closed: with room for
     * two, a third waits until one of them is closed, or gets 429 when that takes longer than its wait. Other
     * requests have a budget of their own, so they go on meanwhile, and a manifest is read only with room for its
     * declared length in a third. A 404 and a refused connection give their share back at once.
     */
    @Test
    void requestsInFlightShareAMemoryBudgetUntilTheirBodiesAreClosed() throws Exception {
        byte[] manifest = "{\"schemaVersion\":2,\"manifests\":[]}".getBytes(StandardCharsets.UTF_8);
        Digest m = Digest.of(Digest.Algorithm.SHA256, manifest);
        String registry = serve(exchange -> {
            if (exchange.getRequestURI().getPath().endsWith(DIGEST.toString())) {
                reply(exchange, 200, BLOB);
            } else if (exchange.getRequestURI().getPath().endsWith("/manifests/" + m)) {
                exchange.getResponseHeaders().set("Content-Type", "application/vnd.oci.image.index.v1+json");
                reply(exchange, 200, manifest);
            } else {
                reply(exchange, 404, new byte[0]);
            }
        });
        long room = 2L * HttpUpstream.EXCHANGE_BYTES;
        MemoryBudget budget = new MemoryBudget(room, "blob fetches");
        MemoryBudget lookups = new MemoryBudget(room, "other requests");
        MemoryBudget manifests = new MemoryBudget(manifest.length, "manifests");
        long manifestRoom = manifests.available();
        HttpUpstream impatient = new HttpUpstream(URI.create(registry), UpstreamCredentials.of(null, null),
                Duration.ofSeconds(5), Clock.systemUTC(),
                new HttpUpstream.Budgets(budget, lookups, manifests, Duration.ofMillis(200)));
        HttpUpstream patient = new HttpUpstream(URI.create(registry), UpstreamCredentials.of(null, null),
                Duration.ofSeconds(5), Clock.systemUTC(),
                new HttpUpstream.Budgets(budget, lookups, manifests, Duration.ofSeconds(20)));

        Upstream.BlobBody first = impatient.blob(REPO, DIGEST).orElseThrow();
        Upstream.BlobBody second = impatient.blob(REPO, DIGEST).orElseThrow();
        assertThatThrownBy(() -> impatient.blob(REPO, DIGEST)).isInstanceOfSatisfying(RegistryException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.TOOMANYREQUESTS));
        assertThat(impatient.head(REPO, Reference.parse("v1"))).as("a manifest HEAD meanwhile").isEmpty();
        assertThat(lookups.available()).isEqualTo(room);
        try (MemoryBudget.Share taken = manifests.acquire(1, Duration.ZERO)) {
            assertThatThrownBy(() -> impatient.manifest(REPO, m)).as("no room for the manifest's length")
                    .isInstanceOfSatisfying(RegistryException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.TOOMANYREQUESTS));
        }
        assertThat(impatient.manifest(REPO, m).orElseThrow().bytes()).isEqualTo(manifest);
        assertThat(manifests.available()).isEqualTo(manifestRoom);
        assertThat(lookups.available()).isEqualTo(room);
        try (ExecutorService waiting = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Upstream.BlobBody> third = waiting.submit(() -> patient.blob(REPO, DIGEST).orElseThrow());
            Thread.sleep(300);
            assertThat(third).as("waits while two bodies are open").isNotDone();
            first.close();
            try (Upstream.BlobBody body = third.get(10, TimeUnit.SECONDS)) {
                assertThat(body.body().readAllBytes()).isEqualTo(BLOB);
            }
        }
        second.close();
        assertThat(budget.available()).isEqualTo(room);

        Digest unknown = Digest.of(Digest.Algorithm.SHA256, new byte[]{1});
        assertThat(patient.blob(REPO, unknown)).isEmpty();
        assertThat(budget.available()).as("after a 404").isEqualTo(room);
        servers.forEach(server -> server.stop(0));
        assertThatThrownBy(() -> patient.blob(REPO, DIGEST)).isInstanceOf(IOException.class);
        assertThat(budget.available()).as("after a refused connection").isEqualTo(room);
    }

    @Test
    void tokensFromTheChallengesRealmAreKeptAndCredentialsNeverFollowARedirectToAnotherHost() throws Exception {
        List<String> cdnAuthorizations = new CopyOnWriteArrayList<>();
        String cdn = serve(exchange -> {
            cdnAuthorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            reply(exchange, 200, BLOB);
        });
        AtomicInteger tokensIssued = new AtomicInteger();
        String[] registry = new String[1];
        registry[0] = serve(exchange -> {
            String path = exchange.getRequestURI().getPath();
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            if (path.equals("/token")) {
                String basic = "Basic " + java.util.Base64.getEncoder().encodeToString("ann:s3cret".getBytes());
                assertThat(exchange.getRequestURI().getQuery()).isEqualTo("service=reg&scope=repository:lib/app:pull");
                if (!basic.equals(auth)) {
                    reply(exchange, 401, new byte[0]);
                    return;
                }
                tokensIssued.incrementAndGet();
                reply(exchange, 200, "{\"token\":\"t0ken\",\"expires_in\":300}".getBytes());
                return;
            }
            if (!"Bearer t0ken".equals(auth)) {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"" + registry[0]
                        + "/token\",service=\"reg\",scope=\"repository:lib/app:pull\"");
                reply(exchange, 401, new byte[0]);
                return;
            }
            if (path.equals("/v2/lib/app/blobs/" + DIGEST)) {
                exchange.getResponseHeaders().set("Location", cdn + "/signed?sig=1");
                reply(exchange, 307, new byte[0]);
                return;
            }
            reply(exchange, 404, new byte[0]);
        });
        HttpUpstream upstream = new HttpUpstream(URI.create(registry[0] + "/"), "ann", "s3cret",
                Duration.ofSeconds(5), Clock.systemUTC());
        for (int i = 0; i < 3; i++) {
            try (Upstream.BlobBody body = upstream.blob(REPO, DIGEST).orElseThrow(); InputStream in = body.body()) {
                assertThat(in.readAllBytes()).isEqualTo(BLOB);
            }
        }
        assertThat(tokensIssued.get()).as("one token, kept until it expires").isEqualTo(1);
        assertThat(cdnAuthorizations).as("the CDN gets no credentials").containsExactly("null", "null", "null");
        assertThat(upstream.blobSize(REPO, Digest.of(Digest.Algorithm.SHA256, new byte[1]))).as("404").isEmpty();

        HttpUpstream wrong = new HttpUpstream(URI.create(registry[0]), "ann", "nope", Duration.ofSeconds(5),
                Clock.systemUTC());
        assertThatThrownBy(() -> wrong.blob(REPO, DIGEST)).isInstanceOf(IOException.class)
                .hasMessageContaining("token service").hasMessageContaining("401")
                .hasMessageContaining("the proxy's credentials are not accepted");
    }

    @Test
    void aHeadWithoutADigestIsAnsweredByTheManifestsBytesAndRateLimitsAreFailuresNotAbsence() throws Exception {
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
                + "\"manifests\":[]}")
                .getBytes(StandardCharsets.UTF_8);
        AtomicInteger limited = new AtomicInteger();
        String registry = serve(exchange -> {
            String path = exchange.getRequestURI().getPath();
            if (path.endsWith("/limited")) {
                limited.incrementAndGet();
                reply(exchange, 429, new byte[0]);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "application/vnd.oci.image.index.v1+json");
            if (exchange.getRequestMethod().equals("HEAD")) {
                exchange.sendResponseHeaders(200, -1); // no Docker-Content-Digest
                return;
            }
            reply(exchange, 200, manifest);
        });
        HttpUpstream upstream = new HttpUpstream(URI.create(registry), null, null, Duration.ofSeconds(5),
                Clock.systemUTC());
        Upstream.ManifestHead head = upstream.head(REPO, Reference.parse("v1")).orElseThrow();
        assertThat(head.digest()).isEqualTo(Digest.of(Digest.Algorithm.SHA256, manifest));
        assertThat(head.mediaType()).isEqualTo("application/vnd.oci.image.index.v1+json");
        assertThatThrownBy(() -> upstream.head(REPO, Reference.parse("limited"))).isInstanceOf(IOException.class)
                .hasMessageContaining("429 (rate limited)");
        assertThat(limited.get()).as("asked once, not retried behind the cache's back").isEqualTo(1);
    }

    /**
     * proxy.exec: a real credential helper (a script) is run as {@code helper get} with the registry's URL on its
     * input; its answer is kept for the lifetime (none: for good, 0: run per request); a failing one is named.
     */
    @Test
    void aCredentialHelperGivesTheCredentialsAndIsRunAsItsLifetimeSays(@org.junit.jupiter.api.io.TempDir
                                                                       java.nio.file.Path tmp) throws Exception {
        String basic = "Basic " + java.util.Base64.getEncoder().encodeToString("bot:t0ken".getBytes());
        String registry = serve(exchange -> {
            if (!basic.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"reg\"");
                reply(exchange, 401, new byte[0]);
                return;
            }
            reply(exchange, 200, BLOB);
        });
        java.nio.file.Path runs = tmp.resolve("runs");
        java.nio.file.Path helper = tmp.resolve("docker-credential-test");
        java.nio.file.Files.writeString(helper, """
                #!/bin/sh
                [ "$1" = get ] || exit 2
                read url
                echo "$url" >> %s
                echo '{"ServerURL":"'"$url"'","Username":"bot","Secret":"t0ken"}'
                """.formatted(runs));
        helper.toFile().setExecutable(true);
        for (Duration lifetime : new Duration[] {null, Duration.ZERO}) {
            java.nio.file.Files.deleteIfExists(runs);
            HttpUpstream upstream = new HttpUpstream(URI.create(registry), new CredentialHelper(helper.toString(),
                    lifetime, registry, Clock.systemUTC()), Duration.ofSeconds(5), Clock.systemUTC());
            for (int i = 0; i < 3; i++) {
                try (InputStream in = upstream.blob(REPO, DIGEST).orElseThrow().body()) {
                    assertThat(in.readAllBytes()).isEqualTo(BLOB);
                }
            }
            List<String> asked = java.nio.file.Files.readAllLines(runs);
            assertThat(asked).as("lifetime %s", lifetime).hasSize(lifetime == null ? 1 : 3).containsOnly(registry);
        }

        java.nio.file.Path failing = tmp.resolve("docker-credential-failing");
        java.nio.file.Files.writeString(failing, "#!/bin/sh\necho 'credentials not found in native keychain' >&2\n"
                + "exit 1\n");
        failing.toFile().setExecutable(true);
        HttpUpstream broken = new HttpUpstream(URI.create(registry), new CredentialHelper(failing.toString(), null,
                registry, Clock.systemUTC()), Duration.ofSeconds(5), Clock.systemUTC());
        assertThatThrownBy(() -> broken.blob(REPO, DIGEST)).isInstanceOf(IOException.class)
                .hasMessageContaining("proxy.exec.command " + failing + " get exited with 1")
                .hasMessageContaining("credentials not found in native keychain");

        java.nio.file.Path hanging = tmp.resolve("docker-credential-hanging");
        java.nio.file.Files.writeString(hanging, "#!/bin/sh\nsleep 60\n"); // its output stays open
        hanging.toFile().setExecutable(true);
        long started = System.nanoTime();
        assertThatThrownBy(() -> new CredentialHelper(hanging.toString(), null, registry, Clock.systemUTC(),
                Duration.ofSeconds(1)).basic()).isInstanceOf(IOException.class).hasMessageContaining("did not finish");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
    }
}
