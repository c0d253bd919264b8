package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lading.cli.config.ConfigLoader;
import io.lading.core.Digest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pull-through cache (proxy.remoteurl) in front of a real Lading and in front of a scripted registry: what it
 * fetches, what it keeps, what it refuses, and what it answers when the registry it mirrors is gone.
 */
class PullThroughTest {
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    private static final String ACCEPT = OCI_INDEX + ", " + OCI_MANIFEST;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path tmp;

    private LadingApp start(String name, String yaml) throws Exception {
        return start(name, yaml, Map.of());
    }

    private LadingApp start(String name, String yaml, Map<String, String> env) throws Exception {
        Path config = Files.writeString(tmp.resolve(name + ".yml"), """
                version: 0.1
                http:
                  addr: 127.0.0.1:0
                storage:
                  filesystem:
                    rootdirectory: %s
                """.formatted(tmp.resolve(name)) + yaml);
        LadingApp app = new LadingApp(ConfigLoader.load(config, env, null));
        app.start();
        return app;
    }

    private static String base(LadingApp app) {
        return "http://127.0.0.1:" + app.port();
    }

    private HttpResponse<byte[]> send(String method, String url, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).method(method, body == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    /** An image pushed to a registry: its manifest's bytes and digest, and its layer. */
    private record Image(byte[] manifest, Digest digest, byte[] layer, Digest layerDigest) {
    }

    private Image push(String registry, String repo, String tag, byte[] layer) throws Exception {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":" + layer.length + "}")
                .getBytes(StandardCharsets.UTF_8);
        for (byte[] blob : List.of(config, layer)) {
            assertThat(BlobPush.monolithic(http, registry, repo, blob).statusCode()).isEqualTo(201);
        }
        Digest layerDigest = Digest.of(Digest.Algorithm.SHA256, layer);
        byte[] manifest = """
                {"schemaVersion":2,"mediaType":"%s",
                 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},
                 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}
                """.formatted(OCI_MANIFEST, Digest.of(Digest.Algorithm.SHA256, config), config.length, layerDigest,
                layer.length).getBytes(StandardCharsets.UTF_8);
        HttpResponse<byte[]> put = send("PUT", registry + "/v2/" + repo + "/manifests/" + tag, manifest,
                "Content-Type", OCI_MANIFEST);
        assertThat(put.statusCode()).as(text(put)).isEqualTo(201);
        return new Image(manifest, Digest.of(Digest.Algorithm.SHA256, manifest), layer, layerDigest);
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void pullsThroughFromARealRegistryAndKeepsAnsweringWhenItIsGone() throws Exception {
        LadingApp upstream = start("upstream", "");
        Image one = push(base(upstream), "lib/app", "1", random(3 << 20, 1));
        Image two = push(base(upstream), "lib/app", "2", random(1000, 2));
        byte[] index = """
                {"schemaVersion":2,"mediaType":"%s","manifests":[
                 {"mediaType":"%s","digest":"%s","size":%d,"platform":{"architecture":"amd64","os":"linux"}},
                 {"mediaType":"%s","digest":"%s","size":%d,"platform":{"architecture":"arm64","os":"linux"}}]}
                """.formatted(OCI_INDEX, OCI_MANIFEST, one.digest(), one.manifest().length, OCI_MANIFEST,
                two.digest(), two.manifest().length).getBytes(StandardCharsets.UTF_8);
        assertThat(send("PUT", base(upstream) + "/v2/lib/app/manifests/multi", index, "Content-Type", OCI_INDEX)
                .statusCode()).isEqualTo(201);

        try (LadingApp mirror = start("mirror", "proxy:\n  remoteurl: " + base(upstream) + "/\n",
                Map.of("REGISTRY_HTTP_DEBUG_ADDR", "127.0.0.1:0", "REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED", "true"))) {
            String m = base(mirror) + "/v2/lib/app";
            HttpResponse<byte[]> head = send("HEAD", m + "/manifests/multi", null, "Accept", ACCEPT);
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().firstValue("Docker-Content-Digest"))
                    .hasValue(Digest.of(Digest.Algorithm.SHA256, index).toString());
            HttpResponse<byte[]> got = send("GET", m + "/manifests/multi", null, "Accept", ACCEPT);
            assertThat(got.body()).as("the bytes upstream has, byte for byte").isEqualTo(index);
            assertThat(got.headers().firstValue("Content-Type")).hasValue(OCI_INDEX);
            assertThat(send("GET", m + "/manifests/" + one.digest(), null, "Accept", ACCEPT).body())
                    .isEqualTo(one.manifest());
            assertThat(send("HEAD", m + "/blobs/" + one.layerDigest(), null).headers()
                    .firstValueAsLong("Content-Length")).as("a HEAD answers upstream's size").hasValue(3 << 20);
            HttpResponse<byte[]> layer = send("GET", m + "/blobs/" + one.layerDigest(), null);
            assertThat(layer.statusCode()).isEqualTo(200);
            assertThat(layer.body()).isEqualTo(one.layer());
            HttpResponse<byte[]> range = send("GET", m + "/blobs/" + two.layerDigest(), null, "Range", "bytes=10-19");
            assertThat(range.statusCode()).isEqualTo(206);
            assertThat(range.body()).isEqualTo(java.util.Arrays.copyOfRange(two.layer(), 10, 20));

            HttpResponse<byte[]> push = send("POST", m + "/blobs/uploads/", null);
            assertThat(push.statusCode()).as("a cache takes no pushes").isEqualTo(405);
            assertThat(text(push)).contains("UNSUPPORTED", "pull-through cache");
            HttpResponse<byte[]> delete = send("DELETE", m + "/manifests/" + one.digest(), null);
            assertThat(delete.statusCode()).isEqualTo(405);
            assertThat(delete.headers().firstValue("Allow")).as("a cache's manifests are only read")
                    .hasValue("GET, HEAD");

            upstream.close();
            HttpResponse<byte[]> stale = send("GET", m + "/manifests/multi", null, "Accept", ACCEPT);
            assertThat(stale.statusCode()).as("upstream gone: the tag as last cached").isEqualTo(200);
            assertThat(stale.body()).isEqualTo(index);
            assertThat(send("GET", m + "/blobs/" + one.layerDigest(), null).body()).isEqualTo(one.layer());
            assertThat(send("GET", m + "/blobs/" + two.layerDigest(), null).body())
                    .as("stored whole for the range request").isEqualTo(two.layer());
            HttpResponse<byte[]> never = send("GET", m + "/manifests/" + two.digest(), null, "Accept", ACCEPT);
            assertThat(never.statusCode()).as("never fetched, and upstream is gone").isEqualTo(502);
            assertThat(text(never)).contains("upstream");
            assertThat(send("GET", m + "/manifests/nosuchtag", null, "Accept", ACCEPT).statusCode()).isEqualTo(502);

            String metrics = text(send("GET", "http://127.0.0.1:" + mirror.debugPort() + "/metrics", null));
            // Fetched: the index (on its HEAD), one image manifest, two layers (one for the range request).
            assertThat(metrics).contains("lading_proxy_fetches_total{kind=\"manifest\"} 2.0",
                    "lading_proxy_fetches_total{kind=\"blob\"} 2.0",
                    "lading_proxy_fetched_bytes_total " + (double) (index.length + one.manifest().length
                            + one.layer().length + two.layer().length),
                    "lading_proxy_stale_total 1.0",
                    // The GET of the tag after its HEAD (the stale answer counts as stale); the two layers
                    // after upstream left.
                    "lading_proxy_hits_total{kind=\"manifest\"} 1.0", "lading_proxy_hits_total{kind=\"blob\"} 2.0",
                    // The stale tag's HEAD, the uncached manifest and the unknown tag.
                    "lading_proxy_upstream_failures_total 3.0");
        }
    }

