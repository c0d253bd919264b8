package io.lading.metadata.sqlite;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The wal-index header of a database in WAL mode, read from its shared-memory file ({@code <db>-shm}), where
 * every connection of every process that commits a transaction updates it as part of the COMMIT (SQLite's
 * "WAL-mode File Format", section "The WAL-Index Header"): {@code iChange}, a counter incremented with each
 * transaction that writes to the log, and {@code mxFrame}, the last valid frame of the log. (A transaction whose
 * statements left every page as it was writes nothing, and changes nothing here.) The file is mapped read-only,
 * so reading them is two loads from a shared page: no system call and no lock, cheap enough to ask on every
 * request.
 *
 * <pre>{@code
 * long before = header.version();
 * // ... a commit that changed a page, by any connection to the database, in any process ...
 * assert header.version() != before;
 * }</pre>
 */
final class WalIndexHeader implements AutoCloseable {
    /** Ordered loads in the file's (the machine's) byte order; aligned, as SQLite lays the header out. */
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());
    private static final int I_CHANGE = 8;
    private static final int MX_FRAME = 16;
    /** Two copies of the 48-byte header and the 40 bytes of checkpoint information after them. */
    private static final int HEADER_BYTES = 136;

    private final FileChannel channel;
    private final MappedByteBuffer header;

    private WalIndexHeader(FileChannel channel, MappedByteBuffer header) {
        this.channel = channel;
        this.header = header;
    }

    /**
     * Maps the header of {@code shm}; empty when the file is missing or shorter than a header (the database is not
     * in WAL mode, or SQLite keeps the index in heap memory), and then there is nothing to watch.
     */
    static Optional<WalIndexHeader> open(Path shm) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(shm, StandardOpenOption.READ);
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            if (channel.size() < HEADER_BYTES) {
                channel.close();
                return Optional.empty();
            }
            return Optional.of(new WalIndexHeader(channel, channel.map(FileChannel.MapMode.READ_ONLY, 0,
                    HEADER_BYTES)));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * A value that differs after every commit that wrote to the log: {@code iChange} and {@code mxFrame} of the
     * first copy of the header, which a committing writer updates last. The two loads are not one atomic read: a
     * pair read while a commit writes the header may mix old and new fields. It then differs from the value read
     * before that commit (the caller looks again), or equals it, which is the same as having read just before the
     * commit.
     */
    long version() {
        int change = (int) INT.getAcquire(header, I_CHANGE);
        int frames = (int) INT.getAcquire(header, MX_FRAME);
        return ((long) change << 32) | (frames & 0xffffffffL);
    }

    /** Closes the file; the mapping itself goes with the buffer. */
    @Override
    public void close() throws IOException {
        channel.close();
    }
}
