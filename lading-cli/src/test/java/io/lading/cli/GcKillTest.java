package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.core.Digest;
import io.lading.metadata.BlobRecord;
import io.lading.metadata.sqlite.SqliteMetadataStore;
import io.lading.storage.BlobStore;
import io.lading.storage.FileSystemDriver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of a real server process while its online collector runs (interval 100 ms, no grace, garbage
 * arriving all the time), then a restart: nothing a manifest references is missing, the restart finishes what the
 * killed collection had marked, and after the next collection storage and metadata agree blob for blob.
 */
class GcKillTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<byte[]> send(String method, String url, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /**
     * Pushes a blob; with no grace period the collector may take it between its claim and its link, which is
     * answered 503 (push again), never 201: then this returns null.
     */
    private Digest pushBlob(String base, String repo, byte[] bytes) throws Exception {
        HttpResponse<String> post = BlobPush.monolithic(http, base, repo, bytes);
        assertThat(post.statusCode()).as(post.body()).isIn(201, 503);
        return post.statusCode() == 201 ? Digest.of(Digest.Algorithm.SHA256, bytes) : null;
    }

    @Test
    void killedMidCollectionTheRestartedRegistryLosesNothingAndFinishesTheWork(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        Path config = tmp.resolve("config.yml");
        Files.writeString(config, """
                version: 0.1
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                lading:
                  gc:
                    interval: 100ms
                    grace: 0s
                    deleteuntagged: true
                """.formatted(data));
        int port = ServerProcess.freePort();
        String base = "http://127.0.0.1:" + port;
        byte[] config1 = "{\"pinned\":true}".getBytes(StandardCharsets.UTF_8);
        byte[] layer1 = "pinned layer".getBytes(StandardCharsets.UTF_8);
        String manifest;
        boolean sawRunning = false;
        try (ServerProcess server = ServerProcess.start(port, data, "--config", config.toString())) {
            // With no grace period the collector may unlink the layers before the manifest arrives (the PUT is then
            // refused with MANIFEST_BLOB_UNKNOWN, never accepted with content missing): push until it sticks.
            String json = null;
            for (int attempt = 0; attempt < 20 && json == null; attempt++) {
                Digest c = pushBlob(base, "app", config1);
                Digest l = pushBlob(base, "app", layer1);
                if (c == null || l == null) {
                    continue;
                }
                String candidate = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                        + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + c
                        + "\",\"size\":" + config1.length + "},\"layers\":[{\"mediaType\":"
                        + "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + l + "\",\"size\":"
                        + layer1.length + "}]}";
                int status = send("PUT", base + "/v2/app/manifests/v1", candidate.getBytes(StandardCharsets.UTF_8),
                        "Content-Type", "application/vnd.oci.image.manifest.v1+json").statusCode();
                assertThat(status).isIn(201, 400);
                if (status == 201) {
                    json = candidate;
                }
            }
            assertThat(json).as("the pinned image was pushed").isNotNull();
            manifest = json;

            AtomicBoolean stop = new AtomicBoolean();
            Thread garbage = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    try {
                        byte[] b = new byte[ThreadLocalRandom.current().nextInt(512, 8192)];
                        ThreadLocalRandom.current().nextBytes(b);
                        pushBlob(base, "junk/" + ThreadLocalRandom.current().nextInt(3), b);
                    } catch (Exception e) {
                        return; // the server is gone
                    }
                }
            });
            Thread.sleep(1500); // garbage accumulates and collections run
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (System.nanoTime() < deadline) {
                String status = new String(send("GET", base + "/lading/v1/gc", null).body(), StandardCharsets.UTF_8);
                if (status.contains("\"running\":true")) {
                    sawRunning = true;
                    break;
                }
            }
            server.kill9();
            stop.set(true);
            garbage.join();
        }
        assertThat(sawRunning).as("the collector was caught running").isTrue();

        try (ServerProcess server = ServerProcess.start(port, data, "--config", config.toString())) {
            HttpResponse<byte[]> m = send("GET", base + "/v2/app/manifests/v1", null,
                    "Accept", "application/vnd.oci.image.manifest.v1+json");
            assertThat(new String(m.body(), StandardCharsets.UTF_8)).isEqualTo(manifest);
            for (byte[] blob : List.of(config1, layer1)) {
                HttpResponse<byte[]> b = send("GET", base + "/v2/app/blobs/" + Digest.of(Digest.Algorithm.SHA256, blob),
                        null);
                assertThat(b.body()).isEqualTo(blob);
            }
            // Wait for a complete collection after the restart.
            long deadline = System.nanoTime() + 20_000_000_000L;
            String status = "";
            while (System.nanoTime() < deadline && !status.matches("(?s).*\"running\":false.*\"finished\":\"[^\"]+\".*")) {
                Thread.sleep(100);
                status = new String(send("GET", base + "/lading/v1/gc", null).body(), StandardCharsets.UTF_8);
            }
            assertThat(status).contains("\"error\":null");
            server.close();
        }

        // Stopped: metadata and storage agree blob for blob, and nothing is left half-deleted.
        try (SqliteMetadataStore store = SqliteMetadataStore.open(data.resolve("metadata.db"))) {
            assertThat(store.<List<BlobRecord>>write(tx -> tx.blobsBeingDeleted(10))).isEmpty();
            BlobStore blobs = new BlobStore(new FileSystemDriver(data));
            Set<Digest> stored = new HashSet<>();
            blobs.forEachStoredBlob(b -> stored.add(b.digest()));
            for (Digest d : stored) {
                assertThat(store.<Boolean>read(tx -> tx.blobKnown(d))).as("stored blob %s is recorded", d).isTrue();
            }
            assertThat(stored).contains(Digest.of(Digest.Algorithm.SHA256, config1),
                    Digest.of(Digest.Algorithm.SHA256, layer1),
                    Digest.of(Digest.Algorithm.SHA256, manifest.getBytes(StandardCharsets.UTF_8)));
        }
    }
}
