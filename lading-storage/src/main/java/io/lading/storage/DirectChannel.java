package io.lading.storage;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A file opened with {@code O_DIRECT}, and the block size its positions, lengths and buffers must align to. */
record DirectChannel(FileChannel channel, int block) {
    private static final Logger LOG = LoggerFactory.getLogger(DirectChannel.class);
    /** Whether a fallback has been reported: once per process, so that lading.storage.directio is never off unseen. */
    private static final AtomicBoolean REPORTED = new AtomicBoolean();

    /**
     * Opens {@code path} with {@code O_DIRECT} for {@code mode} (READ or WRITE), for I/O in units of
     * {@code unit} bytes. Returns null when that cannot be done: the file system refuses O_DIRECT (EINVAL from some
     * network file systems and older tmpfs), or its block size is unknown or does not divide {@code unit}. This is
     * deliberate and not a swallowed error: the caller then does the same I/O through the page cache, slower but
     * with the same result, and failures of the reads and writes themselves still reach it. The first fallback is
     * logged as a warning.
     */
    static DirectChannel open(Path path, StandardOpenOption mode, int unit) {
        return open(path, mode, unit, true);
    }

    /**
     * As {@link #open(Path, StandardOpenOption, int)}, but a refusal is reported only when {@code report}: for a
     * read that prefers to bypass the page cache without the operator having asked for it, falling back is no news.
     */
    static DirectChannel open(Path path, StandardOpenOption mode, int unit, boolean report) {
        try {
            int block = Math.toIntExact(Files.getFileStore(path).getBlockSize());
            if (block <= 0 || unit % block != 0) {
                return report ? fallBack(path, "its block size " + block + " does not divide " + unit + " bytes")
                        : null;
            }
            return new DirectChannel(FileChannel.open(path, mode, ExtendedOpenOption.DIRECT), block);
        } catch (UnsupportedOperationException | IOException | ArithmeticException e) {
            return report ? fallBack(path, e.toString()) : null;
        }
    }

    /**
     * Whether O_DIRECT works in {@code dir} for I/O in units of {@code unit} bytes: a block written with it to a
     * new file there, made durable, and read back with it the same. A file system that lets a file be opened with
     * O_DIRECT but refuses the I/O (say, its device wants a larger alignment than the block size it reports) would
     * otherwise fail each large upload. Returns why not, or empty when it works. The file is deleted either way.
     */
    static Optional<String> probe(Path dir, int unit) {
        Path file = null;
        try {
            file = Files.createTempFile(dir, ".lading-directio-", ".probe");
            DirectChannel out = open(file, StandardOpenOption.WRITE, unit, false);
            if (out == null) {
                return Optional.of("the file system refuses O_DIRECT, or its block size does not divide " + unit);
            }
            ByteBuffer written = AlignedBuffers.allocate(out.block(), out.block());
            for (int i = 0; written.hasRemaining(); i++) {
                written.put((byte) (i * 31 + 7));
            }
            try (FileChannel ch = out.channel()) {
                for (written.flip(); written.hasRemaining(); ) {
                    ch.write(written, written.position());
                }
                ch.force(false);
            }
            DirectChannel in = open(file, StandardOpenOption.READ, unit, false);
            if (in == null) {
                return Optional.of("a file written with O_DIRECT cannot be opened for reading with it");
            }
            ByteBuffer read = AlignedBuffers.allocate(written.limit(), in.block());
            try (FileChannel ch = in.channel()) {
                while (read.hasRemaining() && ch.read(read, read.position()) > 0) {
                    // reads until the block is back
                }
            }
            return read.flip().equals(written.flip()) ? Optional.empty()
                    : Optional.of("a block written with O_DIRECT read back different");
        } catch (IOException | RuntimeException e) {
            return Optional.of(e.toString());
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a probe file left behind is harmless; its name says what it is
                }
            }
        }
    }

    private static DirectChannel fallBack(Path path, String reason) {
        if (REPORTED.compareAndSet(false, true)) {
            LOG.warn("lading.storage.directio: cannot use O_DIRECT for {} ({}); large blobs go through the page cache"
                    + " where this happens (reported once)", path, reason);
        }
        return null;
    }
}
