package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.cli.config.ConfigLoader;
import io.lading.http.EventReceiver;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OpenTelemetry: off by default, and with OTEL_* set, request spans with storage and metadata children over OTLP. */
class TracingTest {
    @Test
    void offUnlessTheEnvironmentAsks() {
        assertThat(Tracing.fromEnvironment(Map.of()).enabled()).isFalse();
        assertThat(Tracing.fromEnvironment(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1",
                "OTEL_SDK_DISABLED", "true")).enabled()).isFalse();
        assertThat(Tracing.fromEnvironment(Map.of("OTEL_TRACES_EXPORTER", "none")).enabled()).isFalse();
    }

    @Test
    void requestSpansWithStorageAndMetadataChildrenReachAnOtlpCollector(@TempDir Path data) throws Exception {
        try (EventReceiver collector = new EventReceiver(0, "/v1/traces")) {
            var config = ConfigLoader.load(null, Map.of("REGISTRY_HTTP_ADDR", "127.0.0.1:0"), data);
            Map<String, String> env = Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.port(),
                    "OTEL_BSP_SCHEDULE_DELAY", "50", "OTEL_SERVICE_NAME", "lading-under-test");
            String requestId;
            try (LadingApp app = new LadingApp(config, env)) {
                app.start();
                // Larger than what is staged in the metadata store, so the push writes to storage itself.
                HttpResponse<String> push = BlobPush.monolithic(HttpClient.newHttpClient(),
                        "http://127.0.0.1:" + app.port(), "traced/app",
                        "traced ".repeat(20_000).getBytes(StandardCharsets.UTF_8));
                assertThat(push.statusCode()).isEqualTo(201);
                requestId = push.headers().firstValue("X-Request-Id").orElseThrow();
                collector.await(rs -> rs.stream().anyMatch(r -> r.body().contains(requestId)), Duration.ofSeconds(20));
            }
            String all = String.join("\n", collector.requests().stream().map(EventReceiver.Received::body).toList());
            assertThat(collector.requests().get(0).contentType()).isEqualTo("application/x-protobuf");
            assertThat(all).contains("POST /v2/{name}/blobs/uploads/").contains("lading-under-test")
                    .contains("storage commit").contains("metadata write").contains(requestId);
        }
    }
}
