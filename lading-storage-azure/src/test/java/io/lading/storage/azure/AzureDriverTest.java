package io.lading.storage.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.Block;
import com.azure.storage.blob.models.BlockListType;
import com.azure.storage.common.StorageSharedKeyCredential;
import io.lading.storage.PathNotFoundException;
import io.lading.storage.StorageDriver;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What only the Azure driver does: block lists, signed URLs, Azure's errors; against Azurite's blob service. */
class AzureDriverTest {
    private static final int MIB = 1024 * 1024;
    private static AzuriteServer server;
    private static BlobContainerClient container;

    @BeforeAll
    static void startServer() throws Exception {
        server = AzuriteServer.start();
        server.createContainer("azure-driver");
        container = new BlobServiceClientBuilder().endpoint(server.serviceUrl().toString())
                .credential(new StorageSharedKeyCredential(AzuriteServer.ACCOUNT, AzuriteServer.KEY)).buildClient()
                .getBlobContainerClient("azure-driver");
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    /** A root of its own for each test. */
    private static String root() {
        return "t-" + UUID.randomUUID();
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void write(StorageDriver d, String path, long offset, byte[] content, long expected)
            throws IOException {
        try (StorageDriver.FileWriter w = d.writer(path, offset, expected)) {
            for (int from = 0; from < content.length; from += 100_000) {
                w.write(ByteBuffer.wrap(content, from, Math.min(100_000, content.length - from)));
            }
            w.commit();
        }
    }

    private static byte[] read(StorageDriver d, String path) throws IOException {
        try (ReadableByteChannel ch = d.reader(path, 0)) {
            return Channels.newInputStream(ch).readAllBytes();
        }
    }

    private static List<Block> committed(String blobName) {
        return container.getBlobClient(blobName).getBlockBlobClient().listBlocks(BlockListType.COMMITTED)
                .getCommittedBlocks();
    }

    /**
     * A chunked upload: each chunk is committed after the blocks the file already has, which stay as they are (the
     * earlier bytes are not sent again); a first chunk small enough for one Put Blob is staged once as a block.
     */
    @Test
    void aResumedWriteCommitsTheFilesBlocksFollowedByItsOwn() throws Exception {
        String root = root();
        try (AzureDriver d = new AzureDriver(server.settings("azure-driver", root))) {
            byte[] a = random(9 * MIB + 5, 1);
            byte[] b = random(3 * MIB, 2);
            write(d, "/uploads/u", 0, a, a.length);
            List<String> first = committed(root + "/uploads/u").stream().map(Block::getName).toList();
            assertThat(first).as("blocks of 4 MiB and the rest").hasSize(3);
            write(d, "/uploads/u", a.length, b, -1);
            List<Block> after = committed(root + "/uploads/u");
            assertThat(after.stream().map(Block::getName).toList().subList(0, 3)).isEqualTo(first);
            assertThat(after.stream().mapToLong(Block::getSizeLong).sum()).isEqualTo(a.length + b.length);
            assertThat(read(d, "/uploads/u")).isEqualTo(concat(a, b));

            byte[] small = random(1000, 3);
            write(d, "/uploads/v", 0, small, small.length);
            assertThat(committed(root + "/uploads/v")).as("one Put Blob").isEmpty();
            write(d, "/uploads/v", small.length, b, b.length);
            assertThat(committed(root + "/uploads/v").get(0).getSizeLong()).isEqualTo(small.length);
            assertThat(read(d, "/uploads/v")).isEqualTo(concat(small, b));

            d.move("/uploads/v", "/blobs/v");
            assertThat(read(d, "/blobs/v")).isEqualTo(concat(small, b));
            assertThatThrownBy(() -> d.stat("/uploads/v")).isInstanceOf(PathNotFoundException.class);
        }
    }

    /** Bytes past a writer's offset were never acknowledged: they are gone as soon as it opens, commit or not. */
    @Test
    void aWriterInsideTheFileCutsItAtItsOffsetEvenWithoutCommit() throws Exception {
        try (AzureDriver d = new AzureDriver(server.settings("azure-driver", root()))) {
            byte[] a = random(9 * MIB, 4);
            write(d, "/f", 0, a, a.length);
            int cut = 5 * MIB + 3; // inside the second block
            try (StorageDriver.FileWriter w = d.writer("/f", cut)) {
                w.write(ByteBuffer.wrap(new byte[100]));
            }
            assertThat(d.stat("/f").size()).isEqualTo(cut);
            assertThat(read(d, "/f")).isEqualTo(Arrays.copyOf(a, cut));

            try (StorageDriver.FileWriter w = d.writer("/new", 0)) {
                w.write(ByteBuffer.wrap(random(6 * MIB, 5)));
            }
            assertThatThrownBy(() -> d.stat("/new")).as("a new file's staged blocks are never committed")
                    .isInstanceOf(PathNotFoundException.class);
        }
    }

    @Test
    void redirectUrlsCarryASignatureAnyHttpClientCanFetch() throws Exception {
        try (AzureDriver d = new AzureDriver(server.settings("azure-driver", root()))) {
            byte[] content = random(2 * MIB, 6);
            write(d, "/blobs/x", 0, content, content.length);
            var url = d.redirectUrl("/blobs/x", "GET").orElseThrow();
            assertThat(url.getRawQuery()).contains("sig=").contains("sp=r");
            HttpResponse<byte[]> got = HttpClient.newHttpClient().send(HttpRequest.newBuilder(url).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(got.statusCode()).isEqualTo(200);
            assertThat(got.body()).isEqualTo(content);
            assertThat(d.redirectUrl("/blobs/x", "PUT")).isEmpty();
        }
        AzureSettings sasOnly = new AzureSettings(null, null, "azure-driver", "", null,
                AzureSettings.Credentials.sharedKey(), "BlobEndpoint=" + server.serviceUrl() + ";SharedAccessSignature="
                + "sv=2024-11-04&sig=x", 5, Duration.ofMillis(100), Duration.ofMinutes(20));
        try (AzureDriver d = new AzureDriver(sasOnly)) {
            assertThat(d.redirectUrl("/blobs/x", "GET")).as("a connection string without a key signs nothing")
                    .isEmpty();
        }
    }

    /**
     * Under token credentials (workload identity, a client secret) URLs are signed with a user delegation key that
     * the driver asks Azure for; Azure checks the signature. When Azure refuses the key, blobs are served here.
     */
    @Test
    void underATokenRedirectUrlsAreSignedWithAUserDelegationKey() throws Exception {
        try (AzuriteServer oauth = AzuriteServer.startOAuth()) {
            oauth.createContainer("tokens");
            AzureSettings settings = new AzureSettings(AzuriteServer.ACCOUNT, null, "tokens", "", oauth.serviceUrl(),
                    new AzureSettings.Credentials(AzureSettings.CredentialType.DEFAULT_CREDENTIALS, null, null, null),
                    null, 5, Duration.ofMillis(100), Duration.ofMinutes(20));
            assertThat(settings.signsUrls()).isTrue();
            HttpClient http = HttpClient.newBuilder().sslContext(oauth.sslContext()).build();
            try (AzureDriver d = new AzureDriver(settings, oauth.httpClient(), AzuriteServer.token())) {
                byte[] content = random(MIB, 9);
                write(d, "/blobs/x", 0, content, content.length);
                var url = d.redirectUrl("/blobs/x", "GET").orElseThrow();
                assertThat(url.getRawQuery()).as("a user delegation SAS names the key's owner").contains("skoid=")
                        .contains("sp=r");
                HttpResponse<byte[]> got = http.send(HttpRequest.newBuilder(url).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(got.statusCode()).as(url + " " + new String(got.body())).isEqualTo(200);
                assertThat(got.body()).isEqualTo(content);
                var forged = java.net.URI.create(url.toString().replaceFirst("sig=[^&]+", "sig=Zm9yZ2Vk"));
                assertThat(http.send(HttpRequest.newBuilder(forged).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode()).as("Azure checks what the key signed").isEqualTo(403);
                assertThat(d.redirectUrl("/blobs/x", "GET").orElseThrow().getRawQuery())
                        .as("the key is kept for the next URL").contains("skoid=");
            }
            com.azure.core.credential.TokenCredential refused = request -> reactor.core.publisher.Mono.just(
                    new com.azure.core.credential.AccessToken("not-a-jwt", java.time.OffsetDateTime.now()
                            .plusHours(1)));
            try (AzureDriver d = new AzureDriver(settings, oauth.httpClient(), refused)) {
                assertThat(d.redirectUrl("/blobs/x", "GET")).as("no key: the registry serves the blob").isEmpty();
            }
        }
    }

    /** A wrong key or a missing container is an error naming the status and Azure's code, never "no such file". */
    @Test
    void wrongCredentialsAndAMissingContainerAreErrorsThatSaySo() throws Exception {
        AzureSettings good = server.settings("azure-driver", root());
        AzureSettings wrongKey = new AzureSettings(good.accountName(), "d3Jvbmc=", good.container(), "",
                good.serviceUrl(), good.credentials(), null, 5, Duration.ofMillis(100), Duration.ofMinutes(20));
        try (AzureDriver d = new AzureDriver(wrongKey)) {
            assertThatThrownBy(() -> d.stat("/")).isInstanceOf(IOException.class)
                    .isNotInstanceOf(PathNotFoundException.class).hasMessageContaining("403");
        }
        try (AzureDriver d = new AzureDriver(server.settings("no-such-container", ""))) {
            assertThatThrownBy(() -> d.stat("/x")).isInstanceOf(IOException.class)
                    .isNotInstanceOf(PathNotFoundException.class).hasMessageContaining("404 ContainerNotFound");
            assertThatThrownBy(() -> d.stat("/")).hasMessageContaining("ContainerNotFound");
        }
    }

    /**
     * Writes whose blocks Azure refuses (here: the blob is leased to someone else) fail, and give their block
     * buffers back to the driver's pool, so that later writes still get them.
     */
    @Test
    void failedWritesGiveTheirBlockBuffersBack() throws Exception {
        String root = root();
        try (AzureDriver d = new AzureDriver(server.settings("azure-driver", root))) {
            write(d, "/locked", 0, new byte[] {1}, 1);
            new com.azure.storage.blob.specialized.BlobLeaseClientBuilder().blobClient(container.getBlobClient(root
                    + "/locked")).buildClient().acquireLease(-1);
            byte[] content = random(5 * AzureDriver.BLOCK + 1, 8);
            // A write waits for a buffer while none is free: if they leaked, this would wait forever. (On a thread
            // of its own: a thread of the common pool, which may be its only one, would hold up the HTTP client.)
            java.util.concurrent.FutureTask<Void> writes = new java.util.concurrent.FutureTask<>(() -> {
                try {
                    for (int i = 0; i < 6; i++) {
                        assertThatThrownBy(() -> write(d, "/locked", 0, random(5 * AzureDriver.BLOCK, 7), -1))
                                .isInstanceOf(IOException.class).hasMessageContaining("412");
                    }
                    write(d, "/ok", 0, content, -1);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, null);
            Thread.ofPlatform().daemon().start(writes);
            writes.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(read(d, "/ok")).isEqualTo(content);
        }
    }

    /**
     * A store that cannot be reached fails a request after a few quick retries (the SDK's own policy would wait 4,
     * 8 and 16 s between its tries): a registry's start, or its shutdown writing what it staged, is not held for
     * half a minute.
     */
    @Test
    void anUnreachableStoreFailsARequestWithinSeconds() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        AzureSettings unreachable = AzureSettings.of(AzuriteServer.ACCOUNT, AzuriteServer.KEY, "azure-driver",
                java.net.URI.create("http://127.0.0.1:" + closedPort + "/" + AzuriteServer.ACCOUNT));
        try (AzureDriver d = new AzureDriver(unreachable)) {
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(20), () ->
                    assertThatThrownBy(() -> d.stat("/")).isInstanceOf(IOException.class)
                            .hasMessageContaining("Azure container azure-driver"));
        }
    }

    /**
     * A request sent while the JVM stops (the registry writes what it staged then) ends: the SDK's shared executor,
     * which its HTTP client needs, is one of Lading's rather than the SDK's own, which the SDK's shutdown hook stops.
     */
    @Test
    void aRequestSentWhileTheJvmStopsEnds() throws Exception {
        Process p = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ShutdownProbe.class.getName(),
                server.serviceUrl().toString()).redirectErrorStream(true).start();
        java.util.concurrent.CompletableFuture<String> out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes());
            } catch (IOException e) {
                return e.toString();
            }
        }, r -> Thread.ofVirtual().start(r));
        boolean exited = p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly();
        }
        assertThat(exited).as("the JVM stopped; its output: " + out.getNow("")).isTrue();
        assertThat(out.get(10, java.util.concurrent.TimeUnit.SECONDS)).contains("hook done");
    }

    /** Tools such as Azure Storage Explorer create empty "folder" blobs named dir/: the directory, not a child. */
    @Test
    void folderMarkersAreNotListedAsChildren() throws Exception {
        String root = root();
        try (AzureDriver d = new AzureDriver(server.settings("azure-driver", root))) {
            write(d, "/dir/a", 0, new byte[] {1}, 1);
            container.getBlobClient(root + "/dir/").upload(BinaryData.fromBytes(new byte[0]));
            assertThat(d.list("/dir")).containsExactly("/dir/a");
            assertThat(d.list("/")).containsExactly("/dir");
            assertThat(d.stat("/dir").directory()).isTrue();
        }
    }

    private static byte[] concat(byte[]... parts) {
        int n = Arrays.stream(parts).mapToInt(p -> p.length).sum();
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }
}
