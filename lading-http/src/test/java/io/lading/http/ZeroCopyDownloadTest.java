package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.core.Digest;
import io.lading.storage.FileSystemDriver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Blob GETs from the filesystem driver over plain HTTP go out with sendfile ({@link ZeroCopyEndPoint}): the bytes
 * arrive intact, whole or by range, to fast and slow readers, and the connection stays usable afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ZeroCopyDownloadTest {
    @TempDir
    static Path dir;
    private TestRegistry reg;

    @BeforeAll
    void start() throws Exception {
        reg = new TestRegistry(null, new FileSystemDriver(dir));
    }

    @AfterAll
    void stop() throws Exception {
        reg.close();
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    @Test
    void aLargeBlobIsSentWithSendfileAndArrivesIntact() throws Exception {
        byte[] content = random(3 << 20);
        Digest d = reg.pushBlob("zero-copy/whole", content);
        long before = reg.server.zeroCopyBytes();
        HttpResponse<byte[]> r = reg.send("GET", "/v2/zero-copy/whole/blobs/" + d, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValueAsLong("Content-Length")).hasValue(content.length);
        assertThat(r.body()).isEqualTo(content);
        assertThat(reg.zeroCopyBytesReaching(before + content.length) - before).isEqualTo(content.length);
    }

    @Test
    void aRangeIsSentFromItsOffset() throws Exception {
        byte[] content = random((2 << 20) + 17);
        Digest d = reg.pushBlob("zero-copy/range", content);
        long before = reg.server.zeroCopyBytes();
        HttpResponse<byte[]> r = reg.send("GET", "/v2/zero-copy/range/blobs/" + d, null, "Range",
                "bytes=1001-2000000");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes 1001-2000000/" + content.length);
        assertThat(r.body()).isEqualTo(Arrays.copyOfRange(content, 1001, 2000001));
        assertThat(reg.zeroCopyBytesReaching(before + 2000000 - 1001 + 1) - before).isEqualTo(2000000 - 1001 + 1);
    }

    @Test
    void smallBlobsAreCopied() throws Exception {
        byte[] content = random(1000);
        Digest d = reg.pushBlob("zero-copy/small", content);
        long before = reg.server.zeroCopyBytes();
        HttpResponse<byte[]> r = reg.send("GET", "/v2/zero-copy/small/blobs/" + d, null);
        assertThat(r.body()).isEqualTo(content);
        assertThat(reg.server.zeroCopyBytes()).isEqualTo(before);
    }

    /**
     * A reader that waits before reading lets the socket's buffers fill, so sendfile sends part of the body, Jetty
     * waits for the socket to drain and flushes the rest later. Every byte arrives, in order, and the next request
     * on the same connection is answered.
     */
    @Test
    void aSlowReaderGetsEveryByteAndKeepsItsConnection() throws Exception {
        byte[] content = random(8 << 20);
        Digest d = reg.pushBlob("zero-copy/slow", content);
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(16 * 1024);
            s.connect(new java.net.InetSocketAddress("127.0.0.1", reg.server.port()));
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(("GET /v2/zero-copy/slow/blobs/" + d + " HTTP/1.1\r\nHost: x\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(300);
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 200");
            assertThat(head).containsIgnoringCase("Content-Length: " + content.length);
            byte[] body = new byte[content.length];
            int got = 0;
            while (got < body.length) {
                int n = in.read(body, got, Math.min(4096, body.length - got));
                assertThat(n).isPositive();
                got += n;
                if (got % (1 << 20) < 4096) {
                    Thread.sleep(5); // stay slower than the server for a while
                }
            }
            assertThat(body).isEqualTo(content);

            out.write("GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(readHead(in)).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void aClientLeavingMidDownloadDoesNotDisturbTheNext() throws Exception {
        byte[] content = random(16 << 20);
        Digest d = reg.pushBlob("zero-copy/leave", content);
        try (Socket s = new Socket("127.0.0.1", reg.server.port())) {
            s.getOutputStream().write(("GET /v2/zero-copy/leave/blobs/" + d + " HTTP/1.1\r\nHost: x\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            readHead(in);
            assertThat(in.readNBytes(64 * 1024)).hasSize(64 * 1024);
        }
        HttpResponse<byte[]> r = reg.send("GET", "/v2/zero-copy/leave/blobs/" + d, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(content);
    }

    /** Reads a response's status line and headers, up to the empty line. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the response head: " + head);
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }
}
