package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.cli.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prometheus metrics on the debug listener (http.debug.addr), scraped after a push and a collection. */
class MetricsTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> send(String method, String url, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).method(method, body == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The metrics page once it shows {@code line}, or as it is after about 5 s: what the registry counts after
     * answering (a request's own count, a collection, an event delivery) may show a little after the answer.
     */
    private String scrapeUntil(String metrics, String line) throws Exception {
        String page = send("GET", metrics, null).body();
        for (int i = 0; i < 100 && !page.contains(line); i++) {
            Thread.sleep(50);
            page = send("GET", metrics, null).body();
        }
        return page;
    }

    @Test
    void collectionFiguresStorageUseAndJvmFiguresAreScrapeable(@TempDir Path data) throws Exception {
        var config = ConfigLoader.load(null, Map.of("REGISTRY_HTTP_ADDR", "127.0.0.1:0",
                "REGISTRY_HTTP_DEBUG_ADDR", "127.0.0.1:0", "REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED", "true",
                "REGISTRY_LADING_GC_GRACE", "0s",
                // Small blobs go straight to storage, so that the storage operations below happen on the request
                // path rather than whenever the staged-content writer gets to them.
                "REGISTRY_LADING_STORAGE_STAGING_MAXSIZE", "0"), data);
        try (LadingApp app = new LadingApp(config)) {
            app.start();
            String base = "http://127.0.0.1:" + app.port();
            String metrics = "http://127.0.0.1:" + app.debugPort() + "/metrics";
            byte[] other = "4 by".getBytes(StandardCharsets.UTF_8);
            byte[] stray = "a stray blob of 27 bytes...".getBytes(StandardCharsets.UTF_8);
            for (byte[] b : new byte[][]{other, stray}) {
                assertThat(BlobPush.monolithic(http, base, "app", b).statusCode()).isEqualTo(201);
            }
            io.lading.core.Digest pulled = io.lading.core.Digest.of(io.lading.core.Digest.Algorithm.SHA256, other);
            assertThat(send("GET", base + "/v2/app/blobs/" + pulled, null).body()).isEqualTo("4 by");
            // A request is counted once its handler returns, when the client may have its response already.
            String pulledLine = "lading_http_requests_seconds_count{method=\"GET\",route=\"blobs\",status=\"200\"} 1";
            String before = scrapeUntil(metrics, pulledLine);
            assertThat(before).contains("lading_storage_blobs 2.0").contains("lading_gc_running 0.0")
                    .contains("jvm_memory_used_bytes")
                    // requests by route, method and status, and the bytes they carried
                    .contains("lading_http_requests_seconds_count{method=\"POST\",route=\"upload_start\",status=\"201\"} 2")
                    .contains("lading_http_received_bytes_total{route=\"upload_start\"} 31.0")
                    .contains("lading_http_requests_seconds_count{method=\"GET\",route=\"blobs\",status=\"200\"} 1")
                    .contains("lading_http_sent_bytes_total{route=\"blobs\"} 4.0")
                    .contains("lading_storage_operations_seconds_count{operation=\"reader\",result=\"ok\"} 1")
                    // storage driver operations and metadata transactions
                    .contains("lading_storage_operations_seconds_count{operation=\"commit\",result=\"ok\"}")
                    .contains("lading_metadata_transactions_seconds_count{kind=\"write\",result=\"ok\"}")
                    .contains("lading_uploads_open 0.0")
                    .contains("lading_staged_bytes 0.0")
                    .contains("lading_check_running 0.0").contains("lading_check_damaged 0.0")
                    .contains("lading_check_last_finished_seconds 0.0");

            // A content check that finds the stray blob's file gone says so in a gauge an alert can watch.
            io.lading.core.Digest strayDigest = io.lading.core.Digest.of(io.lading.core.Digest.Algorithm.SHA256, stray);
            java.nio.file.Files.delete(data.resolve(io.lading.storage.BlobStore.blobPath(strayDigest).substring(1)));
            assertThat(send("POST", base + "/lading/v1/check", null).statusCode()).isEqualTo(202);
            String checked = scrapeUntil(metrics, "lading_check_damaged 1.0");
            assertThat(checked).contains("lading_check_damaged 1.0").contains("lading_check_running 0.0")
                    .doesNotContain("lading_check_last_finished_seconds 0.0");

            assertThat(send("POST", base + "/lading/v1/gc", null).statusCode()).isEqualTo(202);
            String after = scrapeUntil(metrics, "lading_gc_runs_total{result=\"ok\"} 1.0");
            assertThat(after).contains("lading_gc_runs_total{result=\"ok\"} 1.0")
                    .contains("lading_gc_blobs_deleted_total 2.0")
                    .contains("lading_gc_links_removed_total 2.0")
                    .contains("lading_gc_reclaimed_bytes_total 31.0")
                    .contains("lading_gc_duration_seconds_count 1");
            assertThat(send("GET", "http://127.0.0.1:" + app.debugPort() + "/nothing", null).statusCode())
                    .isEqualTo(404);
            HttpResponse<String> health = send("GET", "http://127.0.0.1:" + app.debugPort() + "/debug/health", null);
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).isEqualTo("{\"storage\":\"ok\",\"metadata\":\"ok\"}");
        }
    }

    @Test
    void bytesSentWithSendfileAreCountedWhenItIsOn(@TempDir Path data) throws Exception {
        assertThat(largeBlobGetThenMetrics(data, Map.of("REGISTRY_LADING_STORAGE_SENDFILE", "true"), 300 * 1024))
                .contains("lading_http_sendfile_bytes_total 307200.0");
    }

    /** sendfile sends from the page cache, so with it on, blobs of the size direct I/O reads are read through it. */
    @Test
    void sendfileAlsoSendsBlobsLargeEnoughForDirectReads(@TempDir Path data) throws Exception {
        int size = (int) io.lading.storage.FileSystemDriver.DIRECT_MIN + 1000;
        assertThat(largeBlobGetThenMetrics(data, Map.of("REGISTRY_LADING_STORAGE_SENDFILE", "true"), size))
                .contains("lading_http_sendfile_bytes_total " + size + ".0");
    }

    @Test
    void largeBlobGetsAreCopiedByDefault(@TempDir Path data) throws Exception {
        assertThat(largeBlobGetThenMetrics(data, Map.of(), 300 * 1024))
                .contains("lading_http_sendfile_bytes_total 0.0");
    }

    /** Pushes and pulls a blob of {@code size} (checking its bytes) on a registry with {@code env}; returns metrics. */
    private String largeBlobGetThenMetrics(Path data, Map<String, String> env, int size) throws Exception {
        Map<String, String> all = new java.util.HashMap<>(env);
        all.putAll(Map.of("REGISTRY_HTTP_ADDR", "127.0.0.1:0", "REGISTRY_HTTP_DEBUG_ADDR", "127.0.0.1:0",
                "REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED", "true"));
        var config = ConfigLoader.load(null, all, data);
        try (LadingApp app = new LadingApp(config)) {
            app.start();
            String base = "http://127.0.0.1:" + app.port();
            byte[] layer = new byte[size];
            new java.util.Random(3).nextBytes(layer);
            assertThat(BlobPush.monolithic(http, base, "app", layer).statusCode()).isEqualTo(201);
            io.lading.core.Digest d = io.lading.core.Digest.of(io.lading.core.Digest.Algorithm.SHA256, layer);
            HttpResponse<byte[]> got = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/app/blobs/" + d))
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(got.body()).isEqualTo(layer);
            return send("GET", "http://127.0.0.1:" + app.debugPort() + "/metrics", null).body();
        }
    }

    @Test
    void eventDeliveryFiguresPerEndpoint(@TempDir Path data) throws Exception {
        try (io.lading.http.EventReceiver receiver = new io.lading.http.EventReceiver()) {
            receiver.respond(r -> receiver.requests().isEmpty() ? io.lading.http.EventReceiver.Reply.of(500)
                    : io.lading.http.EventReceiver.Reply.of(204));
            var config = ConfigLoader.load(null, Map.of("REGISTRY_HTTP_ADDR", "127.0.0.1:0",
                    "REGISTRY_HTTP_DEBUG_ADDR", "127.0.0.1:0", "REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED", "true",
                    "REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME", "hook",
                    "REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL", receiver.url().toString(),
                    "REGISTRY_NOTIFICATIONS_ENDPOINTS_0_BACKOFF", "20ms"), data);
            try (LadingApp app = new LadingApp(config)) {
                app.start();
                String base = "http://127.0.0.1:" + app.port();
                String metrics = "http://127.0.0.1:" + app.debugPort() + "/metrics";
                assertThat(BlobPush.monolithic(http, base, "app", "evented".getBytes(StandardCharsets.UTF_8))
                        .statusCode()).isEqualTo(201);
                String page = scrapeUntil(metrics, "lading_events_delivered_total{endpoint=\"hook\"} 1.0");
                assertThat(page).contains("lading_events_delivered_total{endpoint=\"hook\"} 1.0")
                        .contains("lading_events_failures_total{endpoint=\"hook\"} 1.0")
                        .contains("lading_events_backlog{endpoint=\"hook\"} 0.0")
                        .contains("lading_events_deadletters{endpoint=\"hook\"} 0.0")
                        .contains("lading_events_delivery_latency_seconds_count{endpoint=\"hook\"} 1");
            }
        }
    }
}
