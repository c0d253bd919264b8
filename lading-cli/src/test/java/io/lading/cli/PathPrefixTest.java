package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.lading.cli.config.ConfigLoader;
import io.lading.core.Digest;
import io.lading.http.EventReceiver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * http.prefix: a distribution config that serves the registry below a path starts Lading the same way, and a
 * client that follows the URLs the registry hands out (uploads, blobs, manifests, tag pages, event targets) stays
 * below that path.
 */
class PathPrefixTest {
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private String origin;

    private HttpResponse<String> send(String method, String path, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(origin + path)).method(method, body == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String location(HttpResponse<String> r) {
        return r.headers().firstValue("Location").orElseThrow(() -> new AssertionError("no Location: " + r));
    }

    @Test
    void theWholeApiIsServedBelowThePrefixAndTheUrlsItHandsOutStayThere(@TempDir Path tmp) throws Exception {
        try (EventReceiver receiver = new EventReceiver()) {
            Path config = Files.writeString(tmp.resolve("config.yml"), """
                    version: 0.1
                    http:
                      addr: 127.0.0.1:0
                      prefix: /my/registry/
                    storage:
                      filesystem:
                        rootdirectory: %s
                    notifications:
                      endpoints:
                        - name: hook
                          url: %s
                          timeout: 2s
                          threshold: 3
                          backoff: 50ms
                    """.formatted(tmp.resolve("data"), receiver.url()));
            try (LadingApp app = new LadingApp(ConfigLoader.load(config, Map.of(), null))) {
                app.start();
                origin = "http://127.0.0.1:" + app.port();
                String p = "/my/registry";

                HttpResponse<String> base = send("GET", p + "/v2/", null);
                assertThat(base.statusCode()).isEqualTo(200);
                assertThat(base.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");
                assertThat(send("GET", "/v2/", null).statusCode()).as("outside the prefix").isEqualTo(404);
                assertThat(send("GET", "/my/registryx/v2/", null).statusCode()).as("a longer first segment")
                        .isEqualTo(404);
                assertThat(send("GET", p, null).statusCode()).as("the prefix alone").isEqualTo(404);

                // A chunked upload, following every Location as a client does.
                byte[] layer = "a layer below a prefix".getBytes(StandardCharsets.UTF_8);
                Digest layerDigest = Digest.of(Digest.Algorithm.SHA256, layer);
                HttpResponse<String> started = send("POST", p + "/v2/app/web/blobs/uploads/", null);
                assertThat(started.statusCode()).isEqualTo(202);
                assertThat(location(started)).startsWith(p + "/v2/app/web/blobs/uploads/");
                HttpResponse<String> patched = send("PATCH", location(started), layer,
                        "Content-Type", "application/octet-stream");
                assertThat(patched.statusCode()).as(patched.body()).isEqualTo(202);
                assertThat(location(patched)).startsWith(p + "/v2/app/web/blobs/uploads/");
                HttpResponse<String> status = send("GET", location(patched), null);
                assertThat(status.statusCode()).isEqualTo(204);
                assertThat(status.headers().firstValue("Range")).hasValue("0-" + (layer.length - 1));
                HttpResponse<String> done = send("PUT", location(patched) + "?digest=" + layerDigest, null);
                assertThat(done.statusCode()).as(done.body()).isEqualTo(201);
                assertThat(location(done)).isEqualTo(p + "/v2/app/web/blobs/" + layerDigest);
                assertThat(send("GET", location(done), null).body()).isEqualTo(new String(layer,
                        StandardCharsets.UTF_8));

                byte[] configBlob = "{}".getBytes(StandardCharsets.UTF_8);
                Digest configDigest = Digest.of(Digest.Algorithm.SHA256, configBlob);
                HttpResponse<String> mono = send("POST", p + "/v2/app/web/blobs/uploads/?digest=" + configDigest,
                        configBlob);
                assertThat(mono.statusCode()).isEqualTo(201);
                assertThat(location(mono)).isEqualTo(p + "/v2/app/web/blobs/" + configDigest);

                String manifest = """
                        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
                         "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},
                         "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}
                        """.formatted(configDigest, configBlob.length, layerDigest, layer.length);
                Digest manifestDigest = Digest.of(Digest.Algorithm.SHA256, manifest.getBytes(StandardCharsets.UTF_8));
                for (String tag : List.of("a", "b", "c")) {
                    HttpResponse<String> put = send("PUT", p + "/v2/app/web/manifests/" + tag,
                            manifest.getBytes(StandardCharsets.UTF_8),
                            "Content-Type", "application/vnd.oci.image.manifest.v1+json");
                    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
                    assertThat(location(put)).isEqualTo(p + "/v2/app/web/manifests/" + manifestDigest);
                }
                assertThat(send("GET", p + "/v2/app/web/manifests/b", null).body()).isEqualTo(manifest);

                HttpResponse<String> page = send("GET", p + "/v2/app/web/tags/list?n=2", null);
                assertThat(page.body()).contains("\"a\"", "\"b\"").doesNotContain("\"c\"");
                String next = page.headers().firstValue("Link").orElseThrow();
                assertThat(next).startsWith("<" + p + "/v2/app/web/tags/list?").endsWith(">; rel=\"next\"");
                assertThat(send("GET", next.substring(1, next.indexOf('>')), null).body()).contains("\"c\"");
                HttpResponse<String> catalog = send("GET", p + "/v2/_catalog?n=1", null);
                assertThat(catalog.body()).contains("app/web");

                assertThat(send("GET", p + "/lading/v1/gc", null).statusCode()).as("the admin API moves too")
                        .isEqualTo(200);
                assertThat(send("GET", "/lading/v1/gc", null).statusCode()).isEqualTo(404);

                String expected = origin + p + "/v2/app/web/manifests/" + manifestDigest;
                receiver.await(rs -> receiver.deliveredEvents().stream().anyMatch(e -> isPushOf(e, expected)),
                        Duration.ofSeconds(20));
            }
        }
    }

    private static boolean isPushOf(JsonNode event, String url) {
        return event.path("action").asText().equals("push") && event.path("target").path("url").asText().equals(url);
    }
}
