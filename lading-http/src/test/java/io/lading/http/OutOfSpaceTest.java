package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lading.core.Digest;
import io.lading.metadata.MetadataException;
import io.lading.registry.RegistryOptions;
import io.lading.storage.FileSystemDriver;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk is answered 507 with the spec's error body, not 500, and leaves nothing half-written: the upload
 * stays where it was acknowledged, and the same request succeeds once there is space again. The full disk is real:
 * the upload's file is a link to Linux's {@code /dev/full}, which refuses every write with ENOSPC.
 */
class OutOfSpaceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aChunkThatFindsTheDiskFullGets507AndTheUploadResumesOnceThereIsSpace(@TempDir Path dir) throws Exception {
        Path full = Path.of("/dev/full");
        assumeThat(Files.isWritable(full)).as("/dev/full (Linux)").isTrue();
        try (TestRegistry reg = new TestRegistry(null, new FileSystemDriver(dir))) {
            // 64 KiB goes through the plain writer, 5 MiB through the pipelined one (its writes on another thread).
            for (int size : new int[]{64 * 1024, 5 * 1024 * 1024}) {
                byte[] content = new byte[size];
                new Random(size).nextBytes(content);
                HttpResponse<byte[]> started = reg.send("POST", "/v2/full/repo/blobs/uploads/", null);
                String location = started.headers().firstValue("Location").orElseThrow();
                String id = location.substring(location.lastIndexOf('/') + 1);
                Path upload = dir.resolve("uploads").resolve(id);
                Files.createDirectories(upload.getParent());
                Files.createSymbolicLink(upload, full);

                HttpResponse<byte[]> refused = reg.send("PATCH", location, content,
                        "Content-Type", "application/octet-stream");
                assertThat(refused.statusCode()).as(size + " bytes").isEqualTo(507);
                JsonNode error = JSON.readTree(refused.body()).get("errors").get(0);
                assertThat(error.get("code").asText()).isEqualTo("UNKNOWN");
                assertThat(error.get("message").asText()).contains("no space left");

                HttpResponse<byte[]> status = reg.send("GET", location, null);
                assertThat(status.statusCode()).isEqualTo(204);
                assertThat(status.headers().firstValue("Range")).hasValue("0-0");

                Files.delete(upload); // space again
                HttpResponse<byte[]> accepted = reg.send("PATCH", location, content,
                        "Content-Type", "application/octet-stream");
                assertThat(accepted.statusCode()).isEqualTo(202);
                Digest digest = Digest.of(Digest.Algorithm.SHA256, content);
                String next = accepted.headers().firstValue("Location").orElseThrow();
                assertThat(reg.send("PUT", next + (next.contains("?") ? "&" : "?") + "digest=" + digest, null)
                        .statusCode()).isEqualTo(201);
                assertThat(reg.send("GET", "/v2/full/repo/blobs/" + digest, null).body()).isEqualTo(content);
            }
        }
    }

    /**
     * The reserve is set just under the disk's real free space (512 MiB of headroom), so small pushes fit and a
     * chunk declaring 1 GiB does not: it is refused from its headers, before its body is read, and deletes still go.
     */
    @Test
    void pushesThatWouldCutIntoTheReserveGet507FromTheirHeadersAndDeletesStillWork(@TempDir Path dir)
            throws Exception {
        FileSystemDriver driver = new FileSystemDriver(dir);
        long usable = driver.usableSpace().orElseThrow();
        assumeThat(usable).as("free disk").isGreaterThan(1L << 30);
        try (TestRegistry reg = new TestRegistry(driver,
                RegistryOptions.defaults().withReserve(usable - (512L << 20)))) {
            byte[] layer = "a layer".getBytes(StandardCharsets.UTF_8);
            Digest config = reg.pushBlob("reserve/repo", "{}".getBytes(StandardCharsets.UTF_8));
            Digest blob = reg.pushBlob("reserve/repo", layer);
            String manifest = Manifests.image(config, 2, blob, layer.length);
            assertThat(reg.putManifest("reserve/repo", "v1", Manifests.OCI_MANIFEST, manifest).statusCode())
                    .isEqualTo(201);

            String location = reg.send("POST", "/v2/reserve/repo/blobs/uploads/", null).headers()
                    .firstValue("Location").orElseThrow();
            String refused = headersOnlyPatch(reg, location, 1L << 30);
            assertThat(refused).startsWith("HTTP/1.1 507").contains("lading.storage.reserve");

            assertThat(reg.send("GET", "/v2/reserve/repo/blobs/" + blob, null).body()).isEqualTo(layer);
            assertThat(reg.send("DELETE", "/v2/reserve/repo/manifests/v1", null).statusCode()).isEqualTo(202);
        }
        try (TestRegistry reg = new TestRegistry(new FileSystemDriver(dir),
                RegistryOptions.defaults().withReserve(usable + (1L << 40)))) {
            HttpResponse<byte[]> start = reg.send("POST", "/v2/reserve/other/blobs/uploads/", null);
            assertThat(start.statusCode()).isEqualTo(507);
            assertThat(JSON.readTree(start.body()).get("errors").get(0).get("message").asText())
                    .contains("lading.storage.reserve");
            assertThat(reg.send("GET", "/v2/", null).statusCode()).isEqualTo(200);
        }
    }

    /** Sends a PATCH declaring {@code length} bytes but only its headers and a first kilobyte; returns the reply. */
    private static String headersOnlyPatch(TestRegistry reg, String location, long length) throws Exception {
        java.net.URI uri = java.net.URI.create(location.startsWith("http") ? location : reg.base + location);
        try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(10_000);
            java.io.OutputStream out = socket.getOutputStream();
            out.write(("PATCH " + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())
                    + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: " + length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[1024]);
            out.flush();
            // Refused before its body was read, the request cannot leave the connection usable: the server closes
            // it after the response (BlobApiTest.anErrorBeforeTheBodyWasReadClosesTheConnectionAndSaysSo).
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aMetadataDatabaseThatCannotGrowIsAlso507() {
        ErrorResponses.Rendered r = ErrorResponses.render(new MetadataException("metadata query failed",
                new java.sql.SQLException("database or disk is full"), true), "PUT", "/v2/r/manifests/t");
        assertThat(r.status()).isEqualTo(507);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("\"UNKNOWN\"", "no space left");
        ErrorResponses.Rendered other = ErrorResponses.render(new MetadataException("metadata query failed",
                new java.sql.SQLException("disk I/O error"), false), "PUT", "/v2/r/manifests/t");
        assertThat(other.status()).isEqualTo(503);
    }
}
