package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.core.Digest;
import io.lading.storage.FileSystemDriver;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Blob GETs of blobs the filesystem driver reads with O_DIRECT (the default for large blobs) are written from
 * the reader's own chunks: the bytes arrive intact, whole or by a range that starts and ends inside chunks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DirectDownloadTest {
    @TempDir
    static Path dir;
    private TestRegistry reg;
    private byte[] content;
    private Digest digest;

    @BeforeAll
    void start() throws Exception {
        reg = new TestRegistry(null, new FileSystemDriver(dir, true));
        content = new byte[(int) FileSystemDriver.DIRECT_MIN + (3 << 20) + 4321];
        new Random(11).nextBytes(content);
        digest = reg.pushBlob("direct/blob", content);
    }

    @AfterAll
    void stop() throws Exception {
        reg.close();
    }

    @Test
    void aLargeBlobReadDirectlyArrivesIntact() throws Exception {
        HttpResponse<byte[]> r = reg.send("GET", "/v2/direct/blob/blobs/" + digest, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValueAsLong("Content-Length")).hasValue(content.length);
        assertThat(r.body()).isEqualTo(content);
    }

    @Test
    void aRangeAcrossChunksArrivesIntact() throws Exception {
        HttpResponse<byte[]> r = reg.send("GET", "/v2/direct/blob/blobs/" + digest, null, "Range",
                "bytes=1048000-3500000");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes 1048000-3500000/" + content.length);
        assertThat(r.body()).isEqualTo(Arrays.copyOfRange(content, 1048000, 3500001));
    }

    @Test
    void manyGetsAtOnceAllArriveIntact() throws Exception {
        int n = 12; // more than the driver's direct readers: the rest read through the page cache
        var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
        try {
            var gets = new java.util.ArrayList<java.util.concurrent.Future<HttpResponse<byte[]>>>();
            for (int i = 0; i < n; i++) {
                gets.add(pool.submit(() -> reg.send("GET", "/v2/direct/blob/blobs/" + digest, null)));
            }
            for (var g : gets) {
                assertThat(g.get().body()).isEqualTo(content);
            }
        } finally {
            pool.shutdown();
        }
    }
}
