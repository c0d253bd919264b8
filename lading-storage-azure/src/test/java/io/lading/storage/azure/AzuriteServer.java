package io.lading.storage.azure;

import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.common.StorageSharedKeyCredential;
import io.lading.storage.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

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
    private final Path keystore;

    private AzuriteServer(Process process, URI serviceUrl, Path keystore) {
        this.process = process;
        this.serviceUrl = serviceUrl;
        this.keystore = keystore;
    }

    /** Starts azurite-blob on http and waits until it answers. */
    public static AzuriteServer start() throws IOException, InterruptedException {
        return start(false);
    }

    /**
     * Starts azurite-blob on https, with a self-signed certificate for 127.0.0.1 ({@link #sslContext()} trusts it),
     * accepting OAuth bearer tokens (Azurite checks their issuer, audience and times, not their signature; see
     * {@link #token()}) and user delegation keys and SAS.
     */
    public static AzuriteServer startOAuth() throws IOException, InterruptedException {
        return start(true);
    }

    private static AzuriteServer start(boolean oauth) throws IOException, InterruptedException {
        String program = System.getenv().getOrDefault("AZURITE_BLOB", "azurite-blob");
        int port = ServerProcess.freePort();
        Path dir = Files.createTempDirectory("azurite");
        Path log = dir.resolve("azurite.log");
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(program, "--inMemoryPersistence",
                "--blobHost", "127.0.0.1", "--blobPort", String.valueOf(port), "--skipApiVersionCheck", "--silent"));
        Path keystore = null;
        if (oauth) {
            keystore = ServerProcess.keyStore(dir.resolve("azurite.pfx"), "azurite", java.util.List.of("-keyalg",
                    "RSA", "-keysize", "2048", "-dname", "CN=127.0.0.1", "-ext", "SAN=IP:127.0.0.1"));
            command.addAll(java.util.List.of("--cert", keystore.toString(), "--pwd", "changeit", "--oauth", "basic"));
        }
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new IOException(program + " cannot be run (.ci/run installs it: npm install -g azurite@3.35.0)", e);
        }
        ServerProcess.awaitPort(p, port, log, "Azurite");
        return new AzuriteServer(p, URI.create((oauth ? "https" : "http") + "://127.0.0.1:" + port + "/" + ACCOUNT),
                keystore);
    }

    /** The blob service's URL: {@code http(s)://127.0.0.1:<port>/devstoreaccount1}, path-style. */
    public URI serviceUrl() {
        return serviceUrl;
    }

    /** Creates a container. */
    public void createContainer(String name) {
        new BlobServiceClientBuilder().endpoint(serviceUrl.toString()).httpClient(
                new com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder(httpClient()).build())
                .credential(new StorageSharedKeyCredential(ACCOUNT, KEY)).buildClient().createBlobContainer(name);
    }

    /** A JDK HTTP client builder that trusts this server (on https, its self-signed certificate only). */
    public java.net.http.HttpClient.Builder httpClient() {
        java.net.http.HttpClient.Builder b = java.net.http.HttpClient.newBuilder();
        return keystore == null ? b : b.sslContext(sslContext());
    }

    /** An SSL context trusting the certificate of a server started with {@link #startOAuth()}. */
    public javax.net.ssl.SSLContext sslContext() {
        try {
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            try (var in = Files.newInputStream(keystore)) {
                ks.load(in, "changeit".toCharArray());
            }
            java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("azurite", ks.getCertificate("azurite"));
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A bearer token as Azurite's basic OAuth accepts it: a JWT from Microsoft Entra's issuer for Azure Storage,
     * valid for an hour, unsigned (Azurite does not check signatures).
     */
    public static com.azure.core.credential.TokenCredential token() {
        return request -> {
            long now = System.currentTimeMillis() / 1000;
            java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
            String header = b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes());
            String claims = b64.encodeToString(("{\"aud\":\"https://storage.azure.com\",\"iss\":"
                    + "\"https://sts.windows.net/ab1f708d-50f6-404c-a006-d71b2ac7a606/\",\"iat\":" + now + ",\"nbf\":"
                    + now + ",\"exp\":" + (now + 3600) + ",\"oid\":\"23657296-5cd5-45b0-a809-d972a7f4dfe1\","
                    + "\"tid\":\"ab1f708d-50f6-404c-a006-d71b2ac7a606\"}").getBytes());
            String jwt = header + "." + claims + "." + b64.encodeToString("unsigned".getBytes());
            return reactor.core.publisher.Mono.just(new com.azure.core.credential.AccessToken(jwt,
                    java.time.OffsetDateTime.now().plusHours(1)));
        };
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
        ServerProcess.stop(process);
    }
}
