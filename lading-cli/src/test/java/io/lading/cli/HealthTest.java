package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.cli.config.ConfigLoader;
import io.lading.cli.config.LadingConfig;
import io.lading.http.DebugServer;
import io.lading.metadata.sqlite.SqliteMetadataStore;
import io.lading.storage.FileSystemDriver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HealthTest {
    @Test
    void healthyWhenStorageAndMetadataAnswerAnd503NamingWhatDoesNot(@TempDir Path dir) throws Exception {
        SqliteMetadataStore metadata = SqliteMetadataStore.open(dir.resolve("m.db"));
        Health health = new Health(new FileSystemDriver(dir.resolve("data")), metadata, LadingConfig.HealthChecks.none());
        DebugServer.Rendered ok = health.render();
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("{\"storage\":\"ok\",\"metadata\":\"ok\"}");

        metadata.close();
        DebugServer.Rendered down = health.render();
        assertThat(down.status()).isEqualTo(503);
        assertThat(down.body()).contains("\"storage\":\"ok\"").doesNotContain("\"metadata\":\"ok\"");
    }

    @Test
    void distributionsPeriodicChecksAndReadinessFollowTheirConfiguration(@TempDir Path dir) throws Exception {
        Path flag = dir.resolve("out-of-rotation");
        int closedPort = ServerProcess.freePort();
        Path config = dir.resolve("config.yml");
        Files.writeString(config, """
                version: 0.1
                http:
                  addr: 127.0.0.1:0
                  debug:
                    addr: 127.0.0.1:0
                storage:
                  filesystem:
                    rootdirectory: %s
                health:
                  storagedriver:
                    enabled: true
                    interval: 50ms
                    threshold: 2
                  file:
                    - file: %s
                      interval: 50ms
                  tcp:
                    - addr: 127.0.0.1:%d
                      timeout: 200ms
                      interval: 50ms
                      threshold: 3
                """.formatted(dir.resolve("data"), flag, closedPort));
        HttpClient http = HttpClient.newHttpClient();
        LadingApp app = new LadingApp(ConfigLoader.load(config, Map.of(), null));
        try {
            app.start();
            String debug = "http://127.0.0.1:" + app.debugPort();
            HttpResponse<String> health = awaitBody(http, debug + "/debug/health", "tcp:127.0.0.1:" + closedPort);
            // Nothing listens on the tcp check's port: unhealthy once three checks in a row failed.
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(health.body()).contains("\"storage\":\"ok\"").contains("\"file:" + flag + "\":\"ok\"")
                    .doesNotContain("\"tcp:127.0.0.1:" + closedPort + "\":\"ok\"");
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(debug + "/debug/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("\"serving\":\"ok\"");

            // Creating the file takes the registry out of rotation, as distribution's file check does.
            Files.writeString(flag, "");
            HttpResponse<String> flagged = awaitBody(http, debug + "/debug/health", "file exists");
            assertThat(flagged.statusCode()).isEqualTo(503);
        } finally {
            app.close();
        }
    }

    @Test
    void readyOnlyWhileServingAndHealthy(@TempDir Path dir) throws Exception {
        var config = ConfigLoader.load(null, Map.of("REGISTRY_HTTP_ADDR", "127.0.0.1:0",
                "REGISTRY_HTTP_DEBUG_ADDR", "127.0.0.1:0"), dir.resolve("data"));
        HttpClient http = HttpClient.newHttpClient();
        try (LadingApp app = new LadingApp(config)) {
            app.start();
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + app.debugPort() + "/debug/ready")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).isEqualTo("{\"storage\":\"ok\",\"metadata\":\"ok\",\"serving\":\"ok\"}");
        }
    }

    private static HttpResponse<String> awaitBody(HttpClient http, String url, String text) throws Exception {
        HttpResponse<String> r = null;
        for (int i = 0; i < 200; i++) {
            r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.body().contains(text) && !r.body().contains("\"" + text + "\":\"ok\"") && r.statusCode() == 503) {
                return r;
            }
            Thread.sleep(25);
        }
        return r;
    }
}
