package io.lading.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Path;
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
            assumeThat(w).as("O_DIRECT supported here").isInstanceOf(DirectFileWriter.class);
            w.write(ByteBuffer.allocate((int) FileSystemDriver.DIRECT_MIN));
            w.commit();
        }
        try (StorageDriver.FileWriter w = fs.writer("/small", 0, 1000)) {
            assertThat(w).isNotInstanceOf(DirectFileWriter.class);
            w.write(ByteBuffer.allocate(1000));
            w.commit();
        }
        try (ReadableByteChannel large = fs.reader("/large", 5); ReadableByteChannel small = fs.reader("/small", 5)) {
            assertThat(large).isInstanceOf(DirectFileReader.class);
            assertThat(small).isNotInstanceOf(DirectFileReader.class);
        }
    }
}
