package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.registry.RegistryOptions;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A 405 lists in its Allow header the methods the resource has at that moment (RFC 9110, section 15.5.6: "MUST").
 */
class MethodNotAllowedTest {
    private static final List<String> METHODS = List.of("GET", "HEAD", "PUT", "POST", "PATCH", "DELETE");
    private static final String DIGEST = "sha256:" + "0".repeat(64);

    /**
     * For every kind of /v2 resource, each method is tried: a 405 must list exactly the methods that got anything
     * else, so the header cannot drift from what the routes do.
     */
    @Test
    void aWrongMethodIsToldTheMethodsTheResourceHas() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            String repo = "/v2/allow/app";
            for (String path : List.of("/v2/", "/v2/_catalog", repo + "/tags/list", repo + "/manifests/latest",
                    repo + "/blobs/uploads/", repo + "/blobs/uploads/" + UUID.randomUUID(), repo + "/blobs/" + DIGEST,
                    repo + "/referrers/" + DIGEST)) {
                Set<String> answered = new LinkedHashSet<>();
                Set<String> refused = new LinkedHashSet<>();
                List<String> allowHeaders = new ArrayList<>();
                for (String method : METHODS) {
                    HttpResponse<byte[]> r = reg.send(method, path, null);
                    if (r.statusCode() == 405) {
                        refused.add(method);
                        allowHeaders.add(r.headers().firstValue("Allow").orElse("(none)"));
                    } else {
                        answered.add(method);
                    }
                }
                assertThat(refused).as(path + ": some method is refused").isNotEmpty();
                for (String allow : allowHeaders) {
                    assertThat(methods(allow)).as(path + " answers " + answered + " and says Allow: " + allow)
                            .isEqualTo(answered);
                }
            }
        }
    }

    @Test
    void readOnlyModeAllowsOnlyReads() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            reg.options.readOnly().set(true);
            HttpResponse<byte[]> put = reg.send("PUT", "/v2/allow/app/manifests/latest", new byte[0]);
            assertThat(put.statusCode()).isEqualTo(405);
            assertThat(put.headers().firstValue("Allow")).hasValue("GET, HEAD");
            HttpResponse<byte[]> post = reg.send("POST", "/v2/allow/app/blobs/uploads/", null);
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(post.headers().firstValue("Allow")).as("starting an upload is all the resource does")
                    .hasValue("");
            reg.options.readOnly().set(false);
            HttpResponse<byte[]> patch = reg.send("PATCH", "/v2/allow/app/manifests/latest", new byte[0]);
            assertThat(patch.headers().firstValue("Allow")).as("writable again").hasValue("GET, HEAD, PUT, DELETE");
        }
    }

    @Test
    void disabledDeletesAreNotAllowed() throws Exception {
        try (TestRegistry reg = new TestRegistry(RegistryOptions.defaults().withDelete(false))) {
            HttpResponse<byte[]> delete = reg.send("DELETE", "/v2/allow/app/blobs/" + DIGEST, null);
            assertThat(delete.statusCode()).isEqualTo(405);
            assertThat(delete.headers().firstValue("Allow")).hasValue("GET, HEAD");
            HttpResponse<byte[]> post = reg.send("POST", "/v2/allow/app/manifests/latest", null);
            assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD, PUT");
            String upload = reg.send("POST", "/v2/allow/app/blobs/uploads/", null).headers().firstValue("Location")
                    .orElseThrow();
            HttpResponse<byte[]> head = reg.send("HEAD", upload, null);
            assertThat(head.headers().firstValue("Allow")).as("cancelling an upload deletes no content")
                    .hasValue("GET, PATCH, PUT, DELETE");
            assertThat(reg.send("DELETE", upload, null).statusCode()).isEqualTo(204);
        }
    }

    @Test
    void adminEndpointsNameTheirMethods() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            for (var expected : List.of(List.of("/lading/v1/readonly", "GET, PUT"),
                    List.of("/lading/v1/gc", "GET, POST"), List.of("/lading/v1/check", "GET, POST"),
                    List.of("/lading/v1/usage", "GET"), List.of("/lading/v1/usage/app", "GET"),
                    List.of("/lading/v1/notifications", "GET"))) {
                HttpResponse<byte[]> r = reg.send("DELETE", expected.get(0), null);
                assertThat(r.statusCode()).as(expected.get(0)).isEqualTo(405);
                assertThat(r.headers().firstValue("Allow")).as(expected.get(0)).hasValue(expected.get(1));
            }
        }
    }

    private static Set<String> methods(String allow) {
        Set<String> out = new LinkedHashSet<>();
        Arrays.stream(allow.split(",")).map(String::trim).filter(m -> !m.isEmpty()).forEach(out::add);
        return out;
    }
}
