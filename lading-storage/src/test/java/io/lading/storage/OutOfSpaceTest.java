package io.lading.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full file system, for real: Linux's {@code /dev/full} refuses every write with ENOSPC, so a file that is a
 * link to it is a file on a full disk. The JDK reports that only through the C library's message.
 */
class OutOfSpaceTest {
    @TempDir
    Path root;

    private static final Path FULL = Path.of("/dev/full");

    @Test
    void writesOnAFullDiskAreToldApartFromOtherFailures() throws Exception {
        assumeThat(Files.isWritable(FULL)).as("/dev/full (Linux)").isTrue();
        for (boolean direct : new boolean[]{false, true}) {
            FileSystemDriver fs = new FileSystemDriver(root, direct);
            for (int size : new int[]{1000, 5 * 1024 * 1024}) { // a plain writer, and a pipelined one
                Path file = root.resolve("full-" + direct + "-" + size);
                Files.createSymbolicLink(file, FULL);
                assertThatThrownBy(() -> {
                    try (StorageDriver.FileWriter w = fs.writer("/" + file.getFileName(), 0, size)) {
                        w.write(ByteBuffer.allocate(size));
                        w.commit();
                    }
                }).as("direct " + direct + ", " + size + " bytes").isInstanceOf(IOException.class)
                        .satisfies(e -> assertThat(OutOfSpace.causes(e)).as(e.toString()).isTrue());
            }
        }
    }

    @Test
    void otherFailuresAreNotOutOfSpace() {
        assertThat(OutOfSpace.causes(new IOException("Input/output error"))).isFalse();
        assertThat(OutOfSpace.causes(new FileSystemException("/x", null, "Permission denied"))).isFalse();
        assertThat(OutOfSpace.causes(new RuntimeException("wrapped", null))).isFalse();
        assertThat(OutOfSpace.causes(new UncheckedIOException(new FileSystemException("/x", null,
                "No space left on device")))).isTrue();
        assertThat(OutOfSpace.causes(new IOException("Disk quota exceeded"))).isTrue();
    }
}
