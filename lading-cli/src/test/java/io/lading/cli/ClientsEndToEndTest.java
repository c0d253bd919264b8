package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import io.lading.cli.config.ConfigLoader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real clients against a real registry (in this JVM, on a loopback port): podman, buildah, docker (a dockerd
 * started by the test), containerd's ctr (a containerd started by the test) and Jib. Each scenario prints one
 * line, and the suite a closing "N passed, N failed" line. A client that is not installed fails its scenario:
 * `.ci/run` installs them all from Debian (Jib comes from Maven Central).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(ClientScenarioReport.class)
class ClientsEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private Path tmp;
    private LadingApp app;
    private String host;
    private List<String> podman;
    private List<String> buildah;
    private Map<String, String> containersEnv;

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        this.tmp = tmp;
        app = new LadingApp(ConfigLoader.load(null, Map.of("REGISTRY_HTTP_ADDR", "127.0.0.1:0",
                "REGISTRY_STORAGE_DELETE_ENABLED", "true"), tmp.resolve("data")));
        app.start();
        host = "127.0.0.1:" + app.port();
        Path conf = tmp.resolve("containers.conf");
        // This sandbox has no CAP_SYS_RESOURCE, so the runtime must not set rlimits; runc copes with its cgroups.
        Files.writeString(conf, "[containers]\ndefault_ulimits = []\n");
        containersEnv = Map.of("CONTAINERS_CONF", conf.toString());
        List<String> storage = List.of("--root", tmp.resolve("containers").toString(), "--runroot",
                tmp.resolve("containers-run").toString(), "--storage-driver", "vfs");
        podman = new ArrayList<>(List.of("podman"));
        podman.addAll(storage);
        buildah = new ArrayList<>(List.of("buildah"));
        buildah.addAll(storage);
        Path ctx = tmp.resolve("ctx");
        Files.createDirectories(ctx);
        Files.copy(Path.of("/bin/busybox"), ctx.resolve("busybox"));
        Files.writeString(ctx.resolve("Containerfile"),
                "FROM scratch\nCOPY busybox /busybox\nCMD [\"/busybox\", \"echo\", \"hello from lading\"]\n");
    }

    @AfterAll
    void stop() throws Exception {
        if (dockerd != null) {
            dockerd.destroy();
            if (!dockerd.waitFor(30, TimeUnit.SECONDS)) {
                dockerd.destroyForcibly();
            }
        }
        if (app != null) {
            app.close();
        }
    }

    private record Result(int exit, String output) {
    }

    private Result exec(Map<String, String> env, List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new AssertionError(cmd.get(0) + " is not installed (.ci/run installs it): " + e.getMessage());
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " timed out");
        }
        return new Result(p.exitValue(), out);
    }

    private String ok(Map<String, String> env, List<String> base, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(base);
        cmd.addAll(List.of(args));
        Result r = exec(env, cmd);
        assertThat(r.exit()).as("%s\n%s", String.join(" ", cmd), r.output()).isZero();
        return r.output();
    }

    private String podman(String... args) throws Exception {
        return ok(containersEnv, podman, args);
    }

    private HttpResponse<String> get(String path, String accept) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + host + path)).header("Accept", accept).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static final String ALL_TYPES = "application/vnd.oci.image.manifest.v1+json,"
            + "application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.v2+json,"
            + "application/vnd.docker.distribution.manifest.list.v2+json";

    @Test
    @Order(1)
    void podmanBuildsPushesInBothFormatsPullsAndRuns() throws Exception {
        String image = host + "/clients/podman:v1";
        podman("build", "-t", image, tmp.resolve("ctx").toString());
        podman("push", "--tls-verify=false", "--format", "v2s2", image, "docker://" + host + "/clients/podman:v2s2");
        podman("push", "--tls-verify=false", "--format", "oci", image, "docker://" + host + "/clients/podman:oci");
        assertThat(get("/v2/clients/podman/manifests/v2s2", ALL_TYPES).headers().firstValue("Content-Type"))
                .hasValue("application/vnd.docker.distribution.manifest.v2+json");
        assertThat(get("/v2/clients/podman/manifests/oci", ALL_TYPES).headers().firstValue("Content-Type"))
                .hasValue("application/vnd.oci.image.manifest.v1+json");
        podman("rmi", "-a", "-f");
        for (String tag : List.of("v2s2", "oci")) {
            String ref = host + "/clients/podman:" + tag;
            podman("pull", "--tls-verify=false", ref);
            assertThat(podman("--runtime", "runc", "run", "--rm", ref)).contains("hello from lading");
        }
    }

    @Test
    @Order(2)
    void podmanPushesAManifestListWithAllItsImages() throws Exception {
        String list = host + "/clients/list:v1";
        for (String arch : List.of("amd64", "arm64")) {
            podman("build", "--arch", arch, "--label", "arch=" + arch, "-t", host + "/clients/list:" + arch,
                    tmp.resolve("ctx").toString());
        }
        podman("manifest", "create", list);
        for (String arch : List.of("amd64", "arm64")) {
            podman("manifest", "add", "--arch", arch, list, "containers-storage:" + host + "/clients/list:" + arch);
        }
        podman("manifest", "push", "--all", "--tls-verify=false", list, "docker://" + list);
        JsonNode index = JSON.readTree(get("/v2/clients/list/manifests/v1", ALL_TYPES).body());
        assertThat(index.get("manifests")).hasSize(2);
        for (JsonNode child : index.get("manifests")) {
            assertThat(get("/v2/clients/list/manifests/" + child.get("digest").asText(), ALL_TYPES).statusCode())
                    .isEqualTo(200);
        }
    }

    @Test
    @Order(3)
    void buildahCommitsFromScratchBuildsAContainerfileAndPushes() throws Exception {
        String container = ok(containersEnv, buildah, "from", "scratch").strip();
        container = container.lines().reduce((a, b) -> b).orElseThrow();
        ok(containersEnv, buildah, "copy", container, tmp.resolve("ctx/busybox").toString(), "/busybox");
        ok(containersEnv, buildah, "config", "--cmd", "/busybox echo built by buildah", container);
        ok(containersEnv, buildah, "commit", container, "clients-buildah");
        ok(containersEnv, buildah, "push", "--tls-verify=false", "clients-buildah",
                "docker://" + host + "/clients/buildah:v1");
        // And from the Containerfile, with buildah's own builder.
        ok(containersEnv, buildah, "bud", "-t", host + "/clients/buildah:bud", tmp.resolve("ctx").toString());
        ok(containersEnv, buildah, "push", "--tls-verify=false", host + "/clients/buildah:bud");
        assertThat(get("/v2/clients/buildah/manifests/bud", ALL_TYPES).statusCode()).isEqualTo(200);
        Result inspect = exec(Map.of(), List.of("skopeo", "inspect", "--tls-verify=false",
                "docker://" + host + "/clients/buildah:v1"));
        assertThat(inspect.exit()).as(inspect.output()).isZero();
        assertThat(inspect.output()).contains("\"Layers\"");
    }

    @Test
    @Order(4)
    void dockerPullsTagsPushesRunsAndPushesAManifestList() throws Exception {
        Map<String, String> env = dockerd();
        List<String> docker = List.of("docker");
        // 127.0.0.0/8 is an insecure registry for docker by default: plain HTTP, no flag needed.
        ok(env, docker, "pull", host + "/clients/podman:v2s2");
        ok(env, docker, "tag", host + "/clients/podman:v2s2", host + "/clients/docker:v1");
        ok(env, docker, "push", host + "/clients/docker:v1");
        ok(env, docker, "rmi", host + "/clients/docker:v1", host + "/clients/podman:v2s2");
        ok(env, docker, "pull", host + "/clients/docker:v1");
        assertThat(ok(env, docker, "run", "--rm", host + "/clients/docker:v1")).contains("hello from lading");
        ok(env, docker, "manifest", "create", "--insecure", host + "/clients/docker-list:v1",
                host + "/clients/docker:v1");
        ok(env, docker, "manifest", "push", "--insecure", host + "/clients/docker-list:v1");
        JsonNode list = JSON.readTree(get("/v2/clients/docker-list/manifests/v1", ALL_TYPES).body());
        assertThat(list.get("mediaType").asText())
                .isEqualTo("application/vnd.docker.distribution.manifest.list.v2+json");
    }

    private Process dockerd;

    /** Starts a dockerd of the test's own (no bridge, no iptables, own data root) once; returns the CLI's env. */
    private Map<String, String> dockerd() throws Exception {
        Path root = tmp.resolve("docker");
        String sock = "unix://" + root.resolve("docker.sock");
        Map<String, String> env = Map.of("DOCKER_HOST", sock, "DOCKER_CONFIG", root.resolve("cli").toString());
        if (dockerd == null) {
            try {
                dockerd = new ProcessBuilder("dockerd", "--iptables=false", "--ip6tables=false", "--bridge=none",
                        "--storage-driver", "vfs", "--data-root", root.resolve("data").toString(), "--exec-root",
                        root.resolve("exec").toString(), "--pidfile", root.resolve("pid").toString(), "-H", sock)
                        .redirectErrorStream(true).redirectOutput(tmp.resolve("dockerd.log").toFile()).start();
            } catch (IOException e) {
                throw new AssertionError("dockerd is not installed (.ci/run installs docker.io): " + e.getMessage());
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (exec(env, List.of("docker", "version")).exit() != 0) {
                assertThat(dockerd.isAlive()).as(Files.readString(tmp.resolve("dockerd.log"))).isTrue();
                assertThat(System.nanoTime()).as("dockerd did not start in 60 s").isLessThan(deadline);
                Thread.sleep(250);
            }
        }
        return env;
    }

    @Test
    @Order(5)
    void containerdPushesAMultiPlatformIndexAndPullsIt() throws Exception {
        Path root = tmp.resolve("containerd");
        Files.createDirectories(root);
        Path config = root.resolve("config.toml");
        Files.writeString(config, "version = 2\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n");
        String address = root.resolve("containerd.sock").toString();
        Process containerd = new ProcessBuilder("containerd", "--config", config.toString(), "--root",
                root.resolve("root").toString(), "--state", root.resolve("state").toString(), "--address", address)
                .redirectErrorStream(true).redirectOutput(tmp.resolve("containerd.log").toFile()).start();
        try {
            List<String> ctr = List.of("ctr", "--address", address);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (exec(Map.of(), List.of("ctr", "--address", address, "version")).exit() != 0) {
                assertThat(containerd.isAlive()).as(Files.readString(tmp.resolve("containerd.log"))).isTrue();
                assertThat(System.nanoTime()).as("containerd did not start in 60 s").isLessThan(deadline);
                Thread.sleep(250);
            }
            String source = host + "/clients/list:v1";
            String target = host + "/clients/ctr-list:v1";
            ok(Map.of(), ctr, "images", "pull", "--plain-http", "--all-platforms", source);
            ok(Map.of(), ctr, "images", "tag", source, target);
            // containerd pushes the index's children before the index itself.
            ok(Map.of(), ctr, "images", "push", "--plain-http", target);
            ok(Map.of(), ctr, "images", "rm", source, target);
            ok(Map.of(), ctr, "images", "pull", "--plain-http", "--all-platforms", target);
            assertThat(get("/v2/clients/ctr-list/manifests/v1", ALL_TYPES).body())
                    .isEqualTo(get("/v2/clients/list/manifests/v1", ALL_TYPES).body());
        } finally {
            containerd.destroy();
            if (!containerd.waitFor(30, TimeUnit.SECONDS)) {
                containerd.destroyForcibly();
            }
        }
    }

    @Test
    @Order(6)
    void jibBuildsOntoTheRegistryAndMountsBaseLayersIntoAnotherRepository() throws Exception {
        Path app = tmp.resolve("jib/app.txt");
        Files.createDirectories(app.getParent());
        Files.writeString(app, "a file Jib put in a layer\n");
        JibContainer base = Jib.fromScratch()
                .addLayer(List.of(app), AbsoluteUnixPath.get("/app"))
                .setEntrypoint("/app/app.txt")
                .containerize(Containerizer.to(RegistryImage.named(host + "/clients/jib-base:v1"))
                        .setAllowInsecureRegistries(true));
        Result inspect = exec(Map.of(), List.of("skopeo", "inspect", "--raw", "--tls-verify=false",
                "docker://" + host + "/clients/jib-base:v1"));
        assertThat(inspect.exit()).as(inspect.output()).isZero();
        String layer = JSON.readTree(inspect.output()).get("layers").get(0).get("digest").asText();
        assertThat(base.getDigest().toString()).startsWith("sha256:");

        Path extra = tmp.resolve("jib/extra.txt");
        Files.writeString(extra, "and one more\n");
        Jib.from(RegistryImage.named(host + "/clients/jib-base:v1"))
                .addLayer(List.of(extra), AbsoluteUnixPath.get("/extra"))
                .containerize(Containerizer.to(RegistryImage.named(host + "/clients/jib-app:v1"))
                        .setAllowInsecureRegistries(true));
        HttpResponse<String> head = http.send(HttpRequest.newBuilder(URI.create("http://" + host
                + "/v2/clients/jib-app/blobs/" + layer)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(head.statusCode()).isEqualTo(200);
        Result copy = exec(new HashMap<>(), List.of("skopeo", "copy", "--src-tls-verify=false",
                "docker://" + host + "/clients/jib-app:v1", "oci:" + tmp.resolve("jib/layout") + ":v1"));
        assertThat(copy.exit()).as(copy.output()).isZero();
    }

    @Test
    @Order(7)
    void skopeoCopiesASingleArchImageOutToALayoutAndBackByteExact() throws Exception {
        String layout = "oci:" + tmp.resolve("skopeo-layout") + ":v1";
        ok(Map.of(), List.of("skopeo"), "copy", "--src-tls-verify=false", "docker://" + host + "/clients/podman:oci",
                layout);
        ok(Map.of(), List.of("skopeo"), "copy", "--dest-tls-verify=false", layout,
                "docker://" + host + "/clients/skopeo-single:v1");
        String original = ok(Map.of(), List.of("skopeo"), "inspect", "--raw", "--tls-verify=false",
                "docker://" + host + "/clients/podman:oci");
        String copied = ok(Map.of(), List.of("skopeo"), "inspect", "--raw", "--tls-verify=false",
                "docker://" + host + "/clients/skopeo-single:v1");
        assertThat(copied).isEqualTo(original);
    }

    @Test
    @Order(8)
    void aOneGibLayerGoesInAndOutWithSkopeoByteForByte() throws Exception {
        Path layout = tmp.resolve("big-layout");
        Path blobs = layout.resolve("blobs/sha256");
        Files.createDirectories(blobs);
        // 1 GiB of never-repeating bytes, written and hashed in 1 MiB steps (never whole in memory).
        Path staging = layout.resolve("layer.tmp");
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        byte[] chunk = new byte[1 << 20];
        new java.util.Random(7).nextBytes(chunk);
        long size = 1L << 30;
        try (var out = Files.newOutputStream(staging)) {
            for (long written = 0; written < size; written += chunk.length) {
                java.nio.ByteBuffer.wrap(chunk).putLong(written);
                sha.update(chunk);
                out.write(chunk);
            }
        }
        String layer = java.util.HexFormat.of().formatHex(sha.digest());
        Files.move(staging, blobs.resolve(layer));
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
                .getBytes(StandardCharsets.UTF_8);
        String configDigest = writeBlob(blobs, config);
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:"
                + configDigest + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:" + layer + "\",\"size\":" + size
                + "}]}";
        byte[] manifestBytes = manifest.getBytes(StandardCharsets.UTF_8);
        String manifestDigest = writeBlob(blobs, manifestBytes);
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" + manifestDigest
                + "\",\"size\":" + manifestBytes.length + ",\"annotations\":{\"org.opencontainers.image.ref.name\":"
                + "\"v1\"}}]}");

        ok(Map.of(), List.of("skopeo"), "copy", "--dest-tls-verify=false", "oci:" + layout + ":v1",
                "docker://" + host + "/clients/big:v1");
        Path back = tmp.resolve("big-back");
        ok(Map.of(), List.of("skopeo"), "copy", "--src-tls-verify=false", "docker://" + host + "/clients/big:v1",
                "oci:" + back + ":v1");
        // skopeo may compress an uncompressed layer on its way to a registry; either way the layer it pulls back
        // must hold exactly the bytes that went in.
        JsonNode index = JSON.readTree(back.resolve("index.json").toFile());
        String pulledManifest = index.get("manifests").get(0).get("digest").asText().substring("sha256:".length());
        JsonNode pulledLayer = JSON.readTree(back.resolve("blobs/sha256/" + pulledManifest).toFile())
                .get("layers").get(0);
        Path pulled = back.resolve("blobs/sha256/" + pulledLayer.get("digest").asText().substring("sha256:".length()));
        java.security.MessageDigest again = java.security.MessageDigest.getInstance("SHA-256");
        long total = 0;
        try (var in = pulledLayer.get("mediaType").asText().endsWith("gzip")
                ? new java.util.zip.GZIPInputStream(Files.newInputStream(pulled), 1 << 16) : Files.newInputStream(pulled)) {
            for (int n; (n = in.read(chunk)) > 0; ) {
                again.update(chunk, 0, n);
                total += n;
            }
        }
        assertThat(total).isEqualTo(size);
        assertThat(java.util.HexFormat.of().formatHex(again.digest())).isEqualTo(layer);
        Files.delete(pulled);
        Files.delete(blobs.resolve(layer));
    }

    private static String writeBlob(Path dir, byte[] content) throws Exception {
        String hex = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(content));
        Files.write(dir.resolve(hex), content);
        return hex;
    }

    @Test
    @Order(10)
    void anArtifactWithASubjectIsFoundThroughTheReferrersApiAndTheTagSchemaFallback() throws Exception {
        HttpResponse<String> subject = get("/v2/clients/podman/manifests/oci", ALL_TYPES);
        String subjectDigest = subject.headers().firstValue("Docker-Content-Digest").orElseThrow();
        // A signature-like artifact pushed with the JDK client: empty config, one layer, subject = the image.
        byte[] empty = "{}".getBytes(StandardCharsets.UTF_8);
        byte[] sig = "signature bytes".getBytes(StandardCharsets.UTF_8);
        String emptyDigest = pushBlob("clients/podman", empty);
        String sigDigest = pushBlob("clients/podman", sig);
        String artifact = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"artifactType\":\"application/vnd.example.signature\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.empty.v1+json\",\"digest\":\"" + emptyDigest + "\",\"size\":2},"
                + "\"layers\":[{\"mediaType\":\"application/vnd.example.signature\",\"digest\":\"" + sigDigest
                + "\",\"size\":" + sig.length + "}],\"subject\":{\"mediaType\":"
                + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + subjectDigest + "\",\"size\":"
                + subject.body().length() + "}}";
        String artifactDigest = sha256(artifact.getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create("http://" + host
                        + "/v2/clients/podman/manifests/" + artifactDigest))
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString(artifact)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
        assertThat(put.headers().firstValue("OCI-Subject")).hasValue(subjectDigest);

        JsonNode referrers = JSON.readTree(get("/v2/clients/podman/referrers/" + subjectDigest
                + "?artifactType=application/vnd.example.signature", "application/vnd.oci.image.index.v1+json").body());
        assertThat(referrers.get("manifests")).hasSize(1);
        assertThat(referrers.get("manifests").get(0).get("digest").asText()).isEqualTo(artifactDigest);

        // The tag-schema fallback (for registries without the API): an index tagged sha256-<hex> lists referrers.
        String fallback = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
                + "\"manifests\":[" + referrers.get("manifests").get(0) + "]}";
        String tag = subjectDigest.replace(':', '-');
        HttpResponse<String> index = http.send(HttpRequest.newBuilder(URI.create("http://" + host
                        + "/v2/clients/podman/manifests/" + tag))
                .header("Content-Type", "application/vnd.oci.image.index.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString(fallback)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(index.statusCode()).as(index.body()).isEqualTo(201);
        String viaSkopeo = ok(Map.of(), List.of("skopeo"), "inspect", "--raw", "--tls-verify=false",
                "docker://" + host + "/clients/podman:" + tag);
        assertThat(viaSkopeo).isEqualTo(fallback);
        assertThat(ok(Map.of(), List.of("skopeo"), "list-tags", "--tls-verify=false",
                "docker://" + host + "/clients/podman")).contains(tag);
    }

    private String pushBlob(String repo, byte[] content) throws Exception {
        HttpResponse<String> r = BlobPush.monolithic(http, "http://" + host, repo, content);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return sha256(content);
    }

    private static String sha256(byte[] content) {
        return io.lading.core.Digest.of(io.lading.core.Digest.Algorithm.SHA256, content).toString();
    }

    @Test
    @Order(9)
    void aPushInterruptedByARestartIsCompletedByDockersRetryWithoutResendingFinishedLayers() throws Exception {
        Map<String, String> env = new HashMap<>(dockerd());
        env.put("DOCKER_BUILDKIT", "0"); // the classic builder: FROM scratch needs no network and no buildx
        Path ctx = tmp.resolve("resume-ctx");
        Files.createDirectories(ctx);
        Files.write(ctx.resolve("small"), "a small layer\n".getBytes(StandardCharsets.UTF_8));
        byte[] chunk = new byte[1 << 20];
        new java.util.Random(3).nextBytes(chunk);
        try (var out = Files.newOutputStream(ctx.resolve("big"))) {
            for (long written = 0; written < (512L << 20); written += chunk.length) {
                java.nio.ByteBuffer.wrap(chunk).putLong(written);
                out.write(chunk);
            }
        }
        Files.writeString(ctx.resolve("Dockerfile"), "FROM scratch\nCOPY small /small\nCOPY big /big\n");
        int port = ServerProcess.freePort();
        String target = "127.0.0.1:" + port;
        String image = target + "/clients/resume:v1";
        ok(env, List.of("docker"), "build", "-t", image, ctx.toString());

        ch.qos.logback.classic.Logger access = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger("io.lading.access");
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> requests =
                new ch.qos.logback.core.read.ListAppender<>();
        requests.start();
        access.setLevel(ch.qos.logback.classic.Level.INFO);
        access.addAppender(requests);
        Map<String, String> registryEnv = Map.of("REGISTRY_HTTP_ADDR", target, "REGISTRY_HTTP_DRAINTIMEOUT", "0s");
        Path data = tmp.resolve("resume-data");
        LadingApp first = new LadingApp(ConfigLoader.load(null, registryEnv, data));
        first.start();
        ProcessBuilder pb = new ProcessBuilder("docker", "push", image).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("docker-push.log").toFile());
        pb.environment().putAll(env);
        Process push = pb.start();
        LadingApp second = null;
        try {
            // Wait until docker reports one layer pushed (it has the 201) while the big one is in flight, then take
            // the registry away.
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (!Files.readString(tmp.resolve("docker-push.log")).contains(": Pushed")) {
                assertThat(push.isAlive()).as(Files.readString(tmp.resolve("docker-push.log"))).isTrue();
                assertThat(System.nanoTime()).as("no layer upload completed").isLessThan(deadline);
                Thread.sleep(10);
            }
            assertThat(Files.readString(tmp.resolve("docker-push.log")).split(": Pushed", -1)).hasSize(2);
            first.close();
            int before;
            synchronized (requests) {
                before = requests.list.size();
            }
            long doneBefore = completedUploads(requests, 0);
            Thread.sleep(1000);
            second = new LadingApp(ConfigLoader.load(null, registryEnv, data));
            second.start();
            assertThat(push.waitFor(5, TimeUnit.MINUTES)).isTrue();
            String log = Files.readString(tmp.resolve("docker-push.log"));
            assertThat(push.exitValue()).as(log).isZero();
            // docker retried the interrupted layer; what had completed before was not sent again: after the
            // restart at most the big layer and the config are uploaded (3 uploads would mean a re-send).
            long after = completedUploads(requests, before);
            assertThat(doneBefore + after).as(log).isEqualTo(3);
            assertThat(after).isBetween(1L, 2L);
            assertThat(log).contains("Retrying in");
            HttpResponse<String> manifest = http.send(HttpRequest.newBuilder(URI.create("http://" + target
                    + "/v2/clients/resume/manifests/v1")).header("Accept", ALL_TYPES).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(manifest.statusCode()).isEqualTo(200);
            for (JsonNode layer : JSON.readTree(manifest.body()).get("layers")) {
                HttpResponse<Void> head = http.send(HttpRequest.newBuilder(URI.create("http://" + target
                        + "/v2/clients/resume/blobs/" + layer.get("digest").asText()))
                        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
                assertThat(head.statusCode()).isEqualTo(200);
            }
        } finally {
            push.destroyForcibly();
            access.detachAppender(requests);
            if (second != null) {
                second.close();
            }
        }
    }

    /** Blob uploads completed (PUT 201 on an upload session) in the access log from entry {@code from} on. */
    private static long completedUploads(ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log,
                                         int from) {
        List<ch.qos.logback.classic.spi.ILoggingEvent> events;
        synchronized (log) { // AppenderBase appends while holding the appender's lock
            events = List.copyOf(log.list);
        }
        return events.subList(Math.min(from, events.size()), events.size()).stream()
                .map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                .filter(l -> l.startsWith("PUT /v2/clients/resume/blobs/uploads/") && l.contains(" 201 ")).count();
    }

    @Test
    @Order(11)
    void podmanSkopeoAndDockerLogInToAnHtpasswdProtectedRegistry() throws Exception {
        Path htpasswd = annsHtpasswd("htpasswd");
        int port = ServerProcess.freePort();
        String secured = "127.0.0.1:" + port;
        try (LadingApp protectedApp = new LadingApp(ConfigLoader.load(null, Map.of("REGISTRY_HTTP_ADDR", secured,
                "REGISTRY_AUTH_HTPASSWD_PATH", htpasswd.toString(), "REGISTRY_AUTH_HTPASSWD_REALM", "Lading"),
                tmp.resolve("secured-data")))) {
            protectedApp.start();
            String authfile = tmp.resolve("auth.json").toString();
            Files.writeString(Path.of(authfile), "{\"auths\":{}}");
            Result denied = exec(containersEnv, concat(podman, "push", "--tls-verify=false", "--authfile", authfile,
                    host + "/clients/podman:oci", "docker://" + secured + "/secure/app:v1"));
            assertThat(denied.exit()).as(denied.output()).isNotZero();
            assertThat(denied.output()).containsIgnoringCase("unauthorized");
            Result wrong = exec(containersEnv, concat(podman, "login", "--tls-verify=false", "--authfile", authfile,
                    "-u", "ann", "-p", "wrong", secured));
            assertThat(wrong.exit()).as(wrong.output()).isNotZero();
            podman("login", "--tls-verify=false", "--authfile", authfile, "-u", "ann", "-p", "s3cret", secured);
            podman("push", "--tls-verify=false", "--authfile", authfile, host + "/clients/podman:oci",
                    "docker://" + secured + "/secure/app:v1");
            podman("pull", "--tls-verify=false", "--authfile", authfile, secured + "/secure/app:v1");
            ok(Map.of(), List.of("skopeo"), "inspect", "--tls-verify=false", "--creds", "ann:s3cret",
                    "docker://" + secured + "/secure/app:v1");
            Map<String, String> env = dockerd();
            ok(env, List.of("docker"), "login", "-u", "ann", "-p", "s3cret", secured);
            ok(env, List.of("docker"), "pull", secured + "/secure/app:v1");
        }
    }

    @Test
    @Order(12)
    void podmanSkopeoDockerAndJibGetTokensFromTheBuiltInIssuerAndAreHeldToTheirGrants() throws Exception {
        Path htpasswd = annsHtpasswd("issuer-htpasswd");
        int port = ServerProcess.freePort();
        String reg = "127.0.0.1:" + port;
        Path config = tmp.resolve("issuer.yml");
        Files.writeString(config, """
                version: 0.1
                http:
                  addr: %s
                storage:
                  filesystem:
                    rootdirectory: %s
                auth:
                  token:
                    realm: http://%s/token
                    service: lading-e2e
                    issuer: lading-e2e-issuer
                lading:
                  auth:
                    issuer:
                      enabled: true
                      users: %s
                    acl:
                      - accounts: [ann]
                        repositories: ["team/**", "public/**"]
                        actions: [pull, push]
                      - anonymous: true
                        repositories: ["public/**"]
                        actions: [pull]
                """.formatted(reg, tmp.resolve("issuer-data"), reg, htpasswd));
        try (LadingApp tokenApp = new LadingApp(ConfigLoader.load(config, Map.of(), null))) {
            tokenApp.start();
            String authfile = tmp.resolve("issuer-auth.json").toString();
            Files.writeString(Path.of(authfile), "{\"auths\":{}}");
            // Anonymous: no push anywhere.
            Result anonymous = exec(containersEnv, concat(podman, "push", "--tls-verify=false", "--authfile", authfile,
                    host + "/clients/podman:oci", "docker://" + reg + "/team/app:v1"));
            assertThat(anonymous.exit()).as(anonymous.output()).isNotZero();
            podman("login", "--tls-verify=false", "--authfile", authfile, "-u", "ann", "-p", "s3cret", reg);
            podman("push", "--tls-verify=false", "--authfile", authfile, host + "/clients/podman:oci",
                    "docker://" + reg + "/team/app:v1");
            podman("pull", "--tls-verify=false", "--authfile", authfile, reg + "/team/app:v1");
            // Outside ann's grant: refused even though she is logged in.
            Result outside = exec(containersEnv, concat(podman, "push", "--tls-verify=false", "--authfile", authfile,
                    host + "/clients/podman:oci", "docker://" + reg + "/secret/app:v1"));
            assertThat(outside.exit()).as(outside.output()).isNotZero();
            assertThat(outside.output().toLowerCase()).containsAnyOf("unauthorized", "denied");

            // skopeo with credentials publishes; anonymous skopeo reads public/ but not team/.
            ok(Map.of(), List.of("skopeo"), "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
                    "--src-creds", "ann:s3cret", "--dest-creds", "ann:s3cret",
                    "docker://" + reg + "/team/app:v1", "docker://" + reg + "/public/lib:v1");
            ok(Map.of(), List.of("skopeo"), "inspect", "--tls-verify=false", "--no-creds",
                    "docker://" + reg + "/public/lib:v1");
            Result hidden = exec(Map.of(), List.of("skopeo", "inspect", "--tls-verify=false", "--no-creds",
                    "docker://" + reg + "/team/app:v1"));
            assertThat(hidden.exit()).as(hidden.output()).isNotZero();

            // docker: login, pull what ann may, then anonymous pull of the public image.
            Map<String, String> env = dockerd();
            ok(env, List.of("docker"), "login", "-u", "ann", "-p", "s3cret", reg);
            ok(env, List.of("docker"), "pull", reg + "/team/app:v1");
            ok(env, List.of("docker"), "logout", reg);
            ok(env, List.of("docker"), "pull", reg + "/public/lib:v1");

            // Jib with credentials: onto public/, base layers mounted from team/ where ann may pull. (Jib sends
            // credentials over plain HTTP only when told to.)
            System.setProperty("sendCredentialsOverHttp", "true");
            Path file = tmp.resolve("jib-token/app.txt");
            Files.createDirectories(file.getParent());
            Files.writeString(file, "built with a token\n");
            Jib.from(RegistryImage.named(reg + "/team/app:v1").addCredential("ann", "s3cret"))
                    .addLayer(List.of(file), AbsoluteUnixPath.get("/jib"))
                    .containerize(Containerizer.to(RegistryImage.named(reg + "/public/jib:v1")
                            .addCredential("ann", "s3cret")).setAllowInsecureRegistries(true));
            ok(Map.of(), List.of("skopeo"), "inspect", "--tls-verify=false", "--no-creds",
                    "docker://" + reg + "/public/jib:v1");
        } finally {
            System.clearProperty("sendCredentialsOverHttp");
        }
    }

    @Test
    @Order(13)
    void podmanSkopeoAndDockerLogInAndPushOverTlsWithATestCa() throws Exception {
        io.lading.http.TestPki pki = new io.lading.http.TestPki("Lading E2E CA");
        Path certs = tmp.resolve("tls");
        Files.createDirectories(certs);
        pki.issue("127.0.0.1").write(certs.resolve("server.crt"), certs.resolve("server.key"), pki.ca.certificate());
        Path htpasswd = annsHtpasswd("tls-htpasswd");
        int port = ServerProcess.freePort();
        String reg = "127.0.0.1:" + port;
        // The clients' way to trust a registry's CA: a directory named after the registry with ca.crt in it.
        Path certDir = tmp.resolve("tls-certs.d").resolve(reg);
        Files.createDirectories(certDir);
        pki.writeCa(certDir.resolve("ca.crt"));
        Path config = tmp.resolve("tls.yml");
        Files.writeString(config, """
                version: 0.1
                http:
                  addr: %s
                  tls:
                    certificate: %s
                    key: %s
                    minimumtls: tls1.2
                storage:
                  filesystem:
                    rootdirectory: %s
                auth:
                  token:
                    realm: https://%s/token
                    service: lading-tls
                    issuer: lading-tls-issuer
                lading:
                  auth:
                    issuer:
                      enabled: true
                      users: %s
                """.formatted(reg, certs.resolve("server.crt"), certs.resolve("server.key"), tmp.resolve("tls-data"),
                reg, htpasswd));
        Path dockerCerts = Path.of("/etc/docker/certs.d", reg);
        try (LadingApp tlsApp = new LadingApp(ConfigLoader.load(config, Map.of(), null))) {
            tlsApp.start();
            String authfile = tmp.resolve("tls-auth.json").toString();
            Files.writeString(Path.of(authfile), "{\"auths\":{}}");
            String certArg = "--cert-dir=" + certDir;
            // Without the CA the certificate is not trusted.
            Result untrusted = exec(containersEnv, concat(podman, "login", "--authfile", authfile, "-u", "ann", "-p",
                    "s3cret", reg));
            assertThat(untrusted.exit()).as(untrusted.output()).isNotZero();
            assertThat(untrusted.output()).containsIgnoringCase("certificate");
            podman("login", certArg, "--authfile", authfile, "-u", "ann", "-p", "s3cret", reg);
            podman("push", certArg, "--authfile", authfile, host + "/clients/podman:oci", "docker://" + reg + "/tls/app:v1");
            podman("pull", certArg, "--authfile", authfile, reg + "/tls/app:v1");
            ok(Map.of(), List.of("skopeo"), "copy", "--src-tls-verify=false", "--dest-cert-dir=" + certDir,
                    "--dest-creds", "ann:s3cret", "docker://" + host + "/clients/podman:v2s2",
                    "docker://" + reg + "/tls/skopeo:v1");
            ok(Map.of(), List.of("skopeo"), "inspect", "--cert-dir=" + certDir, "--creds", "ann:s3cret",
                    "docker://" + reg + "/tls/skopeo:v1");
            Files.createDirectories(dockerCerts);
            pki.writeCa(dockerCerts.resolve("ca.crt"));
            Map<String, String> env = dockerd();
            ok(env, List.of("docker"), "login", "-u", "ann", "-p", "s3cret", reg);
            ok(env, List.of("docker"), "pull", reg + "/tls/app:v1");
            ok(env, List.of("docker"), "tag", reg + "/tls/app:v1", reg + "/tls/docker:v1");
            ok(env, List.of("docker"), "push", reg + "/tls/docker:v1");
        } finally {
            if (Files.exists(dockerCerts.resolve("ca.crt"))) {
                Files.delete(dockerCerts.resolve("ca.crt"));
                Files.delete(dockerCerts);
            }
        }
    }

    @Test
    @Order(14)
    void skopeoAndPodmanPullAMultiArchImageThroughAPullThroughCache() throws Exception {
        Path config = tmp.resolve("mirror.yml");
        Files.writeString(config, """
                version: 0.1
                http:
                  addr: 127.0.0.1:0
                storage:
                  filesystem:
                    rootdirectory: %s
                proxy:
                  remoteurl: http://%s
                """.formatted(tmp.resolve("mirror-data"), host));
        try (LadingApp mirror = new LadingApp(ConfigLoader.load(config, Map.of(), null))) {
            mirror.start();
            String reg = "127.0.0.1:" + mirror.port();
            Path layout = tmp.resolve("mirror-layout");
            ok(Map.of(), List.of("skopeo"), "copy", "--all", "--src-tls-verify=false",
                    "docker://" + reg + "/clients/list:v1", "oci:" + layout + ":v1");
            assertThat(ok(Map.of(), List.of("skopeo"), "inspect", "--raw", "--tls-verify=false",
                    "docker://" + reg + "/clients/list:v1"))
                    .as("the index as the registry it mirrors has it")
                    .isEqualTo(get("/v2/clients/list/manifests/v1", ALL_TYPES).body());
            podman("pull", "--tls-verify=false", reg + "/clients/podman:v2s2");
            Result push = exec(containersEnv, concat(podman, "push", "--tls-verify=false", reg + "/clients/podman:v2s2",
                    "docker://" + reg + "/clients/pushed:v1"));
            assertThat(push.exit()).as("a cache takes no pushes: %s", push.output()).isNotZero();
        }
    }

    @Test
    @Order(15)
    void dockerAndPodmanPushToAndPullFromARegistryOnS3() throws Exception {
        try (io.lading.storage.s3.S3ProxyServer s3 = io.lading.storage.s3.S3ProxyServer.start()) {
            s3.createBucket("clients");
            pushAndPullOnAnObjectStore("s3", s3.storageSection("clients", ""));
        }
    }

    @Test
    @Order(16)
    void dockerAndPodmanPushToAndPullFromARegistryOnAzure() throws Exception {
        try (io.lading.storage.azure.AzuriteServer azurite = io.lading.storage.azure.AzuriteServer.start()) {
            azurite.createContainer("clients");
            pushAndPullOnAnObjectStore("azure", azurite.storageSection("clients", ""));
        }
    }

    /**
     * docker push, pull (its layer GET a redirect to the store) and run, and podman push and pull, against a registry
     * on the object store that {@code storageSection} names.
     */
    private void pushAndPullOnAnObjectStore(String store, String storageSection) throws Exception {
        Path config = tmp.resolve(store + ".yml");
        Files.writeString(config, "version: 0.1\nhttp:\n  addr: 127.0.0.1:0\n" + storageSection);
        try (LadingApp onStore = new LadingApp(ConfigLoader.load(config, Map.of(), tmp.resolve(store + "-local")))) {
            onStore.start();
            String reg = "127.0.0.1:" + onStore.port();
            Map<String, String> env = dockerd();
            List<String> docker = List.of("docker");
            ok(env, docker, "pull", host + "/clients/docker:v1"); // pushed in scenario 4
            ok(env, docker, "tag", host + "/clients/docker:v1", reg + "/clients/" + store + ":v1");
            ok(env, docker, "push", reg + "/clients/" + store + ":v1");
            ok(env, docker, "rmi", reg + "/clients/" + store + ":v1", host + "/clients/docker:v1");
            ok(env, docker, "pull", reg + "/clients/" + store + ":v1"); // its layer GET is a redirect to the store
            assertThat(ok(env, docker, "run", "--rm", reg + "/clients/" + store + ":v1")).contains("hello from lading");
            podman("pull", "--tls-verify=false", host + "/clients/podman:v2s2"); // pushed in scenario 1
            podman("push", "--tls-verify=false", host + "/clients/podman:v2s2", "docker://" + reg
                    + "/clients/podman-" + store + ":v1");
            podman("pull", "--tls-verify=false", reg + "/clients/podman-" + store + ":v1");
        }
    }

    /** An htpasswd file with the account the login scenarios use: ann, password s3cret ($2y$ bcrypt). */
    private Path annsHtpasswd(String name) throws Exception {
        Path file = tmp.resolve(name);
        Files.writeString(file, "ann:" + new String(at.favre.lib.crypto.bcrypt.BCrypt.with(
                at.favre.lib.crypto.bcrypt.BCrypt.Version.VERSION_2Y).hash(6, "s3cret".toCharArray()),
                StandardCharsets.UTF_8) + "\n");
        return file;
    }

    private static List<String> concat(List<String> base, String... args) {
        List<String> cmd = new ArrayList<>(base);
        cmd.addAll(List.of(args));
        return cmd;
    }
}
