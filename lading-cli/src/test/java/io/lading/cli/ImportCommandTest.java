package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.cli.config.ConfigLoader;
import io.lading.core.Digest;
import io.lading.storage.StorageDriver;
import io.lading.storage.azure.AzuriteServer;
import io.lading.storage.s3.S3ProxyServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code lading import} of the storage that the reference registry (Debian's docker-registry, distribution 2.8,
 * installed by .ci/run) wrote: what it served, Lading serves the same, byte for byte.
 */
class ImportCommandTest {
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    private static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    private static final String ACCEPT = String.join(", ", OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private HttpResponse<byte[]> send(String method, String url, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).method(method, body == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** A blob pushed with POST then PUT, the way distribution 2.8 takes a monolithic upload. */
    private Digest pushBlob(String registry, String repo, byte[] bytes) throws Exception {
        Digest d = Digest.of(Digest.Algorithm.SHA256, bytes);
        HttpResponse<byte[]> started = send("POST", registry + "/v2/" + repo + "/blobs/uploads/", null);
        assertThat(started.statusCode()).isEqualTo(202);
        String location = started.headers().firstValue("Location").orElseThrow();
        URI put = URI.create(registry).resolve(location);
        String url = put + (put.getQuery() == null ? "?" : "&") + "digest=" + d;
        assertThat(send("PUT", url, bytes, "Content-Type", "application/octet-stream").statusCode()).isEqualTo(201);
        return d;
    }

    private byte[] pushManifest(String registry, String repo, String tag, String type, String json)
            throws Exception {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        HttpResponse<byte[]> r = send("PUT", registry + "/v2/" + repo + "/manifests/" + tag, bytes,
                "Content-Type", type);
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(201);
        return bytes;
    }

    private static String image(String type, String configType, String layerType, Digest config, int configSize,
                                Digest layer, int layerSize) {
        return """
                {"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":%d},
                 "layers":[{"mediaType":"%s","digest":"%s","size":%d}]}""".formatted(type, configType, config,
                configSize, layerType, layer, layerSize);
    }

    private record Result(int exit, String out, String err) {
    }

    private static Result runImport(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errors = new PrintStream(err, true, StandardCharsets.UTF_8);
        int exit = new CommandLine(new ImportCommand(new PrintStream(out, true, StandardCharsets.UTF_8), errors))
                .setErr(new java.io.PrintWriter(errors, true)).execute(args);
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void whatTheReferenceRegistryServedLadingServesAfterAnImport(@TempDir Path tmp) throws Exception {
        Path dist = tmp.resolve("distribution");
        int port = ServerProcess.freePort();
        String registry = "http://127.0.0.1:" + port;
        Path config = Files.writeString(tmp.resolve("distribution.yml"), """
                version: 0.1
                log:
                  level: warn
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:%d
                """.formatted(dist, port));
        Process reference;
        try {
            reference = new ProcessBuilder("docker-registry", "serve", config.toString()).redirectErrorStream(true)
                    .redirectOutput(tmp.resolve("distribution.log").toFile()).start();
        } catch (java.io.IOException e) {
            throw new AssertionError("docker-registry is not installed (.ci/run installs it): " + e.getMessage());
        }
        // What each tag and digest served, and every blob, as the reference registry answered them.
        Map<String, byte[]> manifests = new LinkedHashMap<>();
        Map<String, byte[]> blobs = new LinkedHashMap<>();
        Digest corrupt;
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                try {
                    if (send("GET", registry + "/v2/", null).statusCode() == 200) {
                        break;
                    }
                } catch (java.io.IOException notYet) {
                    assertThat(reference.isAlive()).as(Files.readString(tmp.resolve("distribution.log"))).isTrue();
                }
                assertThat(System.nanoTime()).as("docker-registry did not start").isLessThan(deadline);
                Thread.sleep(100);
            }
            Random random = new Random(11);
            byte[] layerA = new byte[700_000];
            random.nextBytes(layerA);
            byte[] layerB = new byte[3000];
            random.nextBytes(layerB);
            byte[] configA = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
            byte[] configB = "{\"architecture\":\"arm64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
            for (byte[] b : List.of(layerA, layerB, configA, configB)) {
                blobs.put(pushBlob(registry, "lib/app", b).toString(), b);
            }
            Digest la = Digest.of(Digest.Algorithm.SHA256, layerA);
            Digest lb = Digest.of(Digest.Algorithm.SHA256, layerB);
            Digest ca = Digest.of(Digest.Algorithm.SHA256, configA);
            Digest cb = Digest.of(Digest.Algorithm.SHA256, configB);
            byte[] oci = pushManifest(registry, "lib/app", "v1", OCI_MANIFEST, image(OCI_MANIFEST,
                    "application/vnd.oci.image.config.v1+json", "application/vnd.oci.image.layer.v1.tar+gzip",
                    ca, configA.length, la, layerA.length));
            byte[] docker = pushManifest(registry, "lib/app", "v2", DOCKER_MANIFEST, image(DOCKER_MANIFEST,
                    "application/vnd.docker.container.image.v1+json",
                    "application/vnd.docker.image.rootfs.diff.tar.gzip", cb, configB.length, lb, layerB.length));
            Digest ociDigest = Digest.of(Digest.Algorithm.SHA256, oci);
            Digest dockerDigest = Digest.of(Digest.Algorithm.SHA256, docker);
            byte[] index = pushManifest(registry, "lib/app", "multi", OCI_INDEX, """
                    {"schemaVersion":2,"mediaType":"%s","manifests":[
                     {"mediaType":"%s","digest":"%s","size":%d,"platform":{"architecture":"amd64","os":"linux"}},
                     {"mediaType":"%s","digest":"%s","size":%d,"platform":{"architecture":"arm64","os":"linux"}}]}
                    """.formatted(OCI_INDEX, OCI_MANIFEST, ociDigest, oci.length, DOCKER_MANIFEST, dockerDigest,
                    docker.length));
            pushManifest(registry, "lib/app", "latest", OCI_MANIFEST, new String(oci, StandardCharsets.UTF_8));
            // A deeper name, sharing a layer with lib/app, and a blob whose file will be damaged before the import.
            byte[] lonely = "a blob only this repository has".getBytes(StandardCharsets.UTF_8);
            corrupt = pushBlob(registry, "team/deep/tool", lonely);
            pushBlob(registry, "team/deep/tool", layerB);
            pushBlob(registry, "team/deep/tool", configB);
            byte[] tool = pushManifest(registry, "team/deep/tool", "1.0", DOCKER_MANIFEST,
                    new String(docker, StandardCharsets.UTF_8));
            // A tag whose directory will have no current link (as a write distribution did not finish leaves it).
            pushManifest(registry, "lib/app", "gone", OCI_MANIFEST, new String(oci, StandardCharsets.UTF_8));

            for (String ref : List.of("v1", "v2", "multi", "latest", ociDigest.toString(), dockerDigest.toString())) {
                HttpResponse<byte[]> r = send("GET", registry + "/v2/lib/app/manifests/" + ref, null,
                        "Accept", ACCEPT);
                assertThat(r.statusCode()).isEqualTo(200);
                manifests.put("lib/app:" + ref, r.body());
            }
            manifests.put("team/deep/tool:1.0", tool);
            assertThat(manifests.get("lib/app:multi")).isEqualTo(index);
        } finally {
            reference.destroy();
            assertThat(reference.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        Path gone = dist.resolve("docker/registry/v2/repositories/lib/app/_manifests/tags/gone/current/link");
        Files.delete(gone);
        Path damaged = dist.resolve("docker/registry/v2/blobs/sha256/" + corrupt.hex().substring(0, 2) + "/"
                + corrupt.hex() + "/data");
        Files.writeString(damaged, "not what was pushed");

        Path data = tmp.resolve("lading");
        Result first = runImport("--from", dist.toString(), "--data", data.toString(), "--quiet");
        assertThat(first.exit()).as(first.out() + first.err()).isEqualTo(1);
        assertThat(first.out()).contains("LEFT OUT team/deep/tool@" + corrupt + ": the data of " + corrupt
                + " hashes to").contains("2 repositories, 4 manifests, 5 tags and 6 blob links imported");
        Result again = runImport("--from", dist.toString(), "--data", data.toString(), "--quiet");
        assertThat(again.out()).as("a second run copies nothing new").contains("0 blobs (0 B) copied");

        try (LadingApp lading = new LadingApp(ConfigLoader.load(null, Map.of("REGISTRY_HTTP_ADDR", "127.0.0.1:0"),
                data))) {
            lading.start();
            assertServes("http://127.0.0.1:" + lading.port(), manifests, blobs, corrupt);
        }

        // The same storage in a bucket and in a container, as distribution's s3 and azure drivers keep it (below
        // rootdirectory), imported with --from-config naming distribution's config into a Lading on that store
        // (another root of the same bucket or container).
        try (S3ProxyServer s3 = S3ProxyServer.start()) {
            s3.createBucket("registry");
            importsFromAStore(tmp, dist, "s3", new io.lading.storage.s3.S3Driver(s3.settings("registry", "dist")),
                    s3.storageSection("registry", "dist"), s3.storageSection("registry", "lading"), manifests, blobs,
                    corrupt);
        }
        try (AzuriteServer azurite = AzuriteServer.start()) {
            azurite.createContainer("registry");
            importsFromAStore(tmp, dist, "azure", new io.lading.storage.azure.AzureDriver(azurite.settings("registry",
                    "dist")), azurite.storageSection("registry", "dist"), azurite.storageSection("registry",
                    "lading"), manifests, blobs, corrupt);
        }
        Result neither = runImport("--data", data.toString());
        assertThat(neither.exit()).isEqualTo(2);
        assertThat(neither.err()).contains("either --from DIR or --from-config FILE");
    }

    /**
     * Copies distribution's tree {@code dist} into a store through {@code driver}, imports it with --from-config
     * ({@code distSection}) into a Lading on the same store ({@code ladingSection}), which then serves it.
     */
    private void importsFromAStore(Path tmp, Path dist, String name, StorageDriver driver, String distSection,
                                   String ladingSection, Map<String, byte[]> manifests, Map<String, byte[]> blobs,
                                   Digest corrupt) throws Exception {
        try (driver; java.util.stream.Stream<Path> files = Files.walk(dist)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                byte[] bytes = Files.readAllBytes(f);
                try (var w = driver.writer("/" + dist.relativize(f).toString().replace('\\', '/'), 0,
                        bytes.length)) {
                    w.write(java.nio.ByteBuffer.wrap(bytes));
                    w.commit();
                }
            }
        }
        Path distConfig = Files.writeString(tmp.resolve("distribution-" + name + ".yml"), "version: 0.1\n"
                + distSection);
        Path ladingConfig = Files.writeString(tmp.resolve("lading-" + name + ".yml"), "version: 0.1\nhttp:\n  addr:"
                + " 127.0.0.1:0\n" + ladingSection);
        Path local = tmp.resolve("lading-" + name + "-local");
        Result imported = runImport("--from-config", distConfig.toString(), "--config", ladingConfig.toString(),
                "--data", local.toString(), "--quiet");
        assertThat(imported.exit()).as(name + ": " + imported.out() + imported.err()).isEqualTo(1);
        assertThat(imported.out()).contains("LEFT OUT team/deep/tool@" + corrupt)
                .contains("2 repositories, 4 manifests, 5 tags and 6 blob links imported");
        try (LadingApp lading = new LadingApp(ConfigLoader.load(ladingConfig, Map.of(), local))) {
            lading.start();
            assertServes("http://127.0.0.1:" + lading.port(), manifests, blobs, corrupt);
        }
    }

    /** The registry at {@code base} serves what the reference served, but the blob damaged before the import. */
    private void assertServes(String base, Map<String, byte[]> manifests, Map<String, byte[]> blobs, Digest corrupt)
            throws Exception {
        HttpClient following = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
        for (Map.Entry<String, byte[]> m : manifests.entrySet()) {
            String[] repoRef = m.getKey().split(":", 2);
            HttpResponse<byte[]> r = send("GET", base + "/v2/" + repoRef[0] + "/manifests/" + repoRef[1], null,
                    "Accept", ACCEPT);
            assertThat(r.statusCode()).as(m.getKey()).isEqualTo(200);
            assertThat(r.body()).as(m.getKey()).isEqualTo(m.getValue());
            assertThat(r.headers().firstValue("Docker-Content-Digest")).as(m.getKey())
                    .hasValue(Digest.of(Digest.Algorithm.SHA256, m.getValue()).toString());
        }
        for (Map.Entry<String, byte[]> b : blobs.entrySet()) {
            assertThat(following.send(HttpRequest.newBuilder(URI.create(base + "/v2/lib/app/blobs/" + b.getKey()))
                    .build(), HttpResponse.BodyHandlers.ofByteArray()).body()).isEqualTo(b.getValue());
        }
        assertThat(new String(send("GET", base + "/v2/lib/app/tags/list", null).body(), StandardCharsets.UTF_8))
                .isEqualTo("{\"name\":\"lib/app\",\"tags\":[\"latest\",\"multi\",\"v1\",\"v2\"]}");
        assertThat(new String(send("GET", base + "/v2/_catalog", null).body(), StandardCharsets.UTF_8))
                .isEqualTo("{\"repositories\":[\"lib/app\",\"team/deep/tool\"]}");
        assertThat(send("HEAD", base + "/v2/team/deep/tool/blobs/" + corrupt, null).statusCode())
                .as("the damaged blob was left out").isEqualTo(404);
    }
}
