package io.lading.storage.azure;

import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real Azure Blob Storage API server for tests: Azurite's blob service ({@code azurite-blob}, which
 * {@code .ci/run} installs with npm), keeping blobs in its memory, in a process of its own, on a free port of the
 * loopback interface, with Azurite's well-known development account.
 */
public final class AzuriteServer implements AutoCloseable {
    public static final String ACCOUNT = "devstoreaccount1";
    /** Azurite's published development key (the same on every installation; not a secret). */
    public static final String KEY =
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private final Process process;
    private final URI serviceUrl;
    private final Path dir;

    private AzuriteServer(Process process, URI serviceUrl, Path dir) {
        this.process = process;
        this.serviceUrl = serviceUrl;
        this.dir = dir;
    }

    /** Starts azurite-blob and waits until it answers. */
    public static AzuriteServer start() throws IOException, InterruptedException {
        String program = System.getenv().getOrDefault("AZURITE_BLOB", "azurite-blob");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path dir = Files.createTempDirectory("azurite");
        Path log = dir.resolve("azurite.log");
        Process p;
        try {
            p = new ProcessBuilder(program, "--inMemoryPersistence", "--blobHost", "127.0.0.1", "--blobPort",
                    String.valueOf(port), "--skipApiVersionCheck", "--silent")
                    .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new IOException(program + " cannot be run (.ci/run installs it: npm install -g azurite@3.35.0)", e);
        }
        AzuriteServer server = new AzuriteServer(p, URI.create("http://127.0.0.1:" + port + "/" + ACCOUNT), dir);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (java.net.Socket ignored = new java.net.Socket("127.0.0.1", port)) {
                return server;
            } catch (IOException e) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    server.close();
                    throw new IOException("Azurite did not start; its log: " + Files.readString(log), e);
                }
                Thread.sleep(100);
            }
        }
    }

    /** The blob service's URL: {@code http://127.0.0.1:<port>/devstoreaccount1}. */
    public URI serviceUrl() {
        return serviceUrl;
    }

    /** Creates a container. */
    public void createContainer(String name) {
        new BlobServiceClientBuilder().endpoint(serviceUrl.toString())
                .credential(new StorageSharedKeyCredential(ACCOUNT, KEY)).buildClient().createBlobContainer(name);
    }

    /**
     * A config.yml {@code storage} section (top level, two-space indents) naming this server's {@code container},
     * as distribution's azure driver reads it: account name and key, this service URL, {@code root}.
     */
    public String storageSection(String container, String root) {
        return """
                storage:
                  azure:
                    accountname: %s
                    accountkey: %s
                    container: %s
                    serviceurl: %s
                    rootdirectory: /%s
                """.formatted(ACCOUNT, KEY, container, serviceUrl, root);
    }

    /** Settings for a driver on {@code container} below {@code root}, with distribution's defaults otherwise. */
    public AzureSettings settings(String container, String root) {
        return AzureSettings.of(ACCOUNT, KEY, container, serviceUrl).withRootDirectory(root);
    }

    @Override
    public void close() {
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
