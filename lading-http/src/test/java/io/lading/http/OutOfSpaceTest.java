package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lading.core.Digest;
import io.lading.metadata.MetadataException;
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
