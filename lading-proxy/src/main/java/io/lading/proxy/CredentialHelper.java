package io.lading.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * proxy.exec: credentials from a Docker credential helper, the way distribution runs one. The command is run as
 * {@code COMMAND get} with the mirrored registry's URL on its standard input, and prints
 * {@code {"ServerURL": ..., "Username": ..., "Secret": ...}}. What it printed is kept for {@code lifetime}, run
 * again after that; a lifetime of 0 runs it for every request, and none keeps the first answer for good.
 */
public final class CredentialHelper implements UpstreamCredentials {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long one run of the helper may take. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Duration timeout;
    private final String command;
    private final Duration lifetime;
    private final String serverUrl;
    private final Clock clock;
    private String header;
    private Instant expires;

    /**
     * @param command   proxy.exec.command: the helper's executable (a path, or a name looked up on PATH)
     * @param lifetime  proxy.exec.lifetime, or null to run it once
     * @param serverUrl proxy.remoteurl, written to the helper's standard input
     */
    public CredentialHelper(String command, Duration lifetime, String serverUrl, Clock clock) {
        this(command, lifetime, serverUrl, clock, TIMEOUT);
    }

    CredentialHelper(String command, Duration lifetime, String serverUrl, Clock clock, Duration timeout) {
        this.timeout = timeout;
        this.command = command;
        this.lifetime = lifetime;
        this.serverUrl = serverUrl;
        this.clock = clock;
    }

    @Override
    public synchronized String basic() throws IOException {
        Instant now = clock.instant();
        if (header != null && (expires == null || now.isBefore(expires))) {
            return header;
        }
        header = run();
        expires = lifetime == null ? null : now.plus(lifetime);
        return header;
    }

    /** At most {@code max} bytes of a stream, read on another thread. */
    private static CompletableFuture<byte[]> read(java.io.InputStream in, int max) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return in.readNBytes(max);
            } catch (IOException e) {
                return new byte[0];
            }
        }, r -> Thread.ofVirtual().start(r));
    }

    private String run() throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command, "get").start();
        } catch (IOException e) {
            throw new IOException("proxy.exec.command " + command + " cannot be run: " + e.getMessage(), e);
        }
        try (OutputStream in = p.getOutputStream()) {
            in.write(serverUrl.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // The helper ended, or closed its input, without reading the URL: its exit status says what went wrong.
        }
        // Both outputs are read on their own threads, so a helper that never closes them still times out.
        CompletableFuture<byte[]> out = read(p.getInputStream(), 64 * 1024);
        CompletableFuture<byte[]> err = read(p.getErrorStream(), 4096);
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException("proxy.exec.command " + command + " did not finish in " + timeout.toSeconds()
                        + " s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running proxy.exec.command " + command, e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("proxy.exec.command " + command + " get exited with " + p.exitValue() + ": "
                    + (new String(err.join(), StandardCharsets.UTF_8) + new String(out.join(),
                    StandardCharsets.UTF_8)).strip());
        }
        JsonNode creds;
        try {
            creds = JSON.readTree(out.join());
        } catch (IOException e) {
            throw new IOException("proxy.exec.command " + command + " printed no credentials (JSON with Username"
                    + " and Secret)", e);
        }
        String username = creds == null ? "" : creds.path("Username").asText("");
        if (username.isEmpty()) {
            throw new IOException("proxy.exec.command " + command + " printed no Username");
        }
        return UpstreamCredentials.header(username, creds.path("Secret").asText(""));
    }
}
