package io.lading.storage;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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

    private static DirectChannel fallBack(Path path, String reason) {
        if (REPORTED.compareAndSet(false, true)) {
            LOG.warn("lading.storage.directio: cannot use O_DIRECT for {} ({}); large blobs go through the page cache"
                    + " where this happens (reported once)", path, reason);
        }
        return null;
    }
}