    /** Runs one collection through the admin API and waits for it to end. */
    private void collect(LadingApp app) throws Exception {
        HttpResponse<byte[]> started = send("POST", base(app) + "/lading/v1/gc", null);
        assertThat(started.statusCode()).as(text(started)).isEqualTo(202);
        for (int i = 0; i < 200 && text(send("GET", base(app) + "/lading/v1/gc", null)).contains("\"running\":true");
             i++) {
            Thread.sleep(50);
        }
        assertThat(text(send("GET", base(app) + "/lading/v1/gc", null))).contains("\"running\":false");
    }

    @Test
    void cachedContentExpiresAfterTheTtlAndIsKeptBeforeIt() throws Exception {
        LadingApp upstream = start("upstream", "");
        Image image = push(base(upstream), "lib/app", "1", random(5000, 9));
        String gc = "lading:\n  gc:\n    enabled: false\n    grace: 0s\n";
        try (LadingApp expiring = start("expiring", "proxy:\n  remoteurl: " + base(upstream) + "\n  ttl: 1ms\n"
                + gc);
             LadingApp keeping = start("keeping", "proxy:\n  remoteurl: " + base(upstream) + "\n" + gc)) {
            for (LadingApp mirror : List.of(expiring, keeping)) {
                assertThat(send("GET", base(mirror) + "/v2/lib/app/manifests/1", null, "Accept", ACCEPT).body())
                        .isEqualTo(image.manifest());
                assertThat(send("GET", base(mirror) + "/v2/lib/app/blobs/" + image.layerDigest(), null).body())
                        .isEqualTo(image.layer());
            }
            Thread.sleep(20);
            collect(expiring);
            collect(keeping);
            upstream.close();

            assertThat(text(send("GET", base(keeping) + "/v2/_catalog", null))).contains("lib/app");
            assertThat(send("GET", base(keeping) + "/v2/lib/app/manifests/1", null, "Accept", ACCEPT).statusCode())
                    .as("within proxy.ttl (168h): kept").isEqualTo(200);
            assertThat(send("GET", base(keeping) + "/v2/lib/app/blobs/" + image.layerDigest(), null).statusCode())
                    .isEqualTo(200);

            assertThat(text(send("GET", base(expiring) + "/v2/_catalog", null))).doesNotContain("lib/app");
            assertThat(send("GET", base(expiring) + "/v2/lib/app/manifests/1", null, "Accept", ACCEPT)
                    .statusCode()).as("expired, and upstream is gone").isEqualTo(502);
            assertThat(send("GET", base(expiring) + "/v2/lib/app/manifests/" + image.digest(), null,
                    "Accept", ACCEPT).statusCode()).isEqualTo(502);
            assertThat(send("GET", base(expiring) + "/v2/lib/app/blobs/" + image.layerDigest(), null).statusCode())
                    .isEqualTo(502);
        }
    }

