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

    /**
     * A file channel whose first fsync fails, as after an I/O error on the device, and whose later ones succeed (as
     * Linux's may, once it has dropped the pages it could not write); everything else is the real file's.
     */
    private static final class FailingSyncChannel extends FileChannel {
        final FileChannel real;
        final java.util.concurrent.atomic.AtomicInteger syncs = new java.util.concurrent.atomic.AtomicInteger();

        FailingSyncChannel(FileChannel real) {
            this.real = real;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            if (syncs.incrementAndGet() == 1) {
                throw new IOException("injected fsync failure");
            }
            real.force(metaData);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return real.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return real.read(dsts, offset, length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return real.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            return real.write(srcs, offset, length);
        }

        @Override
        public long position() throws IOException {
            return real.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            real.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return real.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            real.truncate(size);
            return this;
        }

        @Override
        public long transferTo(long position, long count, java.nio.channels.WritableByteChannel target)
                throws IOException {
            return real.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(java.nio.channels.ReadableByteChannel src, long position, long count)
                throws IOException {
            return real.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return real.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            return real.write(src, position);
        }

        @Override
        public java.nio.MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return real.map(mode, position, size);
        }

        @Override
        public java.nio.channels.FileLock lock(long position, long size, boolean shared) throws IOException {
            return real.lock(position, size, shared);
        }

        @Override
        public java.nio.channels.FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return real.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            real.close();
        }
    }

    /**
     * The fsync started in the background every 64 MiB fails; the upload must fail with it, not succeed because a
     * later fsync (which may not see the lost pages) did.
     */
    @Test
    void aFailedBackgroundSyncFailsTheUploadEvenIfALaterSyncSucceeds() throws Exception {
        Path file = root.resolve("synced");
        FailingSyncChannel channel = new FailingSyncChannel(
                FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ));
        PipelinedFileWriter w = PipelinedFileWriter.buffered(file, 0, channel);
        assertThat(w).isNotNull();
        try {
            assertThatThrownBy(() -> {
                ByteBuffer piece = ByteBuffer.allocate(PipelinedFileWriter.STAGE_SIZE);
                for (int i = 0; i < 140; i++) { // past two background syncs
                    w.write(piece.clear());
                }
                w.commit();
            }).isInstanceOf(IOException.class).hasMessage("injected fsync failure");
        } finally {
            w.close();
        }
        assertThat(channel.syncs.get()).as("the background sync ran").isPositive();
    }
}
