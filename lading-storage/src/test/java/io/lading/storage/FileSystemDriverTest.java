package io.lading.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract with direct I/O on (the default): large files are written and read with O_DIRECT. */
class FileSystemDriverTest extends StorageDriverContract {
    @TempDir
    Path root;

    @Override
    protected StorageDriver create() throws Exception {
        return new FileSystemDriver(root, true);
    }

    @Test
    void largeFilesBypassThePageCacheAndSmallOnesDoNot() throws Exception {
        FileSystemDriver fs = new FileSystemDriver(root, true);
        try (StorageDriver.FileWriter w = fs.writer("/large", 0, FileSystemDriver.DIRECT_MIN)) {
            assumeThat(w instanceof PipelinedFileWriter d && d.direct()).as("O_DIRECT supported here").isTrue();
            w.write(ByteBuffer.allocate((int) FileSystemDriver.DIRECT_MIN));
            w.commit();
        }
        try (StorageDriver.FileWriter w = fs.writer("/small", 0, 1000)) {
            assertThat(w).isNotInstanceOf(PipelinedFileWriter.class);
            w.write(ByteBuffer.allocate(1000));
            w.commit();
        }
        try (ReadableByteChannel large = fs.reader("/large", 5); ReadableByteChannel small = fs.reader("/small", 5)) {
            assertThat(large).isInstanceOf(DirectFileReader.class);
            assertThat(small).isNotInstanceOf(DirectFileReader.class);
        }
    }

    @Test
    void aRootWhereODirectDoesNotWorkIsUsedThroughThePageCache() throws Exception {
        FileSystemDriver fs = new FileSystemDriver(root, true, true,
                dir -> java.util.Optional.of("refused in this test"));
        try (StorageDriver.FileWriter w = fs.writer("/large", 0, FileSystemDriver.DIRECT_MIN)) {
            assertThat(w instanceof PipelinedFileWriter d && d.direct()).isFalse();
            w.write(ByteBuffer.allocate((int) FileSystemDriver.DIRECT_MIN));
            w.commit();
        }
        try (ReadableByteChannel r = fs.reader("/large", 0)) {
            assertThat(r).isNotInstanceOf(DirectFileReader.class);
        }
    }

    @Test
    void theProbeOfODirectLeavesNothingAndSaysWhatFails() throws Exception {
        Path dir = java.nio.file.Files.createDirectory(root.resolve("probed"));
        java.util.Optional<String> here = DirectChannel.probe(dir, PipelinedFileWriter.STAGE_SIZE);
        try (var left = java.nio.file.Files.list(dir)) {
            assertThat(left).as("the probe's file is deleted").isEmpty();
        }
        assumeThat(here).as("O_DIRECT supported here").isEmpty();
        assertThat(DirectChannel.probe(dir, 3)).hasValueSatisfying(why -> assertThat(why).contains("block size"));
        Path file = java.nio.file.Files.writeString(root.resolve("not-a-directory"), "x");
        assertThat(DirectChannel.probe(file, PipelinedFileWriter.STAGE_SIZE)).isPresent();
    }

    @Test
    void directReadsLendTheirChunksFromTheOffsetToTheEnd() throws Exception {
        FileSystemDriver fs = new FileSystemDriver(root, true);
        byte[] content = new byte[(int) FileSystemDriver.DIRECT_MIN + 777];
        new java.util.Random(9).nextBytes(content);
        try (StorageDriver.FileWriter w = fs.writer("/large", 0, content.length)) {
            w.write(ByteBuffer.wrap(content));
            w.commit();
        }
        int offset = DirectFileReader.CHUNK - 5; // not block-aligned: the first chunk starts before it
        try (ReadableByteChannel r = fs.reader("/large", offset)) {
            assumeThat(r).as("O_DIRECT supported here").isInstanceOf(LendingChannel.class);
            LendingChannel lending = (LendingChannel) r;
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            java.util.List<Integer> sizes = new java.util.ArrayList<>();
            for (ByteBuffer lent; (lent = lending.lend(700_000)) != null; ) {
                sizes.add(lent.remaining());
                byte[] part = new byte[lent.remaining()];
                lent.get(part);
                got.write(part);
            }
            assertThat(got.toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(content, offset, content.length));
            assertThat(sizes).allMatch(n -> n > 0 && n <= 700_000);
            assertThat(lending.lend(10)).isNull();
        }
    }

