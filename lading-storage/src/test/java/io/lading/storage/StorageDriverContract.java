package io.lading.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lading.core.Digest;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The behaviour every {@link StorageDriver} must have; each driver's test extends this. */
public abstract class StorageDriverContract {
    protected StorageDriver driver;

    protected abstract StorageDriver create() throws Exception;

    @BeforeEach
    void setUp() throws Exception {
        driver = new ValidatingDriver(create());
    }

    private String read(String path, long offset) throws Exception {
        try (ReadableByteChannel ch = driver.reader(path, offset)) {
            return new String(Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private void write(String path, long offset, String text) throws Exception {
        try (StorageDriver.FileWriter w = driver.writer(path, offset)) {
            w.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
            w.commit();
        }
    }

    @Test
    void writtenFileReadsBackFromAnyOffset() throws Exception {
        write("/a/b/data", 0, "hello world");
        assertThat(read("/a/b/data", 0)).isEqualTo("hello world");
        assertThat(read("/a/b/data", 6)).isEqualTo("world");
        assertThat(read("/a/b/data", 11)).isEmpty();
        assertThat(driver.stat("/a/b/data").size()).isEqualTo(11);
    }

    /** Large enough for the filesystem driver's direct reads; offsets around block and chunk boundaries. */
    @Test
    void largeFileReadsBackFromAnyOffsetInPiecesOfAnySize() throws Exception {
        byte[] content = new byte[9 * 1024 * 1024 + 4321];
        new java.util.Random(11).nextBytes(content);
        try (StorageDriver.FileWriter w = driver.writer("/big/data", 0, content.length)) {
            w.write(ByteBuffer.wrap(content));
            w.commit();
        }
        int chunk = 1 << 20;
        for (long offset : new long[]{0, 1, 4095, 4096, 4097, chunk - 1, chunk, chunk + 7, 5L * chunk + 513,
                content.length - 1, content.length}) {
            try (ReadableByteChannel ch = driver.reader("/big/data", offset)) {
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                ByteBuffer piece = ByteBuffer.allocate(offset % 2 == 0 ? 1000 : 300_000);
                while (ch.read(piece.clear()) >= 0) {
                    out.write(piece.array(), 0, piece.position());
                }
                assertThat(out.toByteArray()).as("from offset " + offset)
                        .isEqualTo(java.util.Arrays.copyOfRange(content, (int) offset, content.length));
            }
        }
    }

    /** Sizes around the block and the direct reader's chunk, as a content check or a backup reads them. */
    @Test
    void uncachedReaderReturnsEveryByteOfFilesOfAnySize() throws Exception {
        int chunk = DirectFileReader.CHUNK;
        java.util.Random random = new java.util.Random(5);
        for (int size : new int[] {0, 1, 511, 4095, 4096, 4097, chunk - 1, chunk, chunk + 1, 3 * chunk + 17}) {
            byte[] content = new byte[size];
            random.nextBytes(content);
            try (StorageDriver.FileWriter w = driver.writer("/sized/" + size, 0, size)) {
                w.write(ByteBuffer.wrap(content));
                w.commit();
            }
            try (ReadableByteChannel ch = driver.uncachedReader("/sized/" + size)) {
                assertThat(Channels.newInputStream(ch).readAllBytes()).as("%d bytes", size).isEqualTo(content);
            }
        }
    }

    /** A backup's copy: verified on the way, each piece read told to the caller, skipped when already there. */
    @Test
    void blobStoreCopiesVerifiedContentBetweenStoresAndTellsEachPieceRead() throws Exception {
        BlobStore source = new BlobStore(driver);
        BlobStore target = new BlobStore(new InMemoryDriver());
        byte[] content = new byte[3 * DirectFileReader.CHUNK + 99];
        new java.util.Random(4).nextBytes(content);
        Digest digest = Digest.of(Digest.Algorithm.SHA256, content);
        try (StorageDriver.FileWriter w = driver.writer(BlobStore.blobPath(digest), 0, content.length)) {
            w.write(ByteBuffer.wrap(content));
            w.commit();
        }
        java.util.List<Long> pieces = new java.util.ArrayList<>();
        assertThat(target.copyFrom(source, digest, pieces::add)).isTrue();
        assertThat(pieces.stream().mapToLong(Long::longValue).sum()).isEqualTo(content.length);
        try (ReadableByteChannel ch = target.open(digest, 0)) {
            assertThat(Channels.newInputStream(ch).readAllBytes()).isEqualTo(content);
        }
        assertThat(target.copyFrom(source, digest)).as("already there").isFalse();

        Digest other = Digest.of(Digest.Algorithm.SHA256, "other".getBytes(StandardCharsets.UTF_8));
        try (StorageDriver.FileWriter w = driver.writer(BlobStore.blobPath(other), 0, 5)) {
            w.write(ByteBuffer.wrap("0ther".getBytes(StandardCharsets.UTF_8)));
            w.commit();
        }
        assertThatThrownBy(() -> target.copyFrom(source, other)).isInstanceOf(ContentMismatchException.class)
                .hasMessageContaining(other + " hashes to " + Digest.of(Digest.Algorithm.SHA256,
                        "0ther".getBytes(StandardCharsets.UTF_8)));
        assertThat(target.size(other)).as("nothing of it copied").isEmpty();
        assertThat(target.driver().list("/uploads")).as("no upload left behind").isEmpty();

        // The batch path's read: whole, verified, bounded.
        assertThat(source.readVerified(digest, content.length)).isEqualTo(content);
        assertThatThrownBy(() -> source.readVerified(other, 100)).isInstanceOf(ContentMismatchException.class);
        assertThatThrownBy(() -> source.readVerified(digest, 1000)).hasMessageContaining("exceeds 1000 bytes");
        assertThatThrownBy(() -> source.readVerified(Digest.of(Digest.Algorithm.SHA256, new byte[1]), 100))
                .isInstanceOf(PathNotFoundException.class);
        target.putSmall(java.util.Map.of(other, "other".getBytes(StandardCharsets.UTF_8)));
        assertThat(target.size(other)).as("a batch of good bytes").contains(5L);
    }

    @Test
    void writerResumesAtOffsetAndDropsWhatFollowed() throws Exception {
        write("/u/data", 0, "0123456789");
        write("/u/data", 4, "xy");
        assertThat(read("/u/data", 0)).isEqualTo("0123xy");
    }

    @Test
    void resumedWritesAtUnalignedOffsetsKeepEveryByte() throws Exception {
        byte[] content = new byte[3 * 1024 * 1024 + 12345];
        new java.util.Random(7).nextBytes(content);
        // Pieces of odd sizes, each in a new writer resuming where the last commit ended, crossing block and
        // buffer boundaries; then a rewrite from an unaligned offset inside the file.
        int[] cuts = {0, 1, 4095, 4097, 70000, 1048576 + 3, 2500000, content.length};
        for (int i = 0; i + 1 < cuts.length; i++) {
            try (StorageDriver.FileWriter w = driver.writer("/big", cuts[i])) {
                int from = cuts[i];
                while (from < cuts[i + 1]) {
                    int n = Math.min(cuts[i + 1] - from, 65536 + 17);
                    w.write(ByteBuffer.wrap(content, from, n));
                    from += n;
                }
                assertThat(w.size()).isEqualTo(cuts[i + 1]);
                w.commit();
            }
        }
        assertThat(readBytes("/big")).isEqualTo(content);
        try (StorageDriver.FileWriter w = driver.writer("/big", 5000)) {
            w.write(ByteBuffer.wrap(content, 5000, 100));
            w.commit();
        }
        assertThat(readBytes("/big")).isEqualTo(java.util.Arrays.copyOf(content, 5100));
        assertThat(driver.stat("/big").size()).isEqualTo(5100);
    }

    private byte[] readBytes(String path) throws Exception {
        try (ReadableByteChannel ch = driver.reader(path, 0)) {
            return Channels.newInputStream(ch).readAllBytes();
        }
    }

    @Test
    void offsetsPastTheEndAreRefused() throws Exception {
        write("/f", 0, "abc");
        assertThatThrownBy(() -> driver.reader("/f", 4)).isInstanceOf(InvalidOffsetException.class);
        assertThatThrownBy(() -> driver.writer("/f", 4)).isInstanceOf(InvalidOffsetException.class);
    }

    @Test
    void missingPathsAreReportedAsSuch() {
        assertThatThrownBy(() -> driver.reader("/nope", 0)).isInstanceOf(PathNotFoundException.class);
        assertThatThrownBy(() -> driver.uncachedReader("/nope")).isInstanceOf(PathNotFoundException.class);
        assertThatThrownBy(() -> driver.stat("/nope")).isInstanceOf(PathNotFoundException.class);
        assertThatThrownBy(() -> driver.delete("/nope")).isInstanceOf(PathNotFoundException.class);
        assertThatThrownBy(() -> driver.move("/nope", "/x")).isInstanceOf(PathNotFoundException.class);
    }

    @Test
    void moveReplacesDestinationAndDeleteIsRecursive() throws Exception {
        write("/s/data", 0, "new");
        write("/d/data", 0, "old");
        driver.move("/s/data", "/d/data");
        assertThat(read("/d/data", 0)).isEqualTo("new");
        write("/tree/x/1", 0, "1");
        write("/tree/y/2", 0, "2");
        assertThat(driver.list("/tree")).containsExactlyInAnyOrder("/tree/x", "/tree/y");
        driver.delete("/tree");
        assertThatThrownBy(() -> driver.stat("/tree/x/1")).isInstanceOf(PathNotFoundException.class);
        assertThat(driver.list("/tree")).isEmpty();
    }

    @Test
    void putAllWritesEveryFileAtItsPathReplacingWhatIsThereAndLeavesNoScratch() throws Exception {
        write("/p/old/data", 0, "stale");
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int i = 0; i < 70; i++) {
            files.put("/p/" + i + "/data", ("content " + i).getBytes(StandardCharsets.UTF_8));
        }
        files.put("/p/old/data", "fresh".getBytes(StandardCharsets.UTF_8));
        driver.putAll(files, "/scratch/batch");
        for (int i = 0; i < 70; i++) {
            assertThat(read("/p/" + i + "/data", 0)).isEqualTo("content " + i);
        }
        assertThat(read("/p/old/data", 0)).isEqualTo("fresh");
        assertThat(driver.list("/scratch")).isEmpty();
    }

    /** Sizes below and above the filesystem driver's pipelined writer (two 1 MiB stages). */
    @Test
    void aWriterClosedWithoutCommitLeavesTheFileAsItWasAtItsOffset() throws Exception {
        for (int size : new int[]{1000, 5 * 1024 * 1024 + 7}) {
            byte[] content = new byte[size];
            new java.util.Random(size).nextBytes(content);
            write("/w/data", 0, "acknowledged");
            try (StorageDriver.FileWriter w = driver.writer("/w/data", 12, size)) {
                w.write(ByteBuffer.wrap(content)); // then the request fails: no commit
            }
            assertThat(read("/w/data", 0)).as("after " + size + " bytes").isEqualTo("acknowledged");
            assertThat(driver.stat("/w/data").size()).isEqualTo(12);
        }
    }

    @Test
    void cancelDiscardsTheFile() throws Exception {
        try (StorageDriver.FileWriter w = driver.writer("/c", 0)) {
            w.write(ByteBuffer.wrap(new byte[]{1, 2}));
            w.cancel();
        }
        assertThatThrownBy(() -> driver.stat("/c")).isInstanceOf(PathNotFoundException.class);
    }

    @Test
    void pathsOutsideTheGrammarAreRefused() {
        for (String bad : new String[]{"", "relative", "/a/../b", "/a/./b", "/a//b", "/a/", "/a b", "/..", "/a/%2e%2e"}) {
            assertThatThrownBy(() -> driver.stat(bad)).as(bad).isInstanceOf(InvalidStoragePathException.class);
        }
    }

    @Test
    void blobStoreCommitsOnlyVerifiedContentUnderItsDigest() throws Exception {
        BlobStore store = new BlobStore(driver);
        UUID id = UUID.randomUUID();
        byte[] content = "some layer".getBytes(StandardCharsets.UTF_8);
        Digest.Digester d = Digest.Algorithm.SHA256.digester();
        long size = store.append(id, 0, new ByteArrayInputStream(content), content.length, d);
        assertThat(size).isEqualTo(content.length);
        Digest digest = d.digest();
        assertThat(digest).isEqualTo(Digest.of(Digest.Algorithm.SHA256, content));
        assertThat(store.rehash(id, size, Digest.Algorithm.SHA256).digest()).isEqualTo(digest);
        store.commitUpload(id, digest);
        assertThat(store.size(digest)).hasValue((long) content.length);
        assertThat(BlobStore.blobPath(digest)).isEqualTo("/blobs/sha256/" + digest.hex().substring(0, 2) + "/"
                + digest.hex() + "/data");
        assertThat(driver.list("/uploads")).isEmpty();
    }

    /**
     * More large uploads at once than take the overlapped receive/hash/write path (and the filesystem driver's
     * background writer): those past the limits are copied on their own thread, and every one lands intact.
     */
    @Test
    void manyLargeUploadsAtOnceAllLandIntactWhicheverPathTheyTake() throws Exception {
        BlobStore store = new BlobStore(driver);
        int uploads = OverlappedCopy.MAX_RUNNING + PipelinedFileWriter.MAX_OPEN + 2;
        java.util.List<java.util.concurrent.Future<Digest>> results = new java.util.ArrayList<>();
        java.util.List<byte[]> contents = new java.util.ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < uploads; i++) {
                byte[] content = new byte[(int) OverlappedCopy.MIN_SIZE + 4096 * i + i];
                new java.util.Random(i).nextBytes(content);
                contents.add(content);
                long expected = i % 2 == 0 ? content.length : -1; // with and without a declared length
                results.add(pool.submit(() -> {
                    UUID id = UUID.randomUUID();
                    Digest.Digester d = Digest.Algorithm.SHA256.digester();
                    // A body that arrives in small pieces keeps every upload open while the others start.
                    java.io.InputStream body = new java.io.FilterInputStream(new ByteArrayInputStream(content)) {
                        @Override
                        public int read(byte[] b, int off, int len) throws java.io.IOException {
                            return super.read(b, off, Math.min(len, 64 * 1024));
                        }
                    };
                    assertThat(store.append(id, 0, body, expected, d)).isEqualTo(content.length);
                    Digest digest = d.digest();
                    store.commitUpload(id, digest);
                    return digest;
                }));
            }
            for (int i = 0; i < uploads; i++) {
                Digest digest = results.get(i).get();
                assertThat(digest).isEqualTo(Digest.of(Digest.Algorithm.SHA256, contents.get(i)));
                assertThat(readBytes(BlobStore.blobPath(digest))).isEqualTo(contents.get(i));
            }
        }
    }
}
