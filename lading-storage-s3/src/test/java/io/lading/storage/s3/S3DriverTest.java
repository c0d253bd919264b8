package io.lading.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lading.storage.StorageDriver;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What only the S3 driver does: segments, parts, copies in parts, presigned URLs; against a real S3 API server. */
class S3DriverTest {
    private static final int MIB = 1024 * 1024;
    private static S3ProxyServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3ProxyServer.start();
        server.createBucket("s3-driver");
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private static S3Settings settings() {
        return server.settings("s3-driver", "t-" + UUID.randomUUID()).withChunkSize(5L * MIB);
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

    private static byte[] concat(byte[]... parts) {
        int n = Arrays.stream(parts).mapToInt(p -> p.length).sum();
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    /** A chunked push's upload: large chunks are joined by S3 itself, small ones through the driver. */
    @Test
    void anUploadWrittenInChunksBecomesOneObjectWhenMoved() throws Exception {
        for (int chunk : new int[] {6 * MIB + 1, MIB + 7}) {
            try (S3Driver d = new S3Driver(settings())) {
                byte[] a = random(chunk, 1);
                byte[] b = random(chunk, 2);
                byte[] c = random(100, 3);
                write(d, "/uploads/u", 0, a, a.length);
                write(d, "/uploads/u", a.length, b, b.length);
                write(d, "/uploads/u", a.length + b.length, c, -1);
                assertThat(d.stat("/uploads/u").size()).isEqualTo(a.length + b.length + c.length);
                assertThat(d.list("/uploads")).as("segments are not files of their own").containsExactly("/uploads/u");
                assertThat(read(d, "/uploads/u")).isEqualTo(concat(a, b, c));

                d.move("/uploads/u", "/blobs/x/data");
                assertThat(read(d, "/blobs/x/data")).as("chunks of %d bytes", chunk).isEqualTo(concat(a, b, c));
                assertThat(d.list("/uploads")).as("no segment left behind").isEmpty();
                assertThat(d.list("/blobs/x")).containsExactly("/blobs/x/data");
            }
        }
    }

    /** A chunked request body (no Content-Length) goes up in parts of chunksize from the pool. */
    @Test
    void aWriteOfUnknownLengthGoesUpInParts() throws Exception {
        try (S3Driver d = new S3Driver(settings())) {
            byte[] content = random(12 * MIB + 3, 4);
            write(d, "/blob", 0, content, -1);
            assertThat(read(d, "/blob")).isEqualTo(content);
            byte[] small = random(S3Driver.SMALL + 1, 5);
            write(d, "/small", 0, small, -1);
            assertThat(read(d, "/small")).as("one part only: a plain PUT").isEqualTo(small);
        }
    }

    /** More writes of unknown length at once than the pool has part buffers: some wait; every one lands intact. */
    @Test
    void manyWritesOfUnknownLengthShareThePartBuffers() throws Exception {
        try (S3Driver d = new S3Driver(settings());
             var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            int writers = S3Driver.PART_BUFFERS + 2;
            java.util.List<java.util.concurrent.Future<?>> running = new java.util.ArrayList<>();
            for (int i = 0; i < writers; i++) {
                int n = i;
                running.add(pool.submit(() -> {
                    byte[] content = random(12 * MIB + n, 20 + n);
                    write(d, "/w" + n, 0, content, -1);
                    assertThat(read(d, "/w" + n)).as("writer %d", n).isEqualTo(content);
                    return null;
                }));
            }
            for (var f : running) {
                f.get();
            }
        }
    }

    /** Past the largest single PUT, a write of known length streams into parts. */
    @Test
    void aWriteLargerThanOnePutStreamsIntoParts() throws Exception {
        try (S3Driver d = new S3Driver(settings(), 6L * MIB)) {
            byte[] content = random(13 * MIB + 5, 6);
            write(d, "/blob", 0, content, content.length);
            assertThat(read(d, "/blob")).isEqualTo(content);
        }
    }

    /** Objects past multipartcopythresholdsize are copied in parts (S3 copies at most 5 GiB at once). */
    @Test
    void largeObjectsAreCopiedInParts() throws Exception {
        try (S3Driver d = new S3Driver(settings().withCopyParts(5L * MIB, 5L * MIB))) {
            byte[] content = random(12 * MIB + 9, 7);
            write(d, "/from", 0, content, content.length);
            d.move("/from", "/to");
            assertThat(read(d, "/to")).isEqualTo(content);
            assertThatThrownBy(() -> d.stat("/from")).isInstanceOf(io.lading.storage.PathNotFoundException.class);
        }
    }

    @Test
    void aPresignedUrlServesTheObjectToAnHttpClient() throws Exception {
        try (S3Driver d = new S3Driver(settings())) {
            byte[] content = random(70_000, 8);
            write(d, "/blobs/sha256/ab/abc/data", 0, content, content.length);
            var url = d.redirectUrl("/blobs/sha256/ab/abc/data", "GET").orElseThrow();
            HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(url).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(content);
            assertThat(d.redirectUrl("/blobs/sha256/ab/abc/data", "HEAD")).isEmpty();
        }
    }

    /** A "folder" object that S3 consoles and tools create (a key ending in /) is no child of the directory. */
    @Test
    void folderMarkersAreNotListedAsFiles() throws Exception {
        S3Settings root = settings();
        try (S3Driver d = new S3Driver(root)) {
            write(d, "/uploads/u1", 0, random(10, 1), 10);
        }
        try (S3Driver outside = new S3Driver(root.withRootDirectory(""))) { // no path check below the driver
            outside.putAll(java.util.Map.of("/" + root.rootDirectory() + "/uploads/", new byte[0]), "/x");
        }
        try (S3Driver d = new S3Driver(root)) {
            assertThat(d.list("/uploads")).containsExactly("/uploads/u1");
        }
    }

    /** The registry's health check stats the root: answered from a listing, with or without a rootdirectory. */
    @Test
    void theRootIsADirectoryWhileTheBucketCanBeListed() throws Exception {
        for (String root : new String[] {"", "t-" + UUID.randomUUID()}) {
            try (S3Driver d = new S3Driver(server.settings("s3-driver", root))) {
                assertThat(d.stat("/").directory()).as("root '%s'", root).isTrue();
            }
        }
        try (S3Driver d = new S3Driver(server.settings("no-such-bucket", ""))) {
            assertThatThrownBy(() -> d.stat("/")).isInstanceOf(IOException.class).hasMessageContaining("NoSuchBucket");
        }
    }

    /** skipverify, as distribution's: an endpoint's self-signed certificate for another host is trusted, or not. */
    @Test
    void skipVerifyTrustsAnEndpointsCertificateWhateverItsIssuerAndHost() throws Exception {
        try (S3ProxyServer tls = S3ProxyServer.startTls()) {
            tls.createBucket("tls");
            try (S3Driver d = new S3Driver(tls.settings("tls", "").withSkipVerify(true))) {
                d.stat("/"); // lists the bucket
                byte[] content = random(2 * MIB, 9);
                write(d, "/blob", 0, content, content.length);
                assertThat(read(d, "/blob")).isEqualTo(content);
            }
            try (S3Driver d = new S3Driver(tls.settings("tls", ""))) {
                assertThatThrownBy(() -> d.stat("/")).isInstanceOf(IOException.class)
                        .hasMessageContaining("S3 bucket tls");
            }
        }
    }

    @Test
    void wrongCredentialsOrAMissingBucketAreNamedAtTheAccessCheck() {
        S3Settings wrong = S3Settings.of("s3-driver", S3ProxyServer.REGION, server.endpoint(),
                S3ProxyServer.ACCESS_KEY, "not-the-secret");
        try (S3Driver d = new S3Driver(wrong)) {
            assertThatThrownBy(() -> d.stat("/")).isInstanceOf(IOException.class).hasMessageContaining("403");
        }
        try (S3Driver d = new S3Driver(server.settings("no-such-bucket", ""))) {
            assertThatThrownBy(() -> d.stat("/")).isInstanceOf(IOException.class).hasMessageContaining("NoSuchBucket");
        }
    }
}
