package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.lading.core.Digest;
import io.lading.http.EventReceiver;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of a real server process with a backlog of undelivered events: after the restart every event
 * of every push the registry acknowledged reaches the receiver (at least once; ids are stable, so a receiver
 * can drop the duplicates a crash may cause).
 */
class NotificationKillTest {
    @Test
    void everyAcknowledgedPushIsNotifiedAfterKill9AndRestart(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        Path config = tmp.resolve("config.yml");
        try (EventReceiver receiver = new EventReceiver()) {
            // A slow receiver, one event per request: the backlog grows while the pushes go on.
            receiver.respond(r -> {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return EventReceiver.Reply.of(204);
            });
            Files.writeString(config, """
                    version: 0.1
                    storage:
                      filesystem:
                        rootdirectory: %s
                    notifications:
                      endpoints:
                        - name: audit
                          url: %s
                          timeout: 2s
                          threshold: 3
                          backoff: 50ms
                    lading:
                      gc:
                        enabled: false
                      notifications:
                        maxbackoff: 200ms
                        endpoints:
                          audit:
                            maxbatch: 1
                    """.formatted(data, receiver.url()));
            int port = ServerProcess.freePort();
            String base = "http://127.0.0.1:" + port;
            HttpClient http = HttpClient.newHttpClient();
            Set<String> acknowledged = new HashSet<>();
            try (ServerProcess server = ServerProcess.start(port, data, "--config", config.toString())) {
                for (int i = 0; i < 60; i++) {
                    byte[] blob = ("blob " + i).getBytes(StandardCharsets.UTF_8);
                    HttpResponse<String> r = BlobPush.monolithic(http, base, "app" + (i % 4), blob);
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                    acknowledged.add(Digest.of(Digest.Algorithm.SHA256, blob).toString());
                }
                server.kill9();
            }
            int beforeRestart = delivered(receiver).size();
            assertThat(beforeRestart).as("the kill left a backlog").isLessThan(acknowledged.size());

            try (ServerProcess server = ServerProcess.start(port, data, "--config", config.toString())) {
                receiver.await(rs -> delivered(receiver).containsAll(acknowledged), Duration.ofSeconds(60));
            }
            List<JsonNode> events = receiver.deliveredEvents();
            long distinctIds = events.stream().map(e -> e.path("id").asText()).distinct().count();
            assertThat(distinctIds).isEqualTo(acknowledged.size()); // duplicates at most, never a different event
            System.out.printf("notifications after kill -9: %d acknowledged pushes, %d delivered before the kill,"
                    + " %d requests in all (%d duplicates)%n", acknowledged.size(), beforeRestart, events.size(),
                    events.size() - distinctIds);
        }
    }

    private static Set<String> delivered(EventReceiver receiver) {
        Set<String> out = new HashSet<>();
        for (JsonNode e : receiver.deliveredEvents()) {
            out.add(e.path("target").path("digest").asText());
        }
        return out;
    }
}
