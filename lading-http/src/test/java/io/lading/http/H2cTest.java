package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.core.Digest;
import io.lading.storage.FileSystemDriver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** http.h2c.enabled: HTTP/2 in clear text to clients that ask for it, HTTP/1.1 (with sendfile) to the rest. */
class H2cTest {
    private static HttpResponse<byte[]> get(String url, HttpClient.Version version) throws Exception {
        try (HttpClient c = HttpClient.newBuilder().version(version).build()) {
            return c.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
        }
    }

    @Test
    void clientsThatAskGetHttp2InClearTextAndLargeBlobsArriveIntactEitherWay(@TempDir Path dir) throws Exception {
        byte[] content = new byte[3 << 20];
        new Random(7).nextBytes(content);
        try (TestRegistry reg = TestRegistry.withH2c(new FileSystemDriver(dir))) {
            Digest d = reg.pushBlob("h2c/app", content);
            String url = reg.base + "/v2/h2c/app/blobs/" + d;

            long before = reg.server.zeroCopyBytes();
            HttpResponse<byte[]> h2 = get(url, HttpClient.Version.HTTP_2); // Upgrade: h2c on the first request
            assertThat(h2.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(h2.statusCode()).isEqualTo(200);
            assertThat(h2.body()).isEqualTo(content);
            assertThat(reg.server.zeroCopyBytes()).as("HTTP/2 frames are not sent with sendfile")
                    .isEqualTo(before);

            HttpResponse<byte[]> h1 = get(url, HttpClient.Version.HTTP_1_1);
            assertThat(h1.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
            assertThat(h1.body()).isEqualTo(content);
            assertThat(reg.zeroCopyBytesReaching(before + content.length) - before).as("HTTP/1.1 still is")
                    .isEqualTo(content.length);
        }
        try (TestRegistry plain = new TestRegistry(null, new FileSystemDriver(dir.resolve("plain")))) {
            assertThat(get(plain.base + "/v2/", HttpClient.Version.HTTP_2).version())
                    .as("without h2c a client asking for HTTP/2 stays on HTTP/1.1")
                    .isEqualTo(HttpClient.Version.HTTP_1_1);
        }
    }
}
