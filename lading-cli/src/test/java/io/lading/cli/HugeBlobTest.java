package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.core.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 4 GiB blob pushed as one streamed PATCH and pulled back, against a server whose heap is capped at 256 MiB
 * ({@link ServerProcess} runs it with -Xmx256m): nothing may hold a blob in memory.
 */
class HugeBlobTest {
    private static final long SIZE = 4L << 30;
    private static final int CHUNK = 1 << 20;

    /** 4 GiB of deterministic, never-repeating bytes, hashed as they are read. */
    private static final class Generated extends InputStream {
        private final byte[] chunk = new byte[CHUNK];
        private final MessageDigest sha;
        private long produced;
        private int pos = CHUNK;

        Generated() throws Exception {
            new Random(42).nextBytes(chunk);
            sha = MessageDigest.getInstance("SHA-256");
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (produced == SIZE) {
                return -1;
            }
            if (pos == CHUNK) {
                ByteBuffer.wrap(chunk).putLong(produced); // every chunk differs
                pos = 0;
            }
            int n = (int) Math.min(Math.min(len, CHUNK - pos), SIZE - produced);
            System.arraycopy(chunk, pos, b, off, n);
            sha.update(b, off, n);
            pos += n;
            produced += n;
            return n;
        }

        Digest digest() {
            return Digest.parse("sha256:" + HexFormat.of().formatHex(sha.digest()));
        }
    }

    @Test
    void aFourGibBlobStreamsInAndOutOfAServerWithA256MibHeap(@TempDir Path tmp) throws Exception {
        int port = ServerProcess.freePort();
        String base = "http://127.0.0.1:" + port;
        HttpClient http = HttpClient.newHttpClient();
        try (ServerProcess server = ServerProcess.start(port, tmp.resolve("data"))) {
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/huge/blobs/uploads/"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            String location = post.headers().firstValue("Location").orElseThrow();
            Generated body = new Generated();
            HttpResponse<String> patch = http.send(HttpRequest.newBuilder(URI.create(base + location))
                    .method("PATCH", HttpRequest.BodyPublishers.fromPublisher(
                            HttpRequest.BodyPublishers.ofInputStream(() -> body), SIZE))
                    .header("Content-Type", "application/octet-stream").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(patch.statusCode()).as(patch.body()).isEqualTo(202);
            assertThat(patch.headers().firstValue("Range")).hasValue("0-" + (SIZE - 1));
            Digest digest = body.digest();
            String next = patch.headers().firstValue("Location").orElseThrow();
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(base + next
                    + (next.contains("?") ? "&" : "?") + "digest=" + digest))
                    .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(201);

            HttpResponse<InputStream> get = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/huge/blobs/"
                    + digest)).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(get.headers().firstValueAsLong("Content-Length")).hasValue(SIZE);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long read = 0;
            try (InputStream in = get.body()) {
                byte[] buf = new byte[CHUNK];
                for (int n; (n = in.read(buf)) > 0; ) {
                    sha.update(buf, 0, n);
                    read += n;
                }
            }
            assertThat(read).isEqualTo(SIZE);
            assertThat(Digest.parse("sha256:" + HexFormat.of().formatHex(sha.digest()))).isEqualTo(digest);
            assertThat(server.process.isAlive()).isTrue();
            System.out.println("huge blob: server peak RSS " + peakRss(server.process.pid()));
        }
    }

    private static String peakRss(long pid) {
        try {
            return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                    .filter(l -> l.startsWith("VmHWM")).findFirst().orElse("unknown").replaceAll("\\s+", " ");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
