package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.core.Digest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What survives {@code kill -9}: committed blobs and manifests, and upload sessions at their acknowledged offset. */
class RestartTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<byte[]> send(String method, String url, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void resumesUploadAfterKill9AndKeepsCommittedContent(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        int port = ServerProcess.freePort();
        String base = "http://127.0.0.1:" + port;
        byte[] content = new byte[3 * 1024 * 1024];
        new Random(7).nextBytes(content);
        Digest digest = Digest.of(Digest.Algorithm.SHA256, content);
        byte[] committed = "committed before the crash".getBytes();
        Digest committedDigest = Digest.of(Digest.Algorithm.SHA256, committed);
        String location;
        int half = content.length / 2;

        try (ServerProcess first = ServerProcess.start(port, data)) {
            assertThat(send("POST", base + "/v2/crash/test/blobs/uploads/?digest=" + committedDigest, committed)
                    .statusCode()).isEqualTo(201);
            location = send("POST", base + "/v2/crash/test/blobs/uploads/", null).headers()
                    .firstValue("Location").orElseThrow();
            HttpResponse<byte[]> patch = send("PATCH", base + location, Arrays.copyOfRange(content, 0, half),
                    "Content-Range", "0-" + (half - 1));
            assertThat(patch.statusCode()).isEqualTo(202);
            first.kill9();
        }

        try (ServerProcess second = ServerProcess.start(port, data)) {
            HttpResponse<byte[]> status = send("GET", base + location, null);
            assertThat(status.statusCode()).isEqualTo(204);
            assertThat(status.headers().firstValue("Range")).hasValue("0-" + (half - 1));
            HttpResponse<byte[]> rest = send("PATCH", base + location, Arrays.copyOfRange(content, half, content.length),
                    "Content-Range", half + "-" + (content.length - 1));
            assertThat(rest.statusCode()).isEqualTo(202);
            assertThat(send("PUT", base + location + "?digest=" + digest, null).statusCode()).isEqualTo(201);
            assertThat(send("GET", base + "/v2/crash/test/blobs/" + digest, null).body()).isEqualTo(content);
            assertThat(send("GET", base + "/v2/crash/test/blobs/" + committedDigest, null).body()).isEqualTo(committed);
        }
    }
}
