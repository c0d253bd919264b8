package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** log.formatter and log.fields as a real server process writes them. */
class LoggingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static HttpResponse<Void> get(String url, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.discarding());
    }

    @Test
    void jsonLinesCarryTheRequestIdTheFieldsAndNoCredentials(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        Path config = tmp.resolve("config.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: info
                  formatter: json
                  fields:
                    service: registry
                    environment: test
                storage:
                  filesystem:
                    rootdirectory: %s
                """.formatted(data));
        int port = ServerProcess.freePort();
        String requestId;
        Path log;
        try (ServerProcess server = ServerProcess.start(port, data, "--config", config.toString())) {
            HttpResponse<Void> r = get("http://127.0.0.1:" + port + "/v2/lib/app/manifests/missing",
                    "Authorization", "Basic c2VjcmV0OnNlY3JldA==", "User-Agent", "logging-test/1");
            assertThat(r.statusCode()).isEqualTo(404);
            requestId = r.headers().firstValue("X-Request-Id").orElseThrow();
            log = server.log;
            // The access line is written just after the response: wait for it before stopping the server.
            for (int i = 0; i < 200 && !Files.readString(log).contains(requestId); i++) {
                Thread.sleep(10);
            }
        }
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            if (line.startsWith("{")) {
                lines.add(JSON.readTree(line));
            }
        }
        assertThat(lines).isNotEmpty().allSatisfy(l -> {
            assertThat(l.path("service").asText()).isEqualTo("registry");
            assertThat(l.path("environment").asText()).isEqualTo("test");
            assertThat(l.has("@timestamp")).isTrue();
        });
        JsonNode access = lines.stream().filter(l -> l.path("logger_name").asText().equals("io.lading.access"))
                .filter(l -> l.path("path").asText().endsWith("/missing")).findFirst().orElseThrow();
        assertThat(access.path("request_id").asText()).isEqualTo(requestId);
        assertThat(access.path("status").asInt()).isEqualTo(404);
        assertThat(access.path("method").asText()).isEqualTo("GET");
        assertThat(access.path("user_agent").asText()).isEqualTo("logging-test/1");
        assertThat(Files.readString(log)).doesNotContain("c2VjcmV0OnNlY3JldA==");
    }
}