    @Test
    void whatTheCacheFetchesIsNoPushItsClientsPullsAreNotified() throws Exception {
        try (io.lading.http.EventReceiver receiver = new io.lading.http.EventReceiver();
             LadingApp upstream = start("upstream", "")) {
            Image image = push(base(upstream), "lib/app", "1", random(2000, 10));
            try (LadingApp mirror = start("mirror", "proxy:\n  remoteurl: " + base(upstream) + "\n"
                    + "notifications:\n  endpoints:\n    - name: hook\n      url: " + receiver.url() + "\n"
                    + "      timeout: 2s\n      threshold: 3\n      backoff: 50ms\n")) {
                send("GET", base(mirror) + "/v2/lib/app/manifests/1", null, "Accept", ACCEPT);
                send("GET", base(mirror) + "/v2/lib/app/blobs/" + image.layerDigest(), null);
                send("GET", base(mirror) + "/v2/lib/app/blobs/" + image.layerDigest(), null);
                // Three pulls: the manifest, the layer as it was fetched, and the layer from the cache.
                receiver.await(rs -> receiver.deliveredEvents().stream()
                        .filter(e -> e.path("action").asText().equals("pull")).count() >= 3, Duration.ofSeconds(20));
                Thread.sleep(300); // a push event recorded with the fetch would have been sent by now, before these
                assertThat(receiver.deliveredEvents()).extracting(e -> e.path("action").asText())
                        .as("the cache's fills are no pushes (as distribution's)").doesNotContain("push");
            }
        }
    }

    @Test
    void aTagThatMovesUpstreamMovesInTheCacheAndOneUpstreamDeletedIsGone() throws Exception {
        try (LadingApp upstream = start("upstream", "", Map.of("REGISTRY_STORAGE_DELETE_ENABLED", "true"))) {
            push(base(upstream), "lib/app", "latest", random(500, 3));
            try (LadingApp mirror = start("mirror", "proxy:\n  remoteurl: " + base(upstream) + "\n")) {
                String m = base(mirror) + "/v2/lib/app/manifests/latest";
                send("GET", m, null, "Accept", ACCEPT);
                Image newer = push(base(upstream), "lib/app", "latest", random(600, 4));
                HttpResponse<byte[]> moved = send("GET", m, null, "Accept", ACCEPT);
                assertThat(moved.headers().firstValue("Docker-Content-Digest")).hasValue(newer.digest().toString());
                assertThat(moved.body()).isEqualTo(newer.manifest());
                assertThat(send("DELETE", base(upstream) + "/v2/lib/app/manifests/" + newer.digest(), null)
                        .statusCode()).isEqualTo(202);
                assertThat(send("GET", m, null, "Accept", ACCEPT).statusCode())
                        .as("upstream says there is no such tag: neither is there here").isEqualTo(404);
            }
        }
    }

