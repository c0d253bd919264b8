package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** What Jetty answers itself (requests it cannot parse, failures no handler answered) is in the spec's JSON shape. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MalformedRequestTest {
    private TestRegistry reg;

    @BeforeAll
    void start() throws Exception {
        reg = new TestRegistry();
    }

    @AfterAll
    void stop() throws Exception {
        reg.close();
    }

    /** Sends {@code request} as it is and reads the whole response (Jetty closes the connection after it). */
    private String[] exchange(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", reg.server.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            int end = response.indexOf("\r\n\r\n");
            return new String[]{response.substring(0, end), response.substring(end + 4)};
        }
    }

    private void assertJsonError(String request, int status, String reason) throws Exception {
        String[] response = exchange(request);
        assertThat(response[0]).as(request).startsWith("HTTP/1.1 " + status + " ")
                .containsIgnoringCase("Content-Type: application/json");
        JsonNode error = new ObjectMapper().readTree(response[1]).get("errors").get(0);
        assertThat(error.get("code").asText()).isEqualTo("UNKNOWN");
        assertThat(error.get("message").asText()).contains(reason);
    }

    @Test
    void requestsJettyCannotParseGetTheSpecsJsonErrorShape() throws Exception {
        assertJsonError("GET /v2/lib/app/blobs/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "Bad Request");
        assertJsonError("PATCH /v2/lib/app/blobs/uploads/x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\nhello",
                400, "Bad Request");
        assertJsonError("GET /v2/ HTTP/1.1\r\n\r\n", 400, "Host");
        assertJsonError("GET /v2/" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "URI Too Long");
        assertJsonError("GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n", 431,
                "Request Header Fields Too Large");
    }

    @Test
    void aFailureNoHandlerAnsweredIsA500InTheSameShapeWithoutItsMessage() throws Exception {
        Handler failing = new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                callback.failed(new IllegalStateException("internal detail that must not leak"));
                return true;
            }
        };
        try (RegistryServer server = new RegistryServer(failing, new InetSocketAddress("127.0.0.1", 0),
                Duration.ofSeconds(1))) {
            server.start();
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/v2/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                    .startsWith("application/json"));
            assertThat(r.body()).isEqualTo("{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":"
                    + "\"internal server error\",\"detail\":null}]}");
        }
    }
}
