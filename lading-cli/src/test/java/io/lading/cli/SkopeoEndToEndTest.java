package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lading.cli.config.ConfigLoader;
import io.lading.cli.config.LadingConfig;
import io.lading.core.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * skopeo (the real client, installed by .ci/run) against a real Lading on loopback: a multi-arch image copied in
 * and back out, byte-exact manifests, a copy between repositories (cross-repo mount), list-tags and delete.
 * A missing skopeo fails these tests: nothing is skipped silently.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(ClientScenarioReport.class)
class SkopeoEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private Path tmp;
    private LadingApp app;
    private String host;
    private Path layout;
    private byte[] indexBytes;

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        this.tmp = tmp;
        LadingConfig config = ConfigLoader.load(null, Map.of("REGISTRY_HTTP_ADDR", "127.0.0.1:0",
                "REGISTRY_STORAGE_DELETE_ENABLED", "true"), tmp.resolve("data"));
        app = new LadingApp(config);
        app.start();
        host = "127.0.0.1:" + app.port();
        layout = tmp.resolve("source-layout");
        indexBytes = writeMultiArchLayout(layout);
    }

    @AfterAll
    void stop() throws Exception {
        app.close();
    }

    record Result(int exit, String out) {
    }

    /** Runs skopeo (with --insecure-policy); a missing skopeo fails the test. */
    static Result skopeo(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--insecure-policy"));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("skopeo is not installed (.ci/run installs it from Debian): " + e.getMessage());
        }
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("skopeo timed out: " + cmd);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Runs skopeo and asserts that it succeeded. */
    static Result ok(String... args) throws Exception {
        Result r = skopeo(args);
        assertThat(r.exit()).as("skopeo %s\n%s", String.join(" ", args), r.out()).isZero();
        return r;
    }

    @Test
    void copiesMultiArchImageInAndOutUnchanged() throws Exception {
        ok("copy", "--all", "--dest-tls-verify=false", "oci:" + layout + ":v1", "docker://" + host + "/e2e/multi:v1");
        Result raw = ok("inspect", "--raw", "--tls-verify=false", "docker://" + host + "/e2e/multi:v1");
        assertThat(raw.out().getBytes(StandardCharsets.UTF_8)).isEqualTo(indexBytes);

        Path out = tmp.resolve("copied-out");
        ok("copy", "--all", "--src-tls-verify=false", "docker://" + host + "/e2e/multi:v1", "oci:" + out + ":v1");
        JsonNode index = JSON.readTree(out.resolve("index.json").toFile());
        String digest = index.get("manifests").get(0).get("digest").asText();
        assertThat(digest).isEqualTo(Digest.of(Digest.Algorithm.SHA256, indexBytes).toString());
        JsonNode copied = JSON.readTree(out.resolve("blobs/sha256/" + digest.substring(7)).toFile());
        for (JsonNode child : copied.get("manifests")) {
            assertThat(out.resolve("blobs/sha256/" + child.get("digest").asText().substring(7))).exists();
        }
    }

    @Test
    void copiesBetweenRepositoriesAndListsAndDeletesTags() throws Exception {
        ok("copy", "--all", "--dest-tls-verify=false", "oci:" + layout + ":v1", "docker://" + host + "/e2e/src:v1");
        ok("copy", "--all", "--src-tls-verify=false", "--dest-tls-verify=false",
                "docker://" + host + "/e2e/src:v1", "docker://" + host + "/e2e/dst:copied");
        Result tags = ok("list-tags", "--tls-verify=false", "docker://" + host + "/e2e/dst");
        assertThat(JSON.readTree(tags.out()).get("Tags").toString()).isEqualTo("[\"copied\"]");
        Result raw = ok("inspect", "--raw", "--tls-verify=false", "docker://" + host + "/e2e/dst:copied");
        assertThat(raw.out().getBytes(StandardCharsets.UTF_8)).isEqualTo(indexBytes);

        ok("delete", "--tls-verify=false", "docker://" + host + "/e2e/dst:copied");
        Result gone = skopeo("inspect", "--raw", "--tls-verify=false", "docker://" + host + "/e2e/dst:copied");
        assertThat(gone.exit()).isNotZero();
    }

    /** Writes an OCI layout holding a two-platform index tagged v1; returns the index bytes. */
    private static byte[] writeMultiArchLayout(Path dir) throws Exception {
        return writeMultiArchLayout(dir, 0);
    }

    /**
     * {@link #writeMultiArchLayout(Path)} whose layers' files also hold {@code padding} random bytes (which gzip
     * cannot shrink), for layers of about that size.
     */
    static byte[] writeMultiArchLayout(Path dir, int padding) throws Exception {
        Files.createDirectories(dir.resolve("blobs/sha256"));
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        StringBuilder children = new StringBuilder();
        for (String arch : new String[]{"amd64", "arm64"}) {
            byte[] text = ("hello from " + arch + "\n").getBytes();
            byte[] content = java.util.Arrays.copyOf(text, text.length + padding);
            byte[] noise = new byte[padding];
            new java.util.Random(arch.hashCode()).nextBytes(noise);
            System.arraycopy(noise, 0, content, text.length, padding);
            byte[] tar = tarWithOneFile("hello-" + arch + ".txt", content);
            byte[] layer = gzip(tar);
            Digest layerDigest = blob(dir, layer);
            Digest diffId = Digest.of(Digest.Algorithm.SHA256, tar);
            byte[] config = ("{\"architecture\":\"" + arch + "\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/true\"]},"
                    + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffId + "\"]}}").getBytes();
            Digest configDigest = blob(dir, config);
            byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                    + configDigest + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":"
                    + "\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + layerDigest + "\",\"size\":"
                    + layer.length + "}]}").getBytes();
            Digest manifestDigest = blob(dir, manifest);
            if (!children.isEmpty()) {
                children.append(',');
            }
            children.append("{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"")
                    .append(manifestDigest).append("\",\"size\":").append(manifest.length)
                    .append(",\"platform\":{\"architecture\":\"").append(arch).append("\",\"os\":\"linux\"}}");
        }
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
                + children + "]}").getBytes();
        Digest indexDigest = blob(dir, index);
        Files.writeString(dir.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.index.v1+json\",\"digest\":\"" + indexDigest + "\",\"size\":" + index.length
                + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}");
        return index;
    }

    private static Digest blob(Path dir, byte[] content) throws IOException {
        Digest d = Digest.of(Digest.Algorithm.SHA256, content);
        Files.write(dir.resolve("blobs/sha256/" + d.hex()), content);
        return d;
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    /** A ustar archive with one regular file (header + content padded to 512, two zero blocks). */
    private static byte[] tarWithOneFile(String name, byte[] content) {
        byte[] header = new byte[512];
        put(header, 0, name);
        put(header, 100, "0000644");
        put(header, 108, "0000000");
        put(header, 116, "0000000");
        put(header, 124, String.format("%011o", content.length));
        put(header, 136, "00000000000");
        java.util.Arrays.fill(header, 148, 156, (byte) ' ');
        header[156] = '0';
        put(header, 257, "ustar");
        put(header, 263, "00");
        int sum = 0;
        for (byte b : header) {
            sum += b & 0xff;
        }
        put(header, 148, String.format("%06o", sum));
        header[154] = 0;
        header[155] = ' ';
        int padded = (content.length + 511) / 512 * 512;
        byte[] tar = new byte[512 + padded + 1024];
        System.arraycopy(header, 0, tar, 0, 512);
        System.arraycopy(content, 0, tar, 512, content.length);
        return tar;
    }

    private static void put(byte[] buf, int offset, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, buf, offset, b.length);
    }
}
