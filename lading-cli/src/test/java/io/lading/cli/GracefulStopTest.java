package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM lets a request in flight finish (http.draintimeout), then the process exits. */
class GracefulStopTest {
    /** 2 MiB, trickled in 64 KiB pieces every 50 ms (about 1.6 s in all). */
    private static final class Slow extends InputStream {
        final AtomicLong sent = new AtomicLong();
        private static final long TOTAL = 2 << 20;

        @Override
        public int read() {
            byte[] b = new byte[1];
            return read(b, 0, 1) < 0 ? -1 : b[0];
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (sent.get() == TOTAL) {
                return -1;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
            int n = (int) Math.min(Math.min(len, 64 * 1024), TOTAL - sent.get());
            sent.addAndGet(n);
            return n;
        }
    }

    @Test
    void sigtermDrainsTheUploadInFlightThenExits(@TempDir Path tmp) throws Exception {
        int port = ServerProcess.freePort();
        String base = "http://127.0.0.1:" + port;
        HttpClient http = HttpClient.newHttpClient();
        try (ServerProcess server = ServerProcess.start(port, tmp.resolve("data"))) {
            String location = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/app/blobs/uploads/"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding())
                    .headers().firstValue("Location").orElseThrow();
            Slow body = new Slow();
            CompletableFuture<HttpResponse<String>> patch = http.sendAsync(HttpRequest.newBuilder(
                            URI.create(base + location)).method("PATCH", HttpRequest.BodyPublishers.fromPublisher(
                            HttpRequest.BodyPublishers.ofInputStream(() -> body), Slow.TOTAL)).build(),
                    HttpResponse.BodyHandlers.ofString());
            while (body.sent.get() < 256 * 1024) {
                Thread.sleep(10);
            }
            server.process.destroy(); // SIGTERM, mid-request

            HttpResponse<String> r = patch.get(30, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
            assertThat(r.headers().firstValue("Range")).hasValue("0-" + (Slow.TOTAL - 1));
            assertThat(server.process.waitFor(30, TimeUnit.SECONDS)).as("the process exits after draining").isTrue();
            assertThat(Files.readString(server.log)).contains("draining in-flight requests");
        }
    }
}
