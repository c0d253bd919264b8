package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.cli.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** http.h2c.enabled, set the way distribution's operators set it, reaches the listener. */
class H2cConfigTest {
    @Test
    void theEnvironmentVariableTurnsOnHttp2InClearText(@TempDir Path data) throws Exception {
        for (boolean on : new boolean[] {true, false}) {
            try (LadingApp app = new LadingApp(ConfigLoader.load(null, Map.of("REGISTRY_HTTP_ADDR", "127.0.0.1:0",
                    "REGISTRY_HTTP_H2C_ENABLED", Boolean.toString(on)), data.resolve(Boolean.toString(on))));
                 HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()) {
                app.start();
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + app.port() + "/v2/")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.version()).as("h2c %s", on)
                        .isEqualTo(on ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1);
            }
        }
    }
}
