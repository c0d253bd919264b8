package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lading.cli.config.ConfigLoader;
import io.lading.core.Digest;
import io.lading.storage.StorageDriver;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registry whose blobs live in an object store (storage.s3, storage.azure), against a real server of that store's
 * API in its own process (see the subclasses): a distribution config's storage section starts it, pushes and pulls
 * work over HTTP, blob GETs are redirected to signed URLs as distribution's are, an upload resumes after a restart,
 * deletes empty the store, and skopeo copies an image in and out.
 */
abstract class ObjectStoreTest {
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @TempDir
    Path tmp;

    /** The driver's name in the config: s3 or azure. */
    abstract String driverName();

    /** A config.yml {@code storage} section naming the store's "registry" bucket or container, below {@code root}. */
    abstract String storageSection(String root);

    /** {@link #storageSection} naming a bucket or container that does not exist. */
    abstract String missingStoreSection(String root);

    /** What the start of a registry on a missing bucket or container says, and the store's own error code. */
    abstract List<String> missingStoreMessages();

    /** A driver on the store below {@code root}, as the registry's. */
    abstract StorageDriver driver(String root);

    /** The port of the store's API, which redirects point to. */
    abstract int storePort();

    /** A distribution-style config with the store's section, below {@code root}. */
    private Path config(String root, String extra) throws IOException {
        return Files.writeString(tmp.resolve(root + ".yml"), "version: 0.1\nhttp:\n  addr: 127.0.0.1:0\n"
                + storageSection(root) + extra);
    }

    private LadingApp start(Path config) throws Exception {
        LadingApp app = new LadingApp(ConfigLoader.load(config, Map.of("REGISTRY_HTTP_DEBUG_ADDR", "127.0.0.1:0"),
                tmp.resolve("local")));
        app.start();
        return app;
    }

