package io.lading.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The background writes of large uploads: their failures, and the bound on how many run at once. */
class PipelinedFileWriterTest {
    @TempDir
    Path root;

    /** /dev/full takes every write and fails it with ENOSPC, as a full disk does, here on the background thread. */
    @Test
    void aFailedBackgroundWriteFailsTheUploadInsteadOfCommittingIt() throws Exception {
        Path full = Path.of("/dev/full");
        assumeThat(Files.isWritable(full)).as("/dev/full available").isTrue();
        // Never cancel() this writer: cancel deletes its path.
        PipelinedFileWriter w = PipelinedFileWriter.buffered(full, 0, FileChannel.open(full, StandardOpenOption.WRITE));
        assertThat(w).isNotNull();
        try {
            assertThatThrownBy(() -> {
                ByteBuffer piece = ByteBuffer.allocate(100_000);
                for (int i = 0; i < 40; i++) { // 4 MB: several stages handed to the background
                    w.write(piece.clear());
                }
                w.commit();
            }).isInstanceOf(IOException.class).hasMessageContaining("No space left");
        } finally {
            w.close();
        }
        assertThat(w.isOpen()).isFalse();
    }

    @Test
    void writersPastTheLimitWriteInTheCallersThreadAndStillStoreEveryByte() throws Exception {
        FileSystemDriver fs = new FileSystemDriver(root, false);
        List<StorageDriver.FileWriter> open = new ArrayList<>();
        try {
            for (int i = 0; i < PipelinedFileWriter.MAX_OPEN; i++) {
                open.add(fs.writer("/f" + i, 0));
            }
            assertThat(open).allMatch(w -> w instanceof PipelinedFileWriter);
            byte[] content = new byte[3 * PipelinedFileWriter.STAGE_SIZE + 99];
            new java.util.Random(5).nextBytes(content);
            try (StorageDriver.FileWriter plain = fs.writer("/over", 0)) {
                assertThat(plain).isNotInstanceOf(PipelinedFileWriter.class);
                plain.write(ByteBuffer.wrap(content));
                plain.commit();
            }
            try (ReadableByteChannel r = fs.reader("/over", 0)) {
                assertThat(Channels.newInputStream(r).readAllBytes()).isEqualTo(content);
            }
            open.remove(0).close();
            try (StorageDriver.FileWriter again = fs.writer("/again", 0)) {
                assertThat(again).as("a closed writer frees its place").isInstanceOf(PipelinedFileWriter.class);
            }
        } finally {
            for (StorageDriver.FileWriter w : open) {
                w.close();
            }
        }
    }
}
