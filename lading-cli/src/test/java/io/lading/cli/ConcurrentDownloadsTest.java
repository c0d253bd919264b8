package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.core.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many clients downloading at once from a server with the launcher's memory settings: each is answered, none with
 * a 500 for want of buffer memory.
 */
class ConcurrentDownloadsTest {
    /** The heap settings of ./lading (its default_opts); the JVM's direct memory limit follows the heap's. */
    private static final List<String> LAUNCHER_HEAP = List.of("-XX:+UseSerialGC", "-Xmx80m");
    private static final int CLIENTS = 120;

    /**
     * {@value #CLIENTS} downloads of an 8 MiB blob, none of them read until all have started: every server-side
     * download is blocked on a full socket, holding its buffer. With a 1 MiB buffer each, the ones past about 64
     * got 500 (OutOfMemoryError: Cannot reserve direct buffer memory); now buffers shrink when many are held.
     */
    @Test
    void manyConcurrentDownloadsAreAllAnswered(@TempDir Path dir) throws Exception {
        byte[] blob = new byte[8 << 20];
        new Random(7).nextBytes(blob);
        Digest digest = Digest.of(Digest.Algorithm.SHA256, blob);
        int port = ServerProcess.freePort();
        try (ServerProcess server = ServerProcess.start(LAUNCHER_HEAP, port, dir.resolve("data"))) {
            assertThat(BlobPush.monolithic(HttpClient.newHttpClient(), "http://127.0.0.1:" + port, "app", blob)
                    .statusCode()).isEqualTo(201);
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < CLIENTS; i++) {
                    Socket s = new Socket("127.0.0.1", port);
                    sockets.add(s);
                    OutputStream out = s.getOutputStream();
                    out.write(("GET /v2/app/blobs/" + digest + " HTTP/1.1\r\nHost: lading\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                for (int i = 0; i < CLIENTS; i++) {
                    assertThat(headers(sockets.get(i).getInputStream())).as("download " + i + " of " + CLIENTS)
                            .startsWith("HTTP/1.1 200 ").contains("Content-Length: " + blob.length);
                }
                for (int i = 0; i < 3; i++) { // some read to the end: the bytes are the blob's
                    byte[] body = sockets.get(i).getInputStream().readNBytes(blob.length);
                    assertThat(Digest.of(Digest.Algorithm.SHA256, body)).isEqualTo(digest);
                }
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
            assertThat(Files.readString(server.log)).doesNotContain("OutOfMemoryError");
        }
    }

    /** The response head, up to the empty line (the body stays unread). */
    private static String headers(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed after " + head);
            }
            head.write(b);
            matched = (b == '\r' && matched % 2 == 0) || (b == '\n' && matched % 2 == 1) ? matched + 1 : 0;
        }
        return head.toString(StandardCharsets.US_ASCII);
    }
}
