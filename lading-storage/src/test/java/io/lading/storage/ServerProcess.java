package io.lading.storage;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The object store servers the driver tests run as processes of their own (S3Proxy, Azurite): a free port for
 * one, the wait until it listens, a key pair for its TLS, and its stop.
 */
public final class ServerProcess {
    private ServerProcess() {
    }

    /** A port of the loopback interface that is free now. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * Waits up to 60 s until {@code process} accepts connections on {@code port}; when it dies or does not, stops it
     * and fails with its log.
     */
    public static void awaitPort(Process process, int port, Path log, String name)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    stop(process);
                    throw new IOException(name + " did not start; its log: " + Files.readString(log), e);
                }
                Thread.sleep(100);
            }
        }
    }

    /**
     * Writes a PKCS12 key store (password changeit) with a self-signed key pair under {@code alias}, made by the
     * JDK's keytool with these {@code -genkeypair} options (key algorithm, name, extensions).
     */
    public static Path keyStore(Path file, String alias, List<String> options)
            throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
                "keytool").toString(), "-genkeypair", "-alias", alias, "-validity", "2", "-storetype", "PKCS12",
                "-keystore", file.toString(), "-storepass", "changeit"));
        command.addAll(options);
        Process keytool = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes());
        if (keytool.waitFor() != 0) {
            throw new IOException("keytool failed: " + out);
        }
        return file;
    }

    /** Stops {@code process}: asks, then after 10 s kills. */
    public static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
