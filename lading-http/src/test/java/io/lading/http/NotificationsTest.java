package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lading.core.Digest;
import io.lading.metadata.sqlite.SqliteMetadataStore;
import io.lading.registry.RegistryOptions;
import io.lading.registry.events.Endpoint;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Notifications end to end: a registry over HTTP, its outbox, and a real webhook receiver. */
class NotificationsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(20);

    static Endpoint endpoint(String name, URI url, Endpoint.Format format, int maxBatch, Duration deadLetterAfter,
                             Set<String> ignoredMediaTypes, Set<String> ignoredActions) {
        return new Endpoint(name, url, Map.of("Authorization", List.of("Bearer s3cret")), Duration.ofSeconds(2), 3,
                Duration.ofMillis(50), ignoredMediaTypes, ignoredActions, false, format, maxBatch, deadLetterAfter,
                Duration.ofMillis(200));
    }

    static Endpoint endpoint(URI url) {
        return endpoint("hook", url, Endpoint.Format.DISTRIBUTION, 16, Duration.ofHours(1), Set.of(), Set.of());
    }

    private static TestRegistry registry(List<Endpoint> endpoints) throws Exception {
        return new TestRegistry(RegistryOptions.defaults().withDelete(true), null, SqliteMetadataStore.inMemory(),
                endpoints);
    }

    /** Pushes config + layer + manifest under {@code tag}; returns the manifest digest. */
    private static Digest pushImage(TestRegistry r, String repo, String tag, String seed) throws Exception {
        byte[] config = ("{\"seed\":\"" + seed + "\"}").getBytes(StandardCharsets.UTF_8);
        byte[] layer = ("layer " + seed).getBytes(StandardCharsets.UTF_8);
        Digest c = r.pushBlob(repo, config);
        Digest l = r.pushBlob(repo, layer);
        String manifest = Manifests.image(c, config.length, l, layer.length);
        HttpResponse<byte[]> put = r.putManifest(repo, tag, Manifests.OCI_MANIFEST, manifest);
        assertThat(put.statusCode()).isEqualTo(201);
        return Manifests.digest(manifest);
    }

    private static List<String> summary(List<JsonNode> events) {
        List<String> out = new ArrayList<>();
        for (JsonNode e : events) {
            JsonNode t = e.path("target");
            out.add(e.path("action").asText() + " " + t.path("repository").asText() + " "
                    + (t.hasNonNull("tag") ? t.path("tag").asText() : t.path("mediaType").asText("-")));
        }
        return out;
    }

    @Test
    void pushPullAndDeleteArriveInDistributionsEnvelope() throws Exception {
        try (EventReceiver receiver = new EventReceiver(); TestRegistry r = registry(List.of(endpoint(receiver.url())))) {
            Digest manifest = pushImage(r, "lib/app", "v1", "a");
            HttpResponse<byte[]> pull = r.send("GET", "/v2/lib/app/manifests/v1", null,
                    "Accept", Manifests.OCI_MANIFEST, "User-Agent", "lading-test/1.0");
            String requestId = pull.headers().firstValue("X-Request-Id").orElseThrow();
            // Pull events are written in batches, off the pull path: they may be recorded after a later change of
            // the same repository, so the test lets the pull arrive before deleting.
            receiver.await(rs -> receiver.deliveredEvents().size() >= 4, WAIT);
            assertThat(r.send("DELETE", "/v2/lib/app/manifests/v1", null).statusCode()).isEqualTo(202);

            receiver.await(rs -> receiver.deliveredEvents().size() >= 5, WAIT);
            List<JsonNode> events = receiver.deliveredEvents();
            assertThat(summary(events)).containsExactly(
                    "push lib/app application/octet-stream", "push lib/app application/octet-stream",
                    "push lib/app v1", "pull lib/app v1", "delete lib/app v1");
            EventReceiver.Received first = receiver.requests().get(0);
            assertThat(first.contentType()).isEqualTo("application/vnd.docker.distribution.events.v2+json");
            assertThat(first.authorization()).isEqualTo("Bearer s3cret");

            JsonNode push = events.get(2);
            assertThat(push.path("id").asText()).isNotEmpty();
            assertThat(Instant.parse(push.path("timestamp").asText())).isBefore(Instant.now().plusSeconds(1));
            JsonNode t = push.path("target");
            assertThat(t.path("mediaType").asText()).isEqualTo(Manifests.OCI_MANIFEST);
            assertThat(t.path("digest").asText()).isEqualTo(manifest.toString());
            assertThat(t.path("size").asLong()).isEqualTo(t.path("length").asLong()).isPositive();
            assertThat(t.path("url").asText()).isEqualTo(r.base + "/v2/lib/app/manifests/" + manifest);
            assertThat(t.has("references")).as("notifications.events.includereferences is off").isFalse();
            assertThat(push.path("request").path("method").asText()).isEqualTo("PUT");
            assertThat(push.path("source").path("instanceID").asText()).isEqualTo("test-instance");

            JsonNode pulled = events.get(3);
            assertThat(pulled.path("request").path("id").asText()).isEqualTo(requestId);
            assertThat(pulled.path("request").path("useragent").asText()).isEqualTo("lading-test/1.0");
            assertThat(pulled.path("request").path("addr").asText()).startsWith("127.0.0.1:");
            assertThat(events.stream().map(e -> e.path("id").asText()).distinct().count()).isEqualTo(events.size());
        }
    }

    @Test
    void manifestEventsListWhatTheManifestReferencesWhenAskedTo() throws Exception {
        try (EventReceiver receiver = new EventReceiver(); TestRegistry r = new TestRegistry(
                RegistryOptions.defaults().withDelete(true), null, SqliteMetadataStore.inMemory(),
                List.of(endpoint(receiver.url())), true)) {
            byte[] config = "{\"seed\":\"refs\"}".getBytes(StandardCharsets.UTF_8);
            byte[] layer = "layer refs".getBytes(StandardCharsets.UTF_8);
            Digest c = r.pushBlob("lib/app", config);
            Digest l = r.pushBlob("lib/app", layer);
            String image = Manifests.image(c, config.length, l, layer.length);
            assertThat(r.putManifest("lib/app", "v1", Manifests.OCI_MANIFEST, image).statusCode()).isEqualTo(201);
            assertThat(r.send("GET", "/v2/lib/app/manifests/v1", null, "Accept", Manifests.OCI_MANIFEST)
                    .statusCode()).isEqualTo(200);
            receiver.await(rs -> receiver.deliveredEvents().size() >= 4, WAIT);
            String index = Manifests.index(Manifests.digest(image).toString(), String.valueOf(image.length()));
            assertThat(r.putManifest("lib/app", "all", Manifests.OCI_INDEX, index).statusCode()).isEqualTo(201);
            receiver.await(rs -> receiver.deliveredEvents().size() >= 5, WAIT);

            List<JsonNode> events = receiver.deliveredEvents();
            assertThat(summary(events)).containsExactly("push lib/app application/octet-stream",
                    "push lib/app application/octet-stream", "push lib/app v1", "pull lib/app v1", "push lib/app all");
            assertThat(events.get(0).path("target").has("references")).as("blob events have none").isFalse();
            for (JsonNode e : events.subList(2, 4)) { // the image's push and pull: its config, then its layers
                JsonNode refs = e.path("target").path("references");
                assertThat(refs.size()).as(e.toString()).isEqualTo(2);
                assertThat(refs.get(0).path("mediaType").asText())
                        .isEqualTo("application/vnd.oci.image.config.v1+json");
                assertThat(refs.get(0).path("digest").asText()).isEqualTo(c.toString());
                assertThat(refs.get(0).path("size").asLong()).isEqualTo(config.length);
                assertThat(refs.get(1).path("mediaType").asText()).isEqualTo("application/vnd.oci.image.layer.v1.tar");
                assertThat(refs.get(1).path("digest").asText()).isEqualTo(l.toString());
                assertThat(refs.get(1).path("size").asLong()).isEqualTo(layer.length);
            }
            JsonNode children = events.get(4).path("target").path("references"); // the index's: its manifests
            assertThat(children.size()).isEqualTo(1);
            assertThat(children.get(0).path("mediaType").asText()).isEqualTo(Manifests.OCI_MANIFEST);
            assertThat(children.get(0).path("digest").asText()).isEqualTo(Manifests.digest(image).toString());
            assertThat(children.get(0).path("size").asLong()).isEqualTo(image.length());
            assertThat(children.get(0).path("platform").path("os").asText()).isEqualTo("linux");
            assertThat(children.get(0).path("platform").path("architecture").asText()).isEqualTo("arch0");
        }
    }

    @Test
    void aFailingRepositoryWaitsWhileOthersAreDeliveredAndKeepsItsOrder() throws Exception {
        try (EventReceiver receiver = new EventReceiver(); TestRegistry r = registry(List.of(
                endpoint("hook", receiver.url(), Endpoint.Format.DISTRIBUTION, 1, Duration.ofHours(1), Set.of(),
                        Set.of())))) {
            // The receiver refuses everything about repository "slow" for now.
            receiver.respond(x -> x.body().contains("\"repository\":\"slow\"") ? EventReceiver.Reply.of(500)
                    : EventReceiver.Reply.of(204));
            for (int i = 0; i < 3; i++) {
                pushImage(r, "slow", "t" + i, "s" + i);
                pushImage(r, "fast", "t" + i, "f" + i);
            }
            receiver.await(rs -> summary(receiver.deliveredEvents()).stream().filter(s -> s.startsWith("push fast t"))
                    .count() == 3, WAIT);
            assertThat(summary(receiver.deliveredEvents())).noneMatch(s -> s.contains("slow"));
            // Only the head of "slow" was tried, again and again: nothing behind it overtook it.
            List<String> triedSlow = receiver.requests().stream().filter(x -> x.body().contains("\"slow\""))
                    .map(x -> x.events().get(0).path("id").asText()).distinct().toList();
            assertThat(triedSlow).hasSize(1);

            receiver.respond(x -> EventReceiver.Reply.of(200));
            receiver.await(rs -> summary(receiver.deliveredEvents()).stream().filter(s -> s.contains("slow"))
                    .count() == 9, WAIT);
            List<String> slow = summary(receiver.deliveredEvents()).stream().filter(s -> s.contains("slow")).toList();
            assertThat(slow).containsExactly(
                    "push slow application/octet-stream", "push slow application/octet-stream", "push slow t0",
                    "push slow application/octet-stream", "push slow application/octet-stream", "push slow t1",
                    "push slow application/octet-stream", "push slow application/octet-stream", "push slow t2");
        }
    }

    @Test
    void retryAfterFromTheReceiverIsHonoured() throws Exception {
        try (EventReceiver receiver = new EventReceiver(); TestRegistry r = registry(List.of(endpoint(receiver.url())))) {
            receiver.respond(x -> receiver.requests().isEmpty() ? new EventReceiver.Reply(503, "2")
                    : EventReceiver.Reply.of(200));
            r.pushBlob("lib/app", "one blob".getBytes(StandardCharsets.UTF_8));
            List<EventReceiver.Received> got = receiver.await(rs -> rs.size() >= 2, WAIT);
            assertThat(got.get(0).status()).isEqualTo(503);
            assertThat(got.get(1).status()).isEqualTo(200);
            // Backoff alone would retry within 50 ms; the receiver asked for 2 s.
            assertThat(Duration.between(got.get(0).at(), got.get(1).at())).isGreaterThanOrEqualTo(Duration.ofMillis(1900));
            assertThat(got.get(1).body()).isEqualTo(got.get(0).body());
        }
    }

    @Test
    void retriesBackOffExponentiallyOnServerErrors() throws Exception {
        try (EventReceiver receiver = new EventReceiver(); TestRegistry r = registry(List.of(endpoint(receiver.url())))) {
            receiver.respond(x -> receiver.requests().size() < 5 ? EventReceiver.Reply.of(500)
                    : EventReceiver.Reply.of(204));
            r.pushBlob("lib/app", "retried".getBytes(StandardCharsets.UTF_8));
            List<EventReceiver.Received> got = receiver.await(rs -> rs.size() >= 6, WAIT);
            assertThat(got.subList(0, 5)).allSatisfy(x -> assertThat(x.status()).isEqualTo(500));
            assertThat(got.get(5).status()).isEqualTo(204);
            // The same event each time (stable id), never dropped.
            assertThat(got.stream().map(x -> x.events().get(0).path("id").asText()).distinct()).hasSize(1);
            // The receiver has the event; the worker records that right after the response.
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (r.notifier.status().get(0).backlog() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(r.notifier.status().get(0).backlog()).isZero();
        }
    }

    @Test
    void expiredEventsBecomeDeadLettersThatAnOperatorCanListAndReplay() throws Exception {
        try (EventReceiver receiver = new EventReceiver(); TestRegistry r = registry(List.of(endpoint("hook",
                receiver.url(), Endpoint.Format.DISTRIBUTION, 16, Duration.ZERO, Set.of(), Set.of())))) {
            receiver.respond(x -> EventReceiver.Reply.of(500));
            Digest blob = r.pushBlob("lib/app", "doomed".getBytes(StandardCharsets.UTF_8));
            receiver.await(rs -> !rs.isEmpty(), WAIT);
            JsonNode page = awaitDeadLetters(r, 1);
            JsonNode letter = page.path("deadLetters").get(0);
            assertThat(letter.path("repository").asText()).isEqualTo("lib/app");
            assertThat(letter.path("error").asText()).isEqualTo("HTTP 500");
            assertThat(letter.path("failures").asInt()).isEqualTo(1);
            assertThat(letter.path("event").path("target").path("digest").asText()).isEqualTo(blob.toString());
            JsonNode status = JSON.readTree(r.send("GET", "/lading/v1/notifications", null).body());
            assertThat(status.path("endpoints").get(0).path("deadLetters").asLong()).isEqualTo(1);
            assertThat(status.path("endpoints").get(0).path("backlog").asLong()).isZero();
            int before = receiver.requests().size();
            Thread.sleep(300);
            assertThat(receiver.requests()).hasSize(before); // a dead letter is not retried

            receiver.respond(x -> EventReceiver.Reply.of(202));
            HttpResponse<byte[]> replay = r.send("POST", "/lading/v1/notifications/hook/deadletters/replay", null);
            assertThat(replay.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(replay.body()).path("replayed").asInt()).isEqualTo(1);
            receiver.await(rs -> receiver.deliveredEvents().size() == 1, WAIT);
            assertThat(receiver.deliveredEvents().get(0).path("id").asText())
                    .isEqualTo(letter.path("event").path("id").asText());
            assertThat(JSON.readTree(r.send("GET", "/lading/v1/notifications/hook/deadletters", null).body())
                    .path("deadLetters")).isEmpty();
            assertThat(r.send("GET", "/lading/v1/notifications/nope/deadletters", null).statusCode()).isEqualTo(404);
            assertThat(r.send("GET", "/lading/v1/notifications/hook/deadletters?n=0", null).statusCode())
                    .isEqualTo(400);
        }
    }

    private static JsonNode awaitDeadLetters(TestRegistry r, int n) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            JsonNode page = JSON.readTree(r.send("GET", "/lading/v1/notifications/hook/deadletters", null).body());
            if (page.path("deadLetters").size() >= n || System.nanoTime() > deadline) {
                assertThat(page.path("deadLetters")).hasSize(n);
                return page;
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aReceiverDownForAWhileGetsEveryEventOnceItIsUp() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        URI url = URI.create("http://127.0.0.1:" + port + "/events");
        try (TestRegistry r = registry(List.of(endpoint(url)))) {
            List<Digest> pushed = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                pushed.add(pushImage(r, "repo" + (i % 3), "t" + i, "down" + i));
            }
            Thread.sleep(300); // several failed attempts (connection refused) meanwhile
            assertThat(r.notifier.status().get(0).consecutiveFailures()).isPositive();
            try (EventReceiver receiver = new EventReceiver(port)) {
                receiver.await(rs -> receiver.deliveredEvents().size() == 30, WAIT);
                List<String> manifests = receiver.deliveredEvents().stream()
                        .filter(e -> e.path("target").has("tag")).map(e -> e.path("target").path("digest").asText())
                        .toList();
                assertThat(manifests).containsExactlyInAnyOrderElementsOf(pushed.stream().map(Digest::toString).toList());
            }
        }
    }

    @Test
    void eventsRecordedWhileTheReceiverIsDownSurviveARestart(@TempDir Path dir) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        URI url = URI.create("http://127.0.0.1:" + port + "/events");
        Path db = dir.resolve("metadata.db");
        Digest pushed;
        try (TestRegistry r = new TestRegistry(RegistryOptions.defaults(), null, SqliteMetadataStore.open(db),
                List.of(endpoint(url)))) {
            pushed = pushImage(r, "lib/app", "v1", "restart");
        }
        try (EventReceiver receiver = new EventReceiver(port);
             TestRegistry r = new TestRegistry(RegistryOptions.defaults(), null, SqliteMetadataStore.open(db),
                     List.of(endpoint(url)))) {
            receiver.await(rs -> receiver.deliveredEvents().size() == 3, WAIT);
            assertThat(receiver.deliveredEvents().get(2).path("target").path("digest").asText())
                    .isEqualTo(pushed.toString());
        }
    }

    @Test
    void cloudEventsCarryTheDistributionEventAsData() throws Exception {
        try (EventReceiver receiver = new EventReceiver(); TestRegistry r = registry(List.of(endpoint("ce",
                receiver.url(), Endpoint.Format.CLOUDEVENTS, 1, Duration.ofHours(1), Set.of(), Set.of())))) {
            Digest blob = r.pushBlob("lib/app", "ce".getBytes(StandardCharsets.UTF_8));
            EventReceiver.Received got = receiver.await(rs -> !rs.isEmpty(), WAIT).get(0);
            assertThat(got.contentType()).startsWith("application/cloudevents+json");
            JsonNode ce = got.json();
            assertThat(ce.path("specversion").asText()).isEqualTo("1.0");
            assertThat(ce.path("type").asText()).isEqualTo("io.lading.registry.push");
            assertThat(ce.path("subject").asText()).isEqualTo("lib/app");
            assertThat(ce.path("source").asText()).isEqualTo("/lading/test:5000");
            assertThat(ce.path("id").asText()).isEqualTo(ce.path("data").path("id").asText());
            assertThat(ce.path("data").path("target").path("digest").asText()).isEqualTo(blob.toString());
        }
    }

    @Test
    void ignoredMediaTypesAndActionsAreNotSentToThatEndpoint() throws Exception {
        try (EventReceiver all = new EventReceiver(); EventReceiver picky = new EventReceiver();
             TestRegistry r = registry(List.of(
                     endpoint("all", all.url(), Endpoint.Format.DISTRIBUTION, 16, Duration.ofHours(1), Set.of(),
                             Set.of()),
                     endpoint("picky", picky.url(), Endpoint.Format.DISTRIBUTION, 16, Duration.ofHours(1),
                             Set.of("application/octet-stream"), Set.of("pull"))))) {
            pushImage(r, "lib/app", "v1", "ignore");
            r.send("GET", "/v2/lib/app/manifests/v1", null, "Accept", Manifests.OCI_MANIFEST);
            all.await(rs -> all.deliveredEvents().size() == 4, WAIT);
            picky.await(rs -> picky.deliveredEvents().size() == 1, WAIT);
            Thread.sleep(200);
            assertThat(summary(picky.deliveredEvents())).containsExactly("push lib/app v1");
        }
    }

    @Test
    void aMountIsAnEventNamingWhereTheBlobCameFrom() throws Exception {
        try (EventReceiver receiver = new EventReceiver(); TestRegistry r = registry(List.of(endpoint(receiver.url())))) {
            Digest blob = r.pushBlob("src/app", "shared".getBytes(StandardCharsets.UTF_8));
            assertThat(r.send("POST", "/v2/dst/app/blobs/uploads/?mount=" + blob + "&from=src/app", null).statusCode())
                    .isEqualTo(201);
            receiver.await(rs -> receiver.deliveredEvents().size() == 2, WAIT);
            JsonNode mount = receiver.deliveredEvents().get(1);
            assertThat(mount.path("action").asText()).isEqualTo("mount");
            assertThat(mount.path("target").path("repository").asText()).isEqualTo("dst/app");
            assertThat(mount.path("target").path("fromRepository").asText()).isEqualTo("src/app");
        }
    }
}
