package io.lading.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import io.lading.metadata.sqlite.SqliteMetadataStore;
import io.lading.storage.BlobStore;
import io.lading.storage.FileSystemDriver;
import io.lading.storage.InMemoryDriver;
import io.lading.storage.StorageDriver;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagedContentTest {
    private static final RepositoryName REPO = RepositoryName.of("app");

    /** Stages {@code bytes} as a push into {@link #REPO} would. */
    private static void link(StagedContent staged, byte[] bytes) {
        Digest d = Digest.of(Digest.Algorithm.SHA256, bytes);
        staged.store(d, bytes, tx -> {
            tx.linkBlob(REPO, d);
            return null;
        });
    }

    private static byte[] readAll(ReadableByteChannel ch) throws IOException {
        try (InputStream in = Channels.newInputStream(ch)) {
            return in.readAllBytes();
        }
    }

    @Test
    void stagedBytesAreReadableBeforeTheyAreWrittenAndFromStorageAfter() throws Exception {
        try (SqliteMetadataStore metadata = SqliteMetadataStore.inMemory()) {
            BlobStore blobs = new BlobStore(new InMemoryDriver());
            StagedContent staged = new StagedContent(metadata, blobs, StagedContent.Settings.DEFAULTS);
            byte[] bytes = "a small layer".getBytes(StandardCharsets.UTF_8);
            Digest d = Digest.of(Digest.Algorithm.SHA256, bytes);
            link(staged, bytes);

            assertThat(blobs.size(d)).as("not in storage yet").isEmpty();
            assertThat(metadata.<Boolean>read(tx -> tx.hasBlob(REPO, d))).isTrue();
            assertThat(staged.size(d)).hasValue((long) bytes.length);
            assertThat(staged.read(d, 1024)).isEqualTo(bytes);
            assertThat(readAll(staged.open(d, 2))).isEqualTo("small layer".getBytes(StandardCharsets.UTF_8));
            assertThat(staged.backlogBytes()).isEqualTo(bytes.length);

            assertThat(staged.writeStaged()).isEqualTo(1);
            assertThat(blobs.size(d)).hasValue((long) bytes.length);
            assertThat(blobs.readSmall(d, 1024)).isEqualTo(bytes);
            assertThat(metadata.read(tx -> tx.staging().backlog()).blobs()).isZero();
            assertThat(staged.backlogBytes()).isZero();
            assertThat(readAll(staged.open(d, 0))).isEqualTo(bytes);
        }
    }

    /**
     * Only bytes that are in storage are redirected to: not content small enough to be staged now, nor content
     * staged under a larger maxsize (before a restart that lowered it) and not written out yet.
     */
    @Test
    void onlyContentInStorageIsRedirectedTo() throws Exception {
        try (SqliteMetadataStore metadata = SqliteMetadataStore.inMemory()) {
            // A driver whose files can be fetched from a URL of their own, as S3's presigned URLs.
            BlobStore blobs = new BlobStore(new DelegatingDriver(new InMemoryDriver()) {
                @Override
                public java.util.Optional<java.net.URI> redirectUrl(String path, String method) {
                    return java.util.Optional.of(java.net.URI.create("http://bucket.example" + path));
                }
            });
            byte[] bytes = new byte[5000];
            Digest d = Digest.of(Digest.Algorithm.SHA256, bytes);
            link(new StagedContent(metadata, blobs, new StagedContent.Settings(8192, 1 << 20)), bytes);
            StagedContent lowered = new StagedContent(metadata, blobs, new StagedContent.Settings(1024, 1 << 20));
            assertThat(lowered.redirectUrl(d, bytes.length)).as("staged, not in storage").isEmpty();
            assertThat(lowered.redirectUrl(Digest.of(Digest.Algorithm.SHA256, new byte[100]), 100))
                    .as("small enough to be staged").isEmpty();
            assertThat(lowered.writeStaged()).isEqualTo(1);
            assertThat(lowered.redirectUrl(d, bytes.length)).hasValue(java.net.URI.create("http://bucket.example"
                    + BlobStore.blobPath(d)));
            Digest large = Digest.of(Digest.Algorithm.SHA256, new byte[2 << 20]);
            assertThat(lowered.redirectUrl(large, 2 << 20)).as("never staged").isPresent();
        }
    }

    @Test
    void pushesStopStagingWhileTheBacklogIsFull() throws Exception {
        try (SqliteMetadataStore metadata = SqliteMetadataStore.inMemory()) {
            StagedContent staged = new StagedContent(metadata, new BlobStore(new InMemoryDriver()),
                    new StagedContent.Settings(1024, 1000));
            assertThat(staged.accepts(1024)).isTrue();
            assertThat(staged.accepts(1025)).as("larger than maxsize").isFalse();
            link(staged, new byte[600]);
            assertThat(staged.accepts(10)).isTrue();
            link(staged, "another 600 bytes".repeat(35).getBytes(StandardCharsets.UTF_8));
            assertThat(staged.accepts(10)).as("backlog past maxbacklog").isFalse();
            staged.writeStaged();
            assertThat(staged.accepts(10)).isTrue();
        }
    }

    @Test
    void stagingTurnedOffStagesNothing() throws Exception {
        try (SqliteMetadataStore metadata = SqliteMetadataStore.inMemory()) {
            StagedContent staged = new StagedContent(metadata, new BlobStore(new InMemoryDriver()),
                    StagedContent.Settings.OFF);
            assertThat(staged.accepts(1)).isFalse();
        }
    }

    @Test
    void bytesStagedBeforeACrashAreWrittenByTheNextStart(@TempDir Path tmp) throws Exception {
        Path db = tmp.resolve("metadata.db");
        byte[] bytes = "staged, then the process died".getBytes(StandardCharsets.UTF_8);
        Digest d = Digest.of(Digest.Algorithm.SHA256, bytes);
        try (SqliteMetadataStore metadata = SqliteMetadataStore.open(db)) {
            // Never started and never closed: what a kill -9 right after the push's commit leaves.
            link(new StagedContent(metadata, new BlobStore(new FileSystemDriver(tmp.resolve("data"))),
                    StagedContent.Settings.DEFAULTS), bytes);
        }
        try (SqliteMetadataStore metadata = SqliteMetadataStore.open(db)) {
            BlobStore blobs = new BlobStore(new FileSystemDriver(tmp.resolve("data")));
            StagedContent staged = new StagedContent(metadata, blobs, StagedContent.Settings.DEFAULTS);
            assertThat(staged.backlogBytes()).isEqualTo(bytes.length);
            assertThat(staged.read(d, 1024)).isEqualTo(bytes);
            staged.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (blobs.size(d).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(blobs.readSmall(d, 1024)).isEqualTo(bytes);
            staged.close();
            assertThat(metadata.read(tx -> tx.staging().backlog()).blobs()).isZero();
        }
    }

    @Test
    void theWriterWaitsWhileARequestIsInFlightHoweverLongItLasts() throws Exception {
        try (SqliteMetadataStore metadata = SqliteMetadataStore.inMemory()) {
            BlobStore blobs = new BlobStore(new InMemoryDriver());
            StagedContent staged = new StagedContent(metadata, blobs, StagedContent.Settings.DEFAULTS);
            byte[] bytes = "pushed before a long download".getBytes(StandardCharsets.UTF_8);
            Digest d = Digest.of(Digest.Algorithm.SHA256, bytes);
            link(staged, bytes);
            staged.requestStarted(); // a download that takes a while: nothing else happens meanwhile
            staged.start();
            Thread.sleep(1000); // four times the quiet period
            assertThat(blobs.size(d)).as("not written during the download").isEmpty();
            staged.requestFinished();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (blobs.size(d).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(blobs.size(d)).as("written once the registry was quiet").hasValue((long) bytes.length);
            staged.close();
        }
    }

    @Test
    void closeWritesEverythingStagedSoStorageIsCompleteOnItsOwn() throws Exception {
        try (SqliteMetadataStore metadata = SqliteMetadataStore.inMemory()) {
            BlobStore blobs = new BlobStore(new InMemoryDriver());
            StagedContent staged = new StagedContent(metadata, blobs, StagedContent.Settings.DEFAULTS);
            staged.start();
            List<byte[]> all = new ArrayList<>();
            for (int i = 0; i < 150; i++) { // more than one batch
                byte[] b = ("blob " + i).getBytes(StandardCharsets.UTF_8);
                all.add(b);
                link(staged, b);
            }
            staged.close();
            for (byte[] b : all) {
                assertThat(blobs.size(Digest.of(Digest.Algorithm.SHA256, b))).hasValue((long) b.length);
            }
            assertThat(staged.accepts(1)).as("closed: pushes take the ordinary path").isFalse();
        }
    }

    @Test
    void theWriterPutsStagedBlobsOnDiskInDistributionsLayoutAndLeavesNoUploadBehind(@TempDir Path dir)
            throws Exception {
        try (SqliteMetadataStore metadata = SqliteMetadataStore.inMemory();
             FileSystemDriver driver = new FileSystemDriver(dir)) {
            BlobStore blobs = new BlobStore(driver);
            StagedContent staged = new StagedContent(metadata, blobs, StagedContent.Settings.DEFAULTS);
            List<byte[]> all = new ArrayList<>();
            for (int i = 0; i < 150; i++) { // more than one batch
                byte[] b = ("on disk " + i).getBytes(StandardCharsets.UTF_8);
                all.add(b);
                link(staged, b);
            }
            assertThat(staged.writeStaged()).isEqualTo(150);
            for (byte[] b : all) {
                String hex = Digest.of(Digest.Algorithm.SHA256, b).hex();
                assertThat(Files.readAllBytes(dir.resolve("blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data")))
                        .isEqualTo(b);
            }
            assertThat(driver.list("/uploads")).isEmpty();
            assertThat(metadata.read(tx -> tx.staging().backlog()).blobs()).isZero();
        }
    }

    @Test
    void aBatchThatFailsStaysStagedAndTheNextPassWritesIt() throws Exception {
        try (SqliteMetadataStore metadata = SqliteMetadataStore.inMemory()) {
            AtomicBoolean fail = new AtomicBoolean(true);
            StorageDriver failingOnce = new DelegatingDriver(new InMemoryDriver()) {
                @Override
                public void putAll(Map<String, byte[]> files, String scratch) throws IOException {
                    if (fail.getAndSet(false)) {
                        throw new IOException("device full");
                    }
                    super.putAll(files, scratch);
                }
            };
            BlobStore blobs = new BlobStore(failingOnce);
            StagedContent staged = new StagedContent(metadata, blobs, StagedContent.Settings.DEFAULTS);
            byte[] bytes = "written on the second pass".getBytes(StandardCharsets.UTF_8);
            link(staged, bytes);
            assertThatThrownBy(staged::writeStaged).hasMessage("device full");
            assertThat(metadata.read(tx -> tx.staging().backlog()).blobs()).isOne();
            assertThat(staged.read(Digest.of(Digest.Algorithm.SHA256, bytes), 1024)).isEqualTo(bytes);
            assertThat(staged.writeStaged()).isEqualTo(1);
            assertThat(blobs.size(Digest.of(Digest.Algorithm.SHA256, bytes))).hasValue((long) bytes.length);
            assertThat(metadata.read(tx -> tx.staging().backlog()).blobs()).isZero();
        }
    }

    /**
     * The collector decides to delete a staged blob while the writer is putting it in storage: the file the writer
     * made is deleted again (under the collector's protocol), so no unrecorded file is left behind.
     */
    @Test
    void aBlobCollectedWhileItIsBeingWrittenLeavesNoFileBehind() throws Exception {
        try (SqliteMetadataStore metadata = SqliteMetadataStore.inMemory()) {
            BlockingDriver driver = new BlockingDriver(new InMemoryDriver());
            BlobStore blobs = new BlobStore(driver);
            StagedContent staged = new StagedContent(metadata, blobs, StagedContent.Settings.DEFAULTS);
            byte[] bytes = "unlinked, then collected".getBytes(StandardCharsets.UTF_8);
            Digest d = Digest.of(Digest.Algorithm.SHA256, bytes);
            link(staged, bytes);

            CompletableFuture<Integer> writing = CompletableFuture.supplyAsync(() -> {
                try {
                    return staged.writeStaged();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            assertThat(driver.entered.await(10, TimeUnit.SECONDS)).isTrue();
            // A whole collection of the blob runs while the writer is inside storage.
            metadata.write(tx -> tx.unlinkBlob(REPO, d));
            assertThat(metadata.<Boolean>write(tx -> tx.markDeleting(d, Instant.now().plusSeconds(60)))).isTrue();
            blobs.deleteBlob(d);
            metadata.write(tx -> {
                tx.forgetBlob(d);
                return null;
            });
            driver.release.countDown();
            writing.get(10, TimeUnit.SECONDS);

            assertThat(blobs.size(d)).as("no orphan file").isEmpty();
            assertThat(metadata.<Boolean>read(tx -> tx.blobKnown(d))).isFalse();
            assertThat(metadata.read(tx -> tx.staging().backlog()).blobs()).isZero();
        }
    }

    /** Delegates to a driver, holding the first writer open until released. */
    private static final class BlockingDriver extends DelegatingDriver {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        BlockingDriver(StorageDriver delegate) {
            super(delegate);
        }

        @Override
        public FileWriter writer(String path, long offset) throws IOException {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new InterruptedIOException();
            }
            return super.writer(path, offset);
        }
    }

    /** Delegates every operation but {@link StorageDriver#putAll}, which keeps its default (through the others). */
    private static class DelegatingDriver implements StorageDriver {
        private final StorageDriver delegate;

        DelegatingDriver(StorageDriver delegate) {
            this.delegate = delegate;
        }

        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public ReadableByteChannel reader(String path, long offset) throws IOException {
            return delegate.reader(path, offset);
        }

        @Override
        public FileWriter writer(String path, long offset) throws IOException {
            return delegate.writer(path, offset);
        }

        @Override
        public FileInfo stat(String path) throws IOException {
            return delegate.stat(path);
        }

        @Override
        public List<String> list(String path) throws IOException {
            return delegate.list(path);
        }

        @Override
        public void move(String source, String destination) throws IOException {
            delegate.move(source, destination);
        }

        @Override
        public void delete(String path) throws IOException {
            delegate.delete(path);
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }
    }
}