    @Test
    void asManyLargeUploadsAtOnceAreWrittenDirectlyAsLargePullsAreRead() throws Exception {
        FileSystemDriver fs = new FileSystemDriver(root, true);
        List<StorageDriver.FileWriter> open = new ArrayList<>();
        try {
            for (int i = 0; i < DirectFileReader.MAX_OPEN; i++) {
                open.add(fs.writer("/upload" + i, 0, FileSystemDriver.DIRECT_MIN));
            }
            assumeThat(open.get(0) instanceof PipelinedFileWriter d && d.direct()).as("O_DIRECT here").isTrue();
            assertThat(open).allMatch(w -> w instanceof PipelinedFileWriter d && d.direct());
        } finally {
            for (StorageDriver.FileWriter w : open) {
                w.close();
            }
        }
    }

    @Test
    void readsPastTheBoundOfDirectReadersGoThroughThePageCache() throws Exception {
        FileSystemDriver fs = new FileSystemDriver(root, true);
        byte[] content = writtenDirectly(fs, (int) FileSystemDriver.DIRECT_MIN + 4321, 5);
        java.util.List<ReadableByteChannel> open = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < DirectFileReader.MAX_OPEN; i++) {
                open.add(fs.reader("/large", 0));
            }
            assertThat(open).allMatch(DirectFileReader.class::isInstance);
            try (ReadableByteChannel past = fs.reader("/large", 3);
                 ReadableByteChannel check = fs.uncachedReader("/large")) {
                assertThat(past).isNotInstanceOf(DirectFileReader.class);
                assertThat(java.nio.channels.Channels.newInputStream(past).readAllBytes())
                        .isEqualTo(java.util.Arrays.copyOfRange(content, 3, content.length));
                assertThat(check).as("a check reads what is on the device whatever pulls run")
                        .isInstanceOf(DirectFileReader.class);
                assertThat(java.nio.channels.Channels.newInputStream(check).readAllBytes()).isEqualTo(content);
            }
            open.remove(0).close();
            try (ReadableByteChannel again = fs.reader("/large", 0)) {
                assertThat(again).as("a closed reader gives its place back").isInstanceOf(DirectFileReader.class);
                assertThat(java.nio.channels.Channels.newInputStream(again).readAllBytes()).isEqualTo(content);
            }
        } finally {
            for (ReadableByteChannel r : open) {
                r.close();
            }
        }
    }

    @Test
    void fewDirectReadersReadUpToFourChunksPerCallAndManyReadTwo() throws Exception {
        FileSystemDriver fs = new FileSystemDriver(root, true);
        byte[] content = writtenDirectly(fs, 16 * DirectFileReader.CHUNK + 99, 11); // 17 chunks, the last of 99 bytes
        try (ReadableByteChannel r = fs.reader("/large", 0)) {
            assertThat(java.nio.channels.Channels.newInputStream(r).readAllBytes()).isEqualTo(content);
            // The first chunk alone, then chunks 1-2, 3-6, 7-10, 11-14 and 15-16 (the last one short), a call each.
            assertThat(((DirectFileReader) r).reads()).isEqualTo(6);
        }
        List<ReadableByteChannel> open = new ArrayList<>();
        try {
            for (int i = 1; i < DirectFileReader.FEW; i++) { // the first AHEAD of them read a group ahead
                open.add(fs.reader("/large", 0));
            }
            try (ReadableByteChannel r = fs.reader("/large", 0)) {
                assertThat(java.nio.channels.Channels.newInputStream(r).readAllBytes()).isEqualTo(content);
                // The FEW-th reader reads no group ahead, so its groups are as large as a lone reader's.
                assertThat(((DirectFileReader) r).reads()).as("FEW readers, groups of four").isEqualTo(6);
            }
            open.add(fs.reader("/large", 0));
            try (ReadableByteChannel r = fs.reader("/large", DirectFileReader.CHUNK + 3)) {
                assertThat(java.nio.channels.Channels.newInputStream(r).readAllBytes())
                        .isEqualTo(java.util.Arrays.copyOfRange(content, DirectFileReader.CHUNK + 3, content.length));
                // Past FEW readers, no extra chunks: the first, then the two chunks of its own per call.
                assertThat(((DirectFileReader) r).reads()).as("past FEW readers, two chunks per call").isEqualTo(9);
            }
            for (ReadableByteChannel r : open) { // readers that took the groups' permits still read it all
                assertThat(java.nio.channels.Channels.newInputStream(r).readAllBytes()).isEqualTo(content);
            }
        } finally {
            for (ReadableByteChannel r : open) {
                r.close();
            }
        }
    }

    /**
     * Writes {@code length} random bytes (from {@code seed}) to /large with O_DIRECT, skipping the test where the
     * file system refuses it; returns them.
     */
    private static byte[] writtenDirectly(FileSystemDriver fs, int length, long seed) throws IOException {
        byte[] content = new byte[length];
        new java.util.Random(seed).nextBytes(content);
        try (StorageDriver.FileWriter w = fs.writer("/large", 0, content.length)) {
            assumeThat(w instanceof PipelinedFileWriter d && d.direct()).as("O_DIRECT supported here").isTrue();
            w.write(ByteBuffer.wrap(content));
            w.commit();
        }
        return content;
    }

    /** A group read into adjacent buffers of the pool goes to the sender as one buffer, a write for the group. */
    @Test
    void aDirectReaderLendsEachGroupWholeWhenItsChunksLieSideBySide() throws Exception {
        FileSystemDriver fs = new FileSystemDriver(root, true);
        byte[] content = writtenDirectly(fs, 16 * DirectFileReader.CHUNK + 99, 12); // 17 chunks, the last of 99 bytes
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        List<Integer> lent = new ArrayList<>();
        try (ReadableByteChannel r = fs.reader("/large", 5)) {
            for (ByteBuffer b; (b = ((LendingChannel) r).lend(Integer.MAX_VALUE)) != null; ) {
                lent.add(b.remaining());
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                got.write(bytes);
            }
        }
        assertThat(got.toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(content, 5, content.length));
        int chunk = DirectFileReader.CHUNK;
        // The first chunk alone, then groups of two and four (a lone reader's), each lent whole.
        assertThat(lent).containsExactly(chunk - 5, 2 * chunk, 4 * chunk, 4 * chunk, 4 * chunk, chunk + 99);
    }

    /**
     * tmpfs takes O_DIRECT on newer kernels and refuses it on older ones (then the driver falls back to the page
     * cache): either way a large file round-trips.
     */
    @Test
    void largeFilesRoundTripOnTmpfsWithDirectIoOn() throws Exception {
        Path shm = Path.of("/dev/shm");
        assumeThat(java.nio.file.Files.isWritable(shm)).as("/dev/shm (tmpfs) available").isTrue();
        Path dir = java.nio.file.Files.createTempDirectory(shm, "lading-test");
        try {
            FileSystemDriver fs = new FileSystemDriver(dir, true);
            byte[] content = new byte[(int) FileSystemDriver.DIRECT_MIN + 12345];
            new java.util.Random(3).nextBytes(content);
            try (StorageDriver.FileWriter w = fs.writer("/large", 0, content.length)) {
                w.write(ByteBuffer.wrap(content));
                w.commit();
            }
            try (ReadableByteChannel r = fs.reader("/large", 7)) {
                assertThat(java.nio.channels.Channels.newInputStream(r).readAllBytes())
                        .isEqualTo(java.util.Arrays.copyOfRange(content, 7, content.length));
            }
        } finally {
            try (var files = java.nio.file.Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