    private HttpResponse<byte[]> send(String method, String url, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).method(method, body == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String base(LadingApp app) {
        return "http://127.0.0.1:" + app.port();
    }

    /** Pushes a config and a layer, then a manifest naming them; returns the manifest's bytes. */
    private byte[] pushImage(String registry, String repo, String tag, byte[] layer) throws Exception {
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        for (byte[] blob : List.of(config, layer)) {
            assertThat(BlobPush.monolithic(http, registry, repo, blob).statusCode()).isEqualTo(201);
        }
        byte[] manifest = """
                {"schemaVersion":2,"mediaType":"%s",
                 "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},
                 "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}
                """.formatted(OCI_MANIFEST, Digest.of(Digest.Algorithm.SHA256, config), config.length,
                Digest.of(Digest.Algorithm.SHA256, layer), layer.length).getBytes(StandardCharsets.UTF_8);
        HttpResponse<byte[]> put = send("PUT", registry + "/v2/" + repo + "/manifests/" + tag, manifest,
                "Content-Type", OCI_MANIFEST);
        assertThat(put.statusCode()).as(new String(put.body(), StandardCharsets.UTF_8)).isEqualTo(201);
        return manifest;
    }

    @Test
    void servesTheApiFromTheStoreRedirectingBlobGetsAndResumesUploadsAfterARestart() throws Exception {
        Path config = config("redirected", "");
        byte[] layer = random(3 << 20, 1);
        Digest layerDigest = Digest.of(Digest.Algorithm.SHA256, layer);
        byte[] manifest;
        String session;
        byte[] big = random(11 << 20, 2);
        try (LadingApp app = start(config)) {
            String v2 = base(app) + "/v2/lib/app";
            manifest = pushImage(base(app), "lib/app", "1", layer);
            assertThat(send("GET", v2 + "/manifests/1", null, "Accept", OCI_MANIFEST).body()).isEqualTo(manifest);

            HttpResponse<byte[]> get = send("GET", v2 + "/blobs/" + layerDigest, null);
            assertThat(get.statusCode()).as("a layer comes from the store itself").isEqualTo(307);
            assertThat(get.headers().firstValue("Docker-Content-Digest")).hasValue(layerDigest.toString());
            URI location = URI.create(get.headers().firstValue("Location").orElseThrow());
            assertThat(location.getPort()).isEqualTo(storePort());
            assertThat(send("GET", location.toString(), null).body()).isEqualTo(layer);
            HttpResponse<byte[]> head = send("HEAD", v2 + "/blobs/" + layerDigest, null);
            assertThat(head.statusCode()).as("a HEAD is answered here").isEqualTo(200);
            assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(layer.length);

            // A chunked upload, interrupted by a restart after its first chunk.
            HttpResponse<byte[]> post = send("POST", v2 + "/blobs/uploads/", null);
            assertThat(post.statusCode()).isEqualTo(202);
            session = post.headers().firstValue("Location").orElseThrow();
            HttpResponse<byte[]> first = send("PATCH", absolute(app, session), Arrays.copyOf(big, 6 << 20),
                    "Content-Type", "application/octet-stream", "Content-Range", "0-" + ((6 << 20) - 1));
            assertThat(first.statusCode()).isEqualTo(202);
            session = first.headers().firstValue("Location").orElseThrow();
        }
        try (LadingApp app = start(config)) {
            String v2 = base(app) + "/v2/lib/app";
            assertThat(send("GET", v2 + "/manifests/1", null, "Accept", OCI_MANIFEST).body())
                    .as("after a restart").isEqualTo(manifest);
            HttpResponse<byte[]> status = send("GET", absolute(app, session), null);
            assertThat(status.statusCode()).isEqualTo(204);
            assertThat(status.headers().firstValue("Range")).hasValue("0-" + ((6 << 20) - 1));
            HttpResponse<byte[]> rest = send("PATCH", absolute(app, session), Arrays.copyOfRange(big, 6 << 20,
                    big.length), "Content-Type", "application/octet-stream",
                    "Content-Range", (6 << 20) + "-" + (big.length - 1));
            assertThat(rest.statusCode()).isEqualTo(202);
            Digest bigDigest = Digest.of(Digest.Algorithm.SHA256, big);
            String done = rest.headers().firstValue("Location").orElseThrow();
            HttpResponse<byte[]> put = send("PUT", absolute(app, done) + (done.contains("?") ? "&" : "?")
                    + "digest=" + bigDigest, null);
            assertThat(put.statusCode()).as(new String(put.body(), StandardCharsets.UTF_8)).isEqualTo(201);
            HttpResponse<byte[]> got = send("GET", v2 + "/blobs/" + bigDigest, null);
            assertThat(got.statusCode()).isEqualTo(307);
            assertThat(send("GET", got.headers().firstValue("Location").orElseThrow(), null).body())
                    .as("the upload's two chunks, joined").isEqualTo(big);
            HttpResponse<byte[]> wrong = send("POST", v2 + "/blobs/uploads/?digest=" + bigDigest, layer);
            assertThat(wrong.statusCode()).as("bytes that are not the digest's are refused").isEqualTo(400);
            assertThat(new String(wrong.body(), StandardCharsets.UTF_8)).contains("DIGEST_INVALID");
        }
        // The commands on a stopped registry on the store: a content check reads it; backups are not offered.
        String[] args = {"--config", config.toString(), "--data", tmp.resolve("local").toString(), "--quiet"};
        assertThat(command(new CheckCommand(System.out, System.err), args)).isZero();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        String[] backupArgs = Arrays.copyOf(args, args.length + 2);
        backupArgs[args.length] = "--to";
        backupArgs[args.length + 1] = tmp.resolve("backup").toString();
        assertThat(command(new BackupCommand(System.out, new java.io.PrintStream(err, true, StandardCharsets.UTF_8)),
                backupArgs)).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("storage is " + driverName()
                + ": backups are of filesystem registries only");
    }

    private static int command(java.util.concurrent.Callable<Integer> command, String... args) {
        return new picocli.CommandLine(command).execute(args);
    }

    private static String absolute(LadingApp app, String location) {
        return location.startsWith("http") ? location : base(app) + location;
    }

    @Test
    void blobGetsAreServedHereWhenRedirectsAreDisabledAndSmallBlobsAlwaysAre() throws Exception {
        try (LadingApp app = start(config("served", "  redirect:\n    disable: true\n"))) {
            byte[] layer = random(2 << 20, 3);
            pushImage(base(app), "lib/served", "1", layer);
            HttpResponse<byte[]> get = send("GET", base(app) + "/v2/lib/served/blobs/"
                    + Digest.of(Digest.Algorithm.SHA256, layer), null);
            assertThat(get.statusCode()).isEqualTo(200);
            assertThat(get.body()).isEqualTo(layer);
            HttpResponse<byte[]> range = send("GET", base(app) + "/v2/lib/served/blobs/"
                    + Digest.of(Digest.Algorithm.SHA256, layer), null, "Range", "bytes=100-199");
            assertThat(range.statusCode()).isEqualTo(206);
            assertThat(range.body()).isEqualTo(Arrays.copyOfRange(layer, 100, 200));
        }
        try (LadingApp app = start(config("small", ""))) {
            HttpResponse<byte[]> health = send("GET", "http://127.0.0.1:" + app.debugPort() + "/debug/health", null);
            assertThat(health.statusCode()).as("storage is healthy: " + new String(health.body(),
                    StandardCharsets.UTF_8)).isEqualTo(200);
            byte[] small = random(1000, 4);
            assertThat(BlobPush.monolithic(http, base(app), "lib/small", small).statusCode()).isEqualTo(201);
            HttpResponse<byte[]> get = send("GET", base(app) + "/v2/lib/small/blobs/"
                    + Digest.of(Digest.Algorithm.SHA256, small), null);
            assertThat(get.statusCode()).as("small content may still be staged: never redirected").isEqualTo(200);
            assertThat(get.body()).isEqualTo(small);
        }
    }

    /**
     * What the registry deletes leaves the store: garbage collection removes an untagged image's blobs, and upload
     * purging removes an abandoned upload's chunks.
     */
    @Test
    void garbageCollectionAndUploadPurgingEmptyTheStore() throws Exception {
        Path config = config("cleaned", """
                  delete:
                    enabled: true
                  maintenance:
                    uploadpurging:
                      enabled: true
                      age: 1s
                      interval: 1s
                """);
        String abandoned;
        try (LadingApp app = start(config); StorageDriver bucket = driver("cleaned")) {
            String v2 = base(app) + "/v2/lib/gone";
            byte[] manifest = pushImage(base(app), "lib/gone", "1", random(2 << 20, 5));
            Digest digest = Digest.of(Digest.Algorithm.SHA256, manifest);
            assertThat(send("DELETE", v2 + "/manifests/" + digest, null).statusCode()).isEqualTo(202);

            HttpResponse<byte[]> post = send("POST", v2 + "/blobs/uploads/", null);
            abandoned = absolute(app, post.headers().firstValue("Location").orElseThrow());
            assertThat(send("PATCH", abandoned, random(6 << 20, 6), "Content-Type", "application/octet-stream")
                    .statusCode()).isEqualTo(202);
            // A purge forgets the session first, then deletes its chunks: wait for both, the registry running.
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
            while (send("GET", abandoned, null).statusCode() != 404 || !bucket.list("/uploads").isEmpty()) {
                assertThat(System.nanoTime()).as("the abandoned upload and its chunks were purged")
                        .isLessThan(deadline);
                Thread.sleep(200);
            }
        }
        try (StorageDriver bucket = driver("cleaned")) {
            assertThat(blobsIn(bucket)).as("the image's config, layer and manifest").hasSize(3);
            String[] args = {"--config", config.toString(), "--data", tmp.resolve("local").toString(),
                "--delete-untagged", "--quiet"};
            assertThat(command(new GcCommand(System.out, System.err), args)).isZero();
            assertThat(blobsIn(bucket)).as("no blob of the deleted image left").isEmpty();
        }
    }

    /** The blob directories in a store (blobs/sha256/ab/<hex>). */
    private static List<String> blobsIn(StorageDriver bucket) throws IOException {
        List<String> out = new ArrayList<>();
        for (String fanout : bucket.list("/blobs/sha256")) {
            out.addAll(bucket.list(fanout));
        }
        return out;
    }

    @Test
    void aStoreItCannotListStopsTheStartWithTheReason() throws Exception {
        Path config = Files.writeString(tmp.resolve("missing.yml"), "version: 0.1\nhttp:\n  addr: 127.0.0.1:0\n"
                + missingStoreSection("x"));
        var thrown = assertThatThrownBy(() -> new LadingApp(ConfigLoader.load(config, Map.of(), tmp.resolve("local"))))
                .isInstanceOf(IOException.class);
        for (String message : missingStoreMessages()) {
            thrown.hasMessageContaining(message);
        }
    }

    /** skopeo, the real client: a multi-arch image in and out of a registry on the store, following its redirects. */
    @Test
    void skopeoCopiesAnImageInAndOut() throws Exception {
        try (LadingApp app = start(config("skopeo", ""))) {
            String host = "127.0.0.1:" + app.port();
            Path layout = tmp.resolve("layout");
            byte[] index = SkopeoEndToEndTest.writeMultiArchLayout(layout, 200_000);
            SkopeoEndToEndTest.ok("copy", "--all", "--dest-tls-verify=false", "oci:" + layout + ":v1",
                    "docker://" + host + "/e2e/store:v1");
            assertThat(SkopeoEndToEndTest.ok("inspect", "--raw", "--tls-verify=false", "docker://" + host
                    + "/e2e/store:v1").out().getBytes(StandardCharsets.UTF_8)).isEqualTo(index);
            int redirected = 0;
            try (var files = Files.walk(layout.resolve("blobs/sha256"))) {
                for (Path blob : files.filter(f -> Files.isRegularFile(f) && f.toFile().length() > 100_000).toList()) {
                    assertThat(send("GET", "http://" + host + "/v2/e2e/store/blobs/sha256:" + blob.getFileName(), null)
                            .statusCode()).as("a layer's GET is a redirect, which skopeo must follow").isEqualTo(307);
                    redirected++;
                }
            }
            assertThat(redirected).isEqualTo(2);
            Path out = tmp.resolve("out");
            SkopeoEndToEndTest.ok("copy", "--all", "--src-tls-verify=false", "docker://" + host + "/e2e/store:v1",
                    "oci:" + out + ":v1");
            try (var files = Files.walk(layout.resolve("blobs/sha256"))) {
                for (Path blob : files.filter(Files::isRegularFile).toList()) {
                    assertThat(out.resolve("blobs/sha256").resolve(blob.getFileName())).as("copied out")
                            .hasSameBinaryContentAs(blob);
                }
            }
        }
    }
}