    @Test
    void clientsAskingForAnUncachedBlobAtOnceCauseOneFetch() throws Exception {
        byte[] blob = random(4 << 20, 5);
        Digest digest = Digest.of(Digest.Algorithm.SHA256, blob);
        String path = "/v2/lib/big/blobs/" + digest;
        try (ScriptedUpstream upstream = new ScriptedUpstream();
             LadingApp mirror = start("mirror", "proxy:\n  remoteurl: " + upstream.url() + "\n");
             ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            upstream.serve(path, "application/octet-stream", blob, digest);
            upstream.pauseMillis = 20; // 64 pieces: over a second, so that the eight requests overlap
            List<Future<HttpResponse<byte[]>>> pulls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                pulls.add(clients.submit(() -> send("GET", base(mirror) + path, null)));
            }
            for (Future<HttpResponse<byte[]>> pull : pulls) {
                assertThat(pull.get().statusCode()).isEqualTo(200);
                assertThat(pull.get().body()).isEqualTo(blob);
            }
            assertThat(upstream.gets(path)).as("one fetch for eight clients").isEqualTo(1);
        }
    }

    @Test
    void anUpstreamThatRateLimitsIsLeftAloneForItsRetryAfterWhileCachedTagsAreAnswered() throws Exception {
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
                + "\"manifests\":[]}").getBytes(StandardCharsets.UTF_8);
        Digest digest = Digest.of(Digest.Algorithm.SHA256, manifest);
        String tag = "/v2/lib/y/manifests/v1";
        try (ScriptedUpstream upstream = new ScriptedUpstream();
             LadingApp mirror = start("mirror", "proxy:\n  remoteurl: " + upstream.url() + "\n")) {
            upstream.serve(tag, OCI_INDEX, manifest, digest);
            upstream.serve("/v2/lib/y/manifests/" + digest, OCI_INDEX, manifest, digest);
            assertThat(send("GET", base(mirror) + tag, null, "Accept", ACCEPT).body()).isEqualTo(manifest);
            int asked = upstream.requests(tag);

            upstream.busyRetryAfter = "1";
            for (int i = 0; i < 4; i++) {
                HttpResponse<byte[]> r = send("GET", base(mirror) + tag, null, "Accept", ACCEPT);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(manifest);
            }
            assertThat(upstream.requests(tag)).as("asked once, then left alone for its Retry-After")
                    .isEqualTo(asked + 1);
            HttpResponse<byte[]> uncached = send("GET", base(mirror) + "/v2/lib/y/manifests/v2", null,
                    "Accept", ACCEPT);
            assertThat(uncached.statusCode()).as("what is not cached is still asked for").isEqualTo(502);
            assertThat(text(uncached)).contains("429 (rate limited)");
            assertThat(upstream.requests("/v2/lib/y/manifests/v2")).isEqualTo(1);

            upstream.busyRetryAfter = null;
            Thread.sleep(1100);
            assertThat(send("GET", base(mirror) + tag, null, "Accept", ACCEPT).statusCode()).isEqualTo(200);
            assertThat(upstream.requests(tag)).as("asked again once the second passed").isEqualTo(asked + 2);
        }
    }

    @Test
    void contentThatDoesNotMatchItsDigestIsNeitherStoredNorServedWhole() throws Exception {
        byte[] real = random(300_000, 6);
        Digest digest = Digest.of(Digest.Algorithm.SHA256, real);
        byte[] forged = random(300_000, 7);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
                + "\"manifests\":[]}")
                .getBytes(StandardCharsets.UTF_8);
        Digest manifestDigest = Digest.of(Digest.Algorithm.SHA256, manifest);
        byte[] other = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
                + "\"manifests\":[],\"x\":1}")
                .getBytes(StandardCharsets.UTF_8);
        try (ScriptedUpstream upstream = new ScriptedUpstream();
             LadingApp mirror = start("mirror", "proxy:\n  remoteurl: " + upstream.url() + "\n")) {
            String blobPath = "/v2/lib/x/blobs/" + digest;
            upstream.serve(blobPath, "application/octet-stream", forged, digest);
            for (int attempt = 1; attempt <= 2; attempt++) {
                int n = attempt;
                assertThatThrownBy(() -> send("GET", base(mirror) + blobPath, null))
                        .as("attempt %d: the download breaks off instead of ending with wrong bytes", n)
                        .isInstanceOf(java.io.IOException.class);
                assertThat(upstream.gets(blobPath)).as("not cached: fetched again").isEqualTo(attempt);
            }

            upstream.serve("/v2/lib/x/manifests/v1", OCI_INDEX, other, manifestDigest);
            upstream.serve("/v2/lib/x/manifests/" + manifestDigest, OCI_INDEX, other, manifestDigest);
            HttpResponse<byte[]> lie = send("GET", base(mirror) + "/v2/lib/x/manifests/v1", null, "Accept", ACCEPT);
            assertThat(lie.statusCode()).isEqualTo(502);
            assertThat(text(lie)).contains("digest").contains("nothing was stored");

            upstream.serve("/v2/lib/x/manifests/" + manifestDigest, OCI_INDEX, manifest, manifestDigest);
            HttpResponse<byte[]> honest = send("GET", base(mirror) + "/v2/lib/x/manifests/v1", null,
                    "Accept", ACCEPT);
            assertThat(honest.statusCode()).as("fetched by the digest the tag names, not by the tag")
                    .isEqualTo(200);
            assertThat(honest.body()).isEqualTo(manifest);
        }
    }

    @Test
    void theCacheLogsInToAnUpstreamThatWantsTokensWithItsCredentialsOrACredentialHelpers() throws Exception {
        Path htpasswd = Files.writeString(tmp.resolve("htpasswd"), "ann:" + new String(
                at.favre.lib.crypto.bcrypt.BCrypt.with(at.favre.lib.crypto.bcrypt.BCrypt.Version.VERSION_2Y)
                        .hash(6, "s3cret".toCharArray()), StandardCharsets.UTF_8) + "\n");
        int port = ServerProcess.freePort();
        String reg = "127.0.0.1:" + port;
        Path config = Files.writeString(tmp.resolve("upstream.yml"), """
                version: 0.1
                http:
                  addr: %s
                storage:
                  filesystem:
                    rootdirectory: %s
                auth:
                  token:
                    realm: http://%s/token
                    service: upstream
                    issuer: upstream-issuer
                lading:
                  auth:
                    issuer:
                      enabled: true
                      users: %s
                    acl:
                      - accounts: [ann]
                        repositories: ["**"]
                        actions: [pull, push]
                """.formatted(reg, tmp.resolve("upstream"), reg, htpasswd));
        try (LadingApp upstream = new LadingApp(ConfigLoader.load(config, Map.of(), null))) {
            upstream.start();
            String token = new com.fasterxml.jackson.databind.ObjectMapper().readTree(send("GET", "http://" + reg
                    + "/token?service=upstream&scope=repository:team/app:pull,push", null, "Authorization",
                    "Basic " + java.util.Base64.getEncoder().encodeToString("ann:s3cret".getBytes())).body())
                    .path("token").asText();
            byte[] blob = random(2000, 8);
            Digest digest = Digest.of(Digest.Algorithm.SHA256, blob);
            assertThat(send("POST", "http://" + reg + "/v2/team/app/blobs/uploads/?digest=" + digest, blob,
                    "Authorization", "Bearer " + token).statusCode()).isEqualTo(201);

            // proxy.exec: the same credentials from a Docker credential helper, run as "helper get".
            Path helper = Files.writeString(tmp.resolve("docker-credential-ann"), "#!/bin/sh\nread url\n"
                    + "echo '{\"ServerURL\":\"'\"$url\"'\",\"Username\":\"ann\",\"Secret\":\"s3cret\"}'\n");
            assertThat(helper.toFile().setExecutable(true)).isTrue();
            try (LadingApp mirror = start("mirror", "proxy:\n  remoteurl: http://" + reg
                    + "\n  username: ann\n  password: s3cret\n");
                 LadingApp helped = start("helped", "proxy:\n  remoteurl: http://" + reg
                         + "\n  exec:\n    command: " + helper + "\n");
                 LadingApp refused = start("refused", "proxy:\n  remoteurl: http://" + reg
                         + "\n  username: ann\n  password: wrong\n")) {
                for (LadingApp cache : List.of(mirror, helped)) {
                    HttpResponse<byte[]> got = send("GET", base(cache) + "/v2/team/app/blobs/" + digest, null);
                    assertThat(got.statusCode()).isEqualTo(200);
                    assertThat(got.body()).isEqualTo(blob);
                }
                HttpResponse<byte[]> no = send("GET", base(refused) + "/v2/team/app/blobs/" + digest, null);
                assertThat(no.statusCode()).isEqualTo(502);
                assertThat(text(no)).contains("the proxy's credentials are not accepted");
            }
        }
    }
}
