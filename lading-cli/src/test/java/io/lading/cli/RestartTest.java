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

    /**
     * Small blobs and manifests are staged in the metadata store (one fsync per push) and written to storage in the
     * background: a kill -9 right after their 201s loses none of them, and the next start writes them out.
     */
    @Test
    void smallPushesSurviveKill9BeforeTheyReachStorageAndAreWrittenOutAtTheNextStart(@TempDir Path tmp)
            throws Exception {
        Path data = tmp.resolve("data");
        int port = ServerProcess.freePort();
        String base = "http://127.0.0.1:" + port;
        java.util.List<byte[]> blobs = new java.util.ArrayList<>();
        java.util.List<Digest> digests = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            byte[] b = ("small blob " + i + " ").repeat(20 + i).getBytes();
            blobs.add(b);
            digests.add(Digest.of(Digest.Algorithm.SHA256, b));
        }
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + digests.get(0) + "\",\"size\":" + blobs.get(0).length + "},\"layers\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + digests.get(1) + "\",\"size\":"
                + blobs.get(1).length + "}]}";
        Digest manifestDigest = Digest.of(Digest.Algorithm.SHA256, manifest.getBytes());

        try (ServerProcess first = ServerProcess.start(port, data)) {
            for (int i = 0; i < blobs.size(); i++) {
                String location = send("POST", base + "/v2/small/app/blobs/uploads/", null).headers()
                        .firstValue("Location").orElseThrow();
                assertThat(send("PUT", base + location + "?digest=" + digests.get(i), blobs.get(i)).statusCode())
                        .isEqualTo(201);
            }
            assertThat(send("PUT", base + "/v2/small/app/manifests/v1", manifest.getBytes(), "Content-Type",
                    "application/vnd.oci.image.manifest.v1+json").statusCode()).isEqualTo(201);
            first.kill9();
        }
        // The writer waits for pushes to pause before it writes: at the kill most of this was only staged.
        long onDisk = digests.stream().filter(d -> java.nio.file.Files.exists(blobFile(data, d))).count();
        assertThat(onDisk).as("blobs in storage at the kill").isLessThan(digests.size());

        try (ServerProcess second = ServerProcess.start(port, data)) {
            for (int i = 0; i < blobs.size(); i++) {
                assertThat(send("GET", base + "/v2/small/app/blobs/" + digests.get(i), null).body())
                        .isEqualTo(blobs.get(i));
            }
            HttpResponse<byte[]> m = send("GET", base + "/v2/small/app/manifests/v1", null, "Accept",
                    "application/vnd.oci.image.manifest.v1+json");
            assertThat(m.statusCode()).isEqualTo(200);
            assertThat(new String(m.body())).isEqualTo(manifest);
            // The writer catches up once the registry is quiet; then storage holds every blob on its own.
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while (!allStored(data, digests, manifestDigest) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(allStored(data, digests, manifestDigest)).as("every blob written to storage").isTrue();
            assertThat(java.nio.file.Files.readAllBytes(blobFile(data, manifestDigest))).isEqualTo(manifest.getBytes());
        }
    }

    private static boolean allStored(Path data, java.util.List<Digest> digests, Digest manifest) {
        return java.nio.file.Files.exists(blobFile(data, manifest))
                && digests.stream().allMatch(d -> java.nio.file.Files.exists(blobFile(data, d)));
    }

    private static Path blobFile(Path data, Digest d) {
        return data.resolve("blobs/sha256/" + d.hex().substring(0, 2) + "/" + d.hex() + "/data");
    }
}
