package io.lading.storage.s3;

import io.lading.storage.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 API server for tests: S3Proxy (its all-in-one jar, copied to {@code target/s3proxy/s3proxy.jar} by the
 * build), keeping objects in its memory (jclouds' "transient" store), in a process of its own, on a free port of the
 * loopback interface. (Its newer "nio2" stores list the temporary file of a PUT that was abandoned, then fail that
 * listing with a 400.)
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "lading-test";
    public static final String SECRET_KEY = "lading-test-secret";
    public static final String REGION = "us-east-1";

    private final Process process;
    private final URI endpoint;
    private final Path dir;

    private S3ProxyServer(Process process, URI endpoint, Path dir) {
        this.process = process;
        this.endpoint = endpoint;
        this.dir = dir;
    }

    /** Starts S3Proxy on http and waits until it answers. */
    public static S3ProxyServer start() throws IOException, InterruptedException {
        return start(false);
    }

    /**
     * Starts S3Proxy on https only, with a self-signed certificate for a host name that is not the endpoint's
     * (example.invalid): a client trusts it only when it verifies neither.
     */
    public static S3ProxyServer startTls() throws IOException, InterruptedException {
        return start(true);
    }

    private static S3ProxyServer start(boolean tls) throws IOException, InterruptedException {
        Path jar = Path.of("target/s3proxy/s3proxy.jar").toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: the build copies it there (maven-dependency-plugin)");
        }
        int port = ServerProcess.freePort();
        Path dir = Files.createTempDirectory("s3proxy");
        Path properties = dir.resolve("s3proxy.properties");
        URI endpoint = URI.create((tls ? "https" : "http") + "://127.0.0.1:" + port);
        String bin = Path.of(System.getProperty("java.home"), "bin").toString();
        List<String> listen = List.of("s3proxy.endpoint=" + endpoint);
        if (tls) {
            Path keystore = ServerProcess.keyStore(dir.resolve("keystore.p12"), "s3", List.of("-keyalg", "EC",
                    "-groupname", "secp256r1", "-dname", "CN=example.invalid"));
            listen = List.of("s3proxy.secure-endpoint=" + endpoint, "s3proxy.keystore-path=" + keystore,
                    "s3proxy.keystore-password=changeit");
        }
        List<String> lines = new ArrayList<>(listen);
        lines.addAll(List.of(
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=transient",
                "jclouds.identity=" + ACCESS_KEY,
                "jclouds.credential=" + SECRET_KEY, ""));
        Files.writeString(properties, String.join("\n", lines));
        Process p = new ProcessBuilder(Path.of(bin, "java").toString(), "-Xmx1g", "-jar", jar.toString(),
                "--properties", properties.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
        ServerProcess.awaitPort(p, port, dir.resolve("s3proxy.log"), "S3Proxy");
        return new S3ProxyServer(p, endpoint, dir);
    }

    public URI endpoint() {
        return endpoint;
    }

    /** Creates a bucket. */
    public void createBucket(String name) {
        try (var http = software.amazon.awssdk.http.apache5.Apache5HttpClient.builder().buildWithDefaults(
                software.amazon.awssdk.utils.AttributeMap.builder().put(
                        software.amazon.awssdk.http.SdkHttpConfigurationOption.TRUST_ALL_CERTIFICATES, true).build());
             S3Client s3 = S3Client.builder().region(Region.of(REGION)).endpointOverride(endpoint).forcePathStyle(true)
                     .httpClient(http).credentialsProvider(StaticCredentialsProvider.create(
                             AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY))).build()) {
            s3.createBucket(b -> b.bucket(name));
        }
    }

    /**
     * A config.yml {@code storage} section (top level, two-space indents) naming this server's {@code bucket}, as
     * distribution's s3 driver reads it: keys, region, this endpoint with path-style addressing, {@code root}.
     */
    public String storageSection(String bucket, String root) {
        return """
                storage:
                  s3:
                    accesskey: %s
                    secretkey: %s
                    region: %s
                    regionendpoint: %s
                    forcepathstyle: true
                    bucket: %s
                    rootdirectory: /%s
                """.formatted(ACCESS_KEY, SECRET_KEY, REGION, endpoint, bucket, root);
    }

    /** Settings for a driver on {@code bucket} below {@code root}, with distribution's defaults otherwise. */
    public S3Settings settings(String bucket, String root) {
        return S3Settings.of(bucket, REGION, endpoint, ACCESS_KEY, SECRET_KEY).withRootDirectory(root);
    }

    @Override
    public void close() {
        ServerProcess.stop(process);
    }
}
