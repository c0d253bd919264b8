package io.lading.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The filesystem driver with O_DIRECT off (what it falls back to on tmpfs) passes the same contract. */
class BufferedFileSystemDriverTest extends StorageDriverContract {
    @TempDir
    Path root;

    @Override
    protected StorageDriver create() throws Exception {
        return new FileSystemDriver(root, false);
    }

    /**
     * A content check or a backup reads every blob once: with direct I/O off (the default) those reads still go
     * past the page cache, which keeps what it held. The file is written with O_DIRECT, so none of it is cached
     * before; {@code isLoaded} asks the kernel (mincore) without reading a page. A read through {@code reader}
     * afterwards caches it, which shows the test can see the difference.
     */
    @Test
    void uncachedReadsLeaveThePageCacheAsItWas() throws Exception {
        FileSystemDriver fs = new FileSystemDriver(root, false);
        byte[] content = new byte[3 * DirectFileReader.CHUNK + 4096];
        new java.util.Random(9).nextBytes(content);
        Path file = root.resolve("cold");
        java.nio.file.Files.createFile(file);
        DirectChannel direct = DirectChannel.open(file, StandardOpenOption.WRITE, DirectFileReader.CHUNK);
        assumeThat(direct).as("O_DIRECT supported here").isNotNull();
        try (FileChannel out = direct.channel()) {
            ByteBuffer aligned = ByteBuffer.allocateDirect(content.length + 4096).alignedSlice(4096);
            aligned.put(content).flip();
            while (aligned.hasRemaining()) {
                out.write(aligned);
            }
        }
        assumeThat(cached(file)).as("a direct write leaves nothing cached on this file system").isFalse();

        try (ReadableByteChannel in = fs.uncachedReader("/cold")) {
            assertThat(Channels.newInputStream(in).readAllBytes()).isEqualTo(content);
        }
        assertThat(cached(file)).as("cached after an uncached read").isFalse();

        try (ReadableByteChannel in = fs.reader("/cold", 0)) {
            assertThat(Channels.newInputStream(in).readAllBytes()).isEqualTo(content);
        }
        assertThat(cached(file)).as("cached after a read through the page cache").isTrue();
    }

    private static boolean cached(Path file) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            return map.isLoaded();
        }
    }
}
