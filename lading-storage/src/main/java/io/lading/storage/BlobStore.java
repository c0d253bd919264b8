package io.lading.storage;

import io.lading.core.Digest;
import io.lading.core.MemoryBudget;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Content-addressed blob bytes over a {@link StorageDriver}, in distribution's layout:
 * <pre>
 *   /blobs/sha256/ab/abcdef…/data    one copy per digest, shared by every repository
 *   /uploads/&lt;id&gt;                   bytes of an upload in progress (a flat file: no directory to create
 *                                    and remove per upload)
 * </pre>
 * Bytes reach a blob path only through {@link #commitUpload} after the caller has verified the digest, and only
 * after they are durable ({@link StorageDriver.FileWriter#commit()}). This class knows nothing of repositories
 * or metadata; which blobs exist for a repository is the metadata store's business.
 */
public final class BlobStore {
    /** Receive/hash buffer of an upload (the socket is read 128 KiB at a time too). */
    static final int BUFFER_SIZE = 128 * 1024;
    /** The least buffer a copied upload gets when many hold {@link #COPY_BUFFERS}. */
    private static final int LEAST_BUFFER = 16 * 1024;
    /**
     * Heap that uploads copied on their request's thread (those {@link OverlappedCopy} does not take) may hold at
     * once: a fifth of the heap (16 MiB under the launcher's 80 MiB), half in 128 KiB buffers and half in 16 KiB
     * ones, so about 560 uploads at once before the next waits. A slow client holds its buffer while its bytes
     * trickle in; with 128 KiB each, 1 000 such uploads filled that heap and stopped the server.
     */
    private static final MemoryBudget COPY_BUFFERS = new MemoryBudget(Runtime.getRuntime().maxMemory() / 5,
            "uploads being received");
    private final StorageDriver driver;

    public BlobStore(StorageDriver driver) {
        this.driver = driver instanceof ValidatingDriver ? driver : new ValidatingDriver(driver);
    }

    public StorageDriver driver() {
        return driver;
    }

    /** Storage path of a blob's bytes. */
    public static String blobPath(Digest digest) {
        return "/blobs/" + digest.algorithm().id() + "/" + digest.hex().substring(0, 2) + "/" + digest.hex() + "/data";
    }

    /** Storage path of an upload's bytes. */
    public static String uploadPath(UUID id) {
        return "/uploads/" + id;
    }

    /** Size of a stored blob, if its bytes exist. */
    public Optional<Long> size(Digest digest) throws IOException {
        try {
            return Optional.of(driver.stat(blobPath(digest)).size());
        } catch (PathNotFoundException e) {
            return Optional.empty();
        }
    }

    /** Opens a blob for reading at {@code offset}. @throws PathNotFoundException when the bytes are missing */
    public ReadableByteChannel open(Digest digest, long offset) throws IOException {
        return driver.reader(blobPath(digest), offset);
    }

    /** A URL a client can fetch the blob from without this process ({@link StorageDriver#redirectUrl}), if any. */
    public Optional<java.net.URI> redirectUrl(Digest digest) {
        return driver.redirectUrl(blobPath(digest), "GET");
    }

    /**
     * Opens a blob for one read of all of it past the driver's caches ({@link StorageDriver#uncachedReader}): for a
     * check of its bytes or a copy, which should see what is on the device and leave the page cache to clients.
     * @throws PathNotFoundException when the bytes are missing
     */
    public ReadableByteChannel openUncached(Digest digest) throws IOException {
        return driver.uncachedReader(blobPath(digest));
    }

    /**
     * Appends a request body to an upload, hashing as the bytes flow, and makes the result durable before
     * returning. On failure nothing past {@code offset} counts: the next append at {@code offset} overwrites it.
     *
     * @param expected number of bytes the body must carry, or -1 when unknown (chunked transfer)
     * @param digester running hash of the upload's first {@code offset} bytes; updated with the new bytes
     * @return the upload's new size
     * @throws EOFException when the body ends before {@code expected} bytes
     */
    public long append(UUID id, long offset, InputStream body, long expected, Digest.Digester digester)
            throws IOException {
        StorageDriver.FileWriter writer = driver.writer(uploadPath(id), offset, expected);
        boolean done = false;
        try {
            // Large bodies: receiving overlaps hashing. The writer may overlap its disk writes with both (large
            // files on the filesystem driver are written on a background thread).
            boolean large = expected < 0 || expected >= OverlappedCopy.MIN_SIZE;
            if (!large || !OverlappedCopy.tryCopy(body, expected, digester, writer)) {
                copy(body, expected, digester, writer);
            }
            long size = writer.size();
            writer.commit();
            done = true;
            return size;
        } finally {
            if (!done) {
                writer.close();
            }
        }
    }

    /**
     * Copies and hashes {@code body} (exactly {@code expected} bytes, or to its end when -1) on this thread, through
     * a buffer from {@link #COPY_BUFFERS}: 128 KiB, or 16 KiB while many uploads hold the budget.
     *
     * @throws io.lading.core.RegistryException TOOMANYREQUESTS when even that waited 30 s (nothing is written)
     */
    private static void copy(InputStream body, long expected, Digest.Digester digester, StorageDriver.FileWriter writer)
            throws IOException {
        int want = (int) (expected < 0 ? BUFFER_SIZE : Math.min(BUFFER_SIZE, expected));
        try (MemoryBudget.Share share = COPY_BUFFERS.acquireUpTo(want, LEAST_BUFFER, MemoryBudget.WAIT)) {
            copy(body, expected, digester, writer, new byte[Math.min(want, share.bytes())]);
        }
    }

    private static void copy(InputStream body, long expected, Digest.Digester digester, StorageDriver.FileWriter writer,
                             byte[] buf) throws IOException {
        long remaining = expected < 0 ? Long.MAX_VALUE : expected;
        while (remaining > 0) {
            int n = readFully(body, buf, (int) Math.min(buf.length, remaining));
            if (n == 0) {
                endOfBody(expected, remaining);
                break;
            }
            digester.update(buf, 0, n);
            writer.write(ByteBuffer.wrap(buf, 0, n));
            remaining -= n;
        }
    }

    /**
     * A body ended with {@code remaining} of {@code expected} bytes still to come: fine when its length was unknown
     * (-1), an EOFException when it was not.
     */
    static void endOfBody(long expected, long remaining) throws EOFException {
        if (expected >= 0) {
            throw new EOFException("body ended after " + (expected - remaining) + " of " + expected + " bytes");
        }
    }

    /** Reads until {@code buf} holds {@code len} bytes or the stream ends; returns how many it read. */
    static int readFully(InputStream in, byte[] buf, int len) throws IOException {
        int total = 0;
        while (total < len) {
            int n = in.read(buf, total, len - total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    /** Recomputes the hash of an upload's first {@code length} bytes (after a restart lost the running hash). */
    public Digest.Digester rehash(UUID id, long length, Digest.Algorithm algorithm) throws IOException {
        Digest.Digester d = algorithm.digester();
        if (length == 0) {
            return d;
        }
        try (ReadableByteChannel ch = driver.reader(uploadPath(id), 0)) {
            ByteBuffer buf = ByteBuffer.allocate(BUFFER_SIZE);
            long left = length;
            while (left > 0) {
                buf.clear().limit((int) Math.min(buf.capacity(), left));
                int n = ch.read(buf);
                if (n < 0) {
                    throw new EOFException("upload " + id + " holds fewer than " + length + " bytes");
                }
                buf.flip();
                d.update(buf);
                left -= n;
            }
        }
        return d;
    }

    /**
     * Makes a verified upload the blob {@code digest}. When the blob exists already (another push won the race,
     * or it was pushed before) the upload's bytes are dropped: content addressing makes them identical.
     */
    public void commitUpload(UUID id, Digest digest) throws IOException {
        String target = blobPath(digest);
        if (exists(target)) {
            deleteUpload(id);
            return;
        }
        driver.move(uploadPath(id), target); // the move consumes the upload's file
    }

    /** Deletes an upload's bytes; absent uploads are fine. */
    public void deleteUpload(UUID id) throws IOException {
        try {
            driver.delete(uploadPath(id));
        } catch (PathNotFoundException e) {
            // already gone
        }
    }

    /** Deletes a blob's bytes (its directory); absent blobs are fine. */
    public void deleteBlob(Digest digest) throws IOException {
        String path = blobPath(digest);
        try {
            driver.delete(path.substring(0, path.length() - "/data".length()));
        } catch (PathNotFoundException e) {
            // already gone (a collection that crashed after deleting, before recording it)
        }
    }

    /**
     * Copies the data of {@code digest} from {@code source} into this store (a backup), durably: read past the
     * source's caches, hashed on the way, written to an upload file, committed, then moved into place. Returns false
     * when this store has it already with the same size (content addressing: the same bytes); data of another size
     * here is replaced.
     *
     * @throws PathNotFoundException when {@code source} has no data for it
     * @throws ContentMismatchException when the source's data does not hash to {@code digest}; nothing is copied
     */
    public boolean copyFrom(BlobStore source, Digest digest) throws IOException {
        return copyFrom(source, digest, n -> { });
    }

    /**
     * As {@link #copyFrom(BlobStore, Digest)}, telling {@code afterRead} the size of each piece read from
     * {@code source} before it is written (a caller that paces its reads waits there).
     */
    public boolean copyFrom(BlobStore source, Digest digest, java.util.function.LongConsumer afterRead)
            throws IOException {
        long size = source.size(digest).orElseThrow(() -> new PathNotFoundException(blobPath(digest)));
        Optional<Long> have = size(digest);
        if (have.isPresent() && have.get() == size) {
            return false;
        }
        UUID id = UUID.randomUUID();
        try (ReadableByteChannel in = source.openUncached(digest);
             StorageDriver.FileWriter out = driver.writer(uploadPath(id), 0, size)) {
            Digest.Digester digester = digest.algorithm().digester();
            ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
            int n;
            while ((n = in.read(buffer.clear())) >= 0) {
                afterRead.accept(n);
                buffer.flip();
                digester.update(buffer.duplicate());
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
            }
            Digest actual = digester.digest();
            if (!actual.equals(digest)) {
                out.cancel();
                throw new ContentMismatchException(digest, actual);
            }
            out.commit();
        }
        if (have.isPresent()) {
            deleteBlob(digest);
        }
        driver.move(uploadPath(id), blobPath(digest));
        return true;
    }

    /**
     * Moves a blob's data out of the blob store, to {@code /quarantine/<algorithm>/<hex>.<epoch millis of at>}, and
     * returns that path; null when there was no data to move. For data that does not match its digest: kept for the
     * operator to look at, and out of the way of the next push of the content, which would otherwise be dropped as a
     * copy of bytes already in place ({@link #commitUpload}).
     */
    public String quarantine(Digest digest, java.time.Instant at) throws IOException {
        String target = "/quarantine/" + digest.algorithm().id() + "/" + digest.hex() + "." + at.toEpochMilli();
        try {
            driver.move(blobPath(digest), target);
        } catch (PathNotFoundException e) {
            return null;
        }
        return target;
    }

    /** A blob found in storage: its digest and when its bytes were last written. */
    public record StoredBlob(Digest digest, java.time.Instant modified) {
    }

    /**
     * Calls {@code visitor} for every blob in storage, directory by directory (two-hex-digit fan-out, so memory
     * stays bounded). Entries that are not blob directories are skipped.
     */
    public void forEachStoredBlob(java.util.function.Consumer<StoredBlob> visitor) throws IOException {
        for (String algDir : driver.list("/blobs")) {
            String alg = algDir.substring(algDir.lastIndexOf('/') + 1);
            for (String fanout : driver.list(algDir)) {
                for (String dir : driver.list(fanout)) {
                    String hex = dir.substring(dir.lastIndexOf('/') + 1);
                    Digest digest;
                    try {
                        digest = Digest.parse(alg + ":" + hex);
                    } catch (RuntimeException e) {
                        continue;
                    }
                    // A directory without data is a crash between mkdir and rename, or a blob being deleted now.
                    Optional<StorageDriver.FileInfo> info = statIfPresent(dir + "/data").or(() -> statIfPresent(dir));
                    if (info.isPresent()) {
                        visitor.accept(new StoredBlob(digest, info.get().modified()));
                    }
                }
            }
        }
    }

    private Optional<StorageDriver.FileInfo> statIfPresent(String path) {
        try {
            return Optional.of(driver.stat(path));
        } catch (PathNotFoundException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Stores small content (a manifest) under its digest, durably, via a staged upload. */
    public void putSmall(Digest digest, byte[] bytes) throws IOException {
        if (exists(blobPath(digest))) {
            return;
        }
        UUID id = UUID.randomUUID();
        try (StorageDriver.FileWriter w = driver.writer(uploadPath(id), 0, bytes.length)) {
            w.write(ByteBuffer.wrap(bytes));
            w.commit();
        }
        commitUpload(id, digest);
    }

    /**
     * Stores small content under its digests, durably, as one batch ({@link StorageDriver#putAll}); content already
     * stored is left as it is. On failure, any of it may be stored or not.
     */
    public void putSmall(Map<Digest, byte[]> contents) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (Map.Entry<Digest, byte[]> c : contents.entrySet()) {
            String path = blobPath(c.getKey());
            if (!exists(path)) {
                files.put(path, c.getValue());
            }
        }
        if (!files.isEmpty()) {
            driver.putAll(files, uploadPath(UUID.randomUUID())); // an orphan upload directory if we crash
        }
    }

    /**
     * Reads small content whole, past the driver's caches ({@link #openUncached}), and checks it against its digest:
     * for a copy of many small blobs in one batch ({@link #putSmall(Map)}).
     *
     * @throws PathNotFoundException when missing
     * @throws ContentMismatchException when its bytes do not hash to {@code digest}
     */
    public byte[] readVerified(Digest digest, int maxBytes) throws IOException {
        byte[] bytes;
        try (ReadableByteChannel ch = openUncached(digest);
             InputStream in = java.nio.channels.Channels.newInputStream(ch)) {
            bytes = in.readNBytes(maxBytes + 1);
        }
        if (bytes.length > maxBytes) {
            throw new IOException("content of " + digest + " exceeds " + maxBytes + " bytes");
        }
        Digest actual = Digest.of(digest.algorithm(), bytes);
        if (!actual.equals(digest)) {
            throw new ContentMismatchException(digest, actual);
        }
        return bytes;
    }

    /** Reads small content (a manifest) whole. @throws PathNotFoundException when missing */
    public byte[] readSmall(Digest digest, int maxBytes) throws IOException {
        try (ReadableByteChannel ch = open(digest, 0); InputStream in = java.nio.channels.Channels.newInputStream(ch)) {
            byte[] bytes = in.readNBytes(maxBytes + 1);
            if (bytes.length > maxBytes) {
                throw new IOException("content of " + digest + " exceeds " + maxBytes + " bytes");
            }
            return bytes;
        }
    }

    private boolean exists(String path) throws IOException {
        try {
            driver.stat(path);
            return true;
        } catch (PathNotFoundException e) {
            return false;
        }
    }
}
