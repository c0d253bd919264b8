package io.lading.storage;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where bytes live: a small file-system-like API that a local disk and an object store can both provide.
 *
 * <p>Paths are absolute, {@code /}-separated, and made of components {@code [A-Za-z0-9._-]+} other than
 * {@code .} and {@code ..}; {@link ValidatingDriver} enforces this in front of every driver, so drivers
 * may assume valid paths. What a driver may <em>not</em> promise, and callers must not assume:
 * <ul>
 *   <li>{@link #move} may be a copy followed by a delete (object stores have no atomic rename); callers only
 *       move content-addressed files, where a half-finished move is harmless to repeat.</li>
 *   <li>{@link #list} returns children in no particular order.</li>
 *   <li>A written file is not durable until {@link FileWriter#commit()} returns.</li>
 * </ul>
 *
 * <pre>{@code
 * try (FileWriter w = driver.writer("/uploads/u1", 0)) {
 *     w.write(buffer);
 *     w.commit();               // durable from here on
 * }
 * driver.move("/uploads/u1", "/blobs/sha256/ab/ab.../data");
 * }</pre>
 */
public interface StorageDriver extends AutoCloseable {

    /** A short name for logs and config ({@code filesystem}, {@code inmemory}). */
    String name();

    /**
     * Opens a file for streaming reads starting at {@code offset}. A driver whose files are local may return a
     * {@link java.nio.channels.FileChannel} positioned at {@code offset}: the HTTP layer then sends large reads to
     * plain-HTTP clients with sendfile, without copying them through the process.
     *
     * @throws PathNotFoundException  if there is no such file
     * @throws InvalidOffsetException if {@code offset} is past the end
     */
    ReadableByteChannel reader(String path, long offset) throws IOException;

    /**
     * Opens a file for writing at {@code offset}, creating it when {@code offset} is 0 and discarding anything
     * stored past {@code offset} (bytes written but never acknowledged, e.g. before a crash).
     *
     * @throws InvalidOffsetException if {@code offset} is past the current end
     */
    FileWriter writer(String path, long offset) throws IOException;

    /**
     * {@link #writer(String, long)}, told how many bytes the caller expects to write ({@code -1}: unknown), so a
     * driver can pick how to write them (the filesystem driver bypasses the page cache for large blobs).
     */
    default FileWriter writer(String path, long offset, long expected) throws IOException {
        return writer(path, offset);
    }

    /** Size and modification time of a file, or of a directory (size 0). @throws PathNotFoundException if absent */
    FileInfo stat(String path) throws IOException;

    /** The full paths of the direct children of a directory; empty when it does not exist. */
    List<String> list(String path) throws IOException;

    /** Moves a file, replacing the destination. May be copy + delete. @throws PathNotFoundException if absent */
    void move(String source, String destination) throws IOException;

    /** Deletes a file or a whole directory tree. @throws PathNotFoundException if absent */
    void delete(String path) throws IOException;

    /**
     * Writes small files whole, each at its path (replacing what is there), and returns once every one of them is
     * durable: what writing, committing and {@link #move moving} each through the directory {@code scratch} does,
     * which is this default. A driver that can make many files durable at once does that instead. {@code scratch}
     * is the caller's to give (nothing else may use it) and is gone when this returns, whether or not it fails; on
     * failure, any of the files may be in place or not.
     */
    default void putAll(Map<String, byte[]> files, String scratch) throws IOException {
        try {
            int i = 0;
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                String temporary = scratch + "/" + i++;
                try (FileWriter w = writer(temporary, 0, file.getValue().length)) {
                    w.write(ByteBuffer.wrap(file.getValue()));
                    w.commit();
                }
                move(temporary, file.getKey());
            }
        } finally {
            try {
                delete(scratch);
            } catch (PathNotFoundException e) {
                // nothing was written there
            }
        }
    }

    /**
     * Opens a file for one read of all of it that should neither trust nor change what the driver caches: a content
     * check hashing every blob, or a backup copying them. The filesystem driver reads with O_DIRECT where the file
     * system allows it, so the bytes come from the device (what a read after the page cache evicted them would
     * return; a clean cached copy can hide damage on disk) and the page cache keeps the content clients pull. The
     * default reads as {@link #reader} does, which is right for drivers without a cache of their own.
     */
    default ReadableByteChannel uncachedReader(String path) throws IOException {
        return reader(path, 0);
    }

    /**
     * Bytes the file system holding this driver's files can still take, as an unprivileged writer sees it; empty
     * when the driver knows no such limit (in memory, object stores).
     */
    default OptionalLong usableSpace() throws IOException {
        return OptionalLong.empty();
    }

    /** A URL a client can fetch the file from directly, when the backend offers one (object stores). */
    default Optional<URI> redirectUrl(String path, String method) {
        return Optional.empty();
    }

    @Override
    default void close() throws IOException {
    }

    /** What {@link #stat} reports. */
    record FileInfo(String path, long size, Instant modified, boolean directory) {
    }

    /**
     * A file being written: bytes go in with {@link #write}; {@link #commit} makes them durable. {@link #close}
     * without a commit (a failed or abandoned write) leaves the file as it was at the writer's offset: what the
     * writer wrote was never acknowledged, and on a full disk the space it holds is what the next request needs.
     */
    interface FileWriter extends java.nio.channels.WritableByteChannel {
        /** Bytes in the file so far, including those from before this writer was opened. */
        long size();

        /** Makes everything written durable (fsync or the object store's completion) and closes the writer. */
        void commit() throws IOException;

        /** Discards the file and closes the writer. */
        void cancel() throws IOException;
    }
}
