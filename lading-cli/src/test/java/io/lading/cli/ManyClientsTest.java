package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.core.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many clients at once against a server with the launcher's memory settings: each is answered, none with a 500
 * for want of memory, and the server stays up.
 */
class ManyClientsTest {
    /**
     * The JVM settings ./lading starts the server with (its default_opts: an 80 MiB heap, whose size the JVM's
     * direct memory limit follows), read from the launcher so that the test follows it.
     */
    private static final List<String> LAUNCHER_JVM = launcherJvmOptions();
    /** How long a read waits for the server: a stopped server fails the test instead of hanging it. */
    private static final int READ_TIMEOUT_MS = 30_000;
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
        against(dir, (port, sockets) -> {
            assertThat(BlobPush.monolithic(HttpClient.newHttpClient(), "http://127.0.0.1:" + port, "app", blob)
                    .statusCode()).isEqualTo(201);
            for (int i = 0; i < CLIENTS; i++) {
                OutputStream out = connect(port, sockets).getOutputStream();
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
        });
    }

    /**
     * 1 500 keep-alive connections that have each made two requests, all open at once. Jetty's parser kept a
     * cache of header lines (about 100 KiB of heap) for each connection from its second request on: the launcher's
     * heap filled at about 630 connections and the server stopped.
     */
    @Test
    void manyOpenConnectionsDoNotExhaustTheHeap(@TempDir Path dir) throws Exception {
        byte[] request = "GET /v2/ HTTP/1.1\r\nHost: lading\r\nUser-Agent: many-clients-test\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        against(dir, (port, sockets) -> {
            for (int i = 0; i < 1500; i++) {
                Socket s = connect(port, sockets);
                for (int r = 0; r < 2; r++) {
                    s.getOutputStream().write(request);
                    assertThat(headers(s.getInputStream())).as("connection " + i + ", request " + r)
                            .startsWith("HTTP/1.1 200 ");
                    assertThat(s.getInputStream().readNBytes(2)).isEqualTo("{}".getBytes(StandardCharsets.UTF_8));
                }
            }
        });
    }

    /**
     * 1 000 uploads whose clients sent a fifth of the body they announced and then nothing: each waits for bytes
     * holding its copy buffer. With 128 KiB each they filled the launcher's heap and the server stopped; now the
     * buffers shrink, and past a budget the uploads wait, while the registry goes on answering others.
     */
    @Test
    void manySlowUploadsDoNotExhaustTheHeap(@TempDir Path dir) throws Exception {
        byte[] part = new byte[200_000];
        against(dir, (port, sockets) -> {
            for (int i = 0; i < 1000; i++) {
                Socket s = connect(port, sockets);
                s.getOutputStream().write("POST /v2/slow/blobs/uploads/ HTTP/1.1\r\nHost: lading\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                String head = headers(s.getInputStream());
                assertThat(head).as("upload " + i).startsWith("HTTP/1.1 202 ");
                String location = head.lines().filter(l -> l.startsWith("Location: ")).findFirst().orElseThrow()
                        .substring("Location: ".length());
                s.getOutputStream().write(("PATCH " + location + " HTTP/1.1\r\nHost: lading\r\n"
                        + "Content-Type: application/octet-stream\r\nContent-Length: " + (1 << 20) + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().write(part);
            }
            HttpResponse<String> base = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/v2/")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(base.statusCode()).as("the registry answers others meanwhile").isEqualTo(200);
        });
    }

    /** What clients do against the server, given its port and a list to put the sockets they open in. */
    @FunctionalInterface
    private interface Clients {
        void run(int port, List<Socket> sockets) throws Exception;
    }

    /**
     * Runs {@code clients} against a fresh server with the launcher's JVM settings, closes the sockets they opened,
     * and checks that the server is still running and logged no OutOfMemoryError.
     */
    private static void against(Path dir, Clients clients) throws Exception {
        int port = ServerProcess.freePort();
        try (ServerProcess server = ServerProcess.start(LAUNCHER_JVM, port, dir.resolve("data"))) {
            List<Socket> sockets = new ArrayList<>();
            try {
                clients.run(port, sockets);
                assertThat(server.process.isAlive()).as("the server still runs").isTrue();
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
            assertThat(Files.readString(server.log)).doesNotContain("OutOfMemoryError");
        }
    }

    /** A connection to the server whose reads give up after {@link #READ_TIMEOUT_MS}, added to {@code sockets}. */
    private static Socket connect(int port, List<Socket> sockets) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(READ_TIMEOUT_MS);
        sockets.add(s);
        return s;
    }

    private static List<String> launcherJvmOptions() {
        try {
            for (String line : Files.readAllLines(Path.of("..", "lading"))) { // tests run in lading-cli/
                if (line.startsWith("default_opts=\"") && line.endsWith("\"")) {
                    return List.of(line.substring("default_opts=\"".length(), line.length() - 1).split(" "));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("../lading has no default_opts=\"...\" line");
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
