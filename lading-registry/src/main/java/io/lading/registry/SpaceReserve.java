package io.lading.registry;

import io.lading.core.ErrorCode;
import io.lading.core.RegistryException;
import io.lading.storage.BlobStore;
import java.io.IOException;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code lading.storage.reserve} bytes free on the storage's file system for what frees space: deletes,
 * garbage collection and the metadata writes they make. A registry whose disk filled up to the last byte could not
 * record the collection that would free it. Requests that add content (a new upload, a chunk, a manifest) are
 * refused with 507 once taking them would cut into the reserve; deletes and collections are not checked.
 *
 * <p>The file system is asked at most every {@link #REFRESH_NANOS}; in between, each admitted request's declared
 * length is taken off the figure kept, so a burst of large pushes cannot all be admitted on one reading. A driver
 * that knows no limit (in memory, object stores), or a reserve of 0, admits everything.
 */
public final class SpaceReserve {
    private static final Logger LOG = LoggerFactory.getLogger(SpaceReserve.class);
    private static final long REFRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** Refusals are logged at most this often: the operator needs to hear of them, not of each one. */
    private static final long WARN_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final long UNKNOWN = Long.MIN_VALUE;

    private final BlobStore blobs;
    private final long reserve;
    /** Usable bytes at the last reading, less what was admitted since; {@link #UNKNOWN} before the first. */
    private final AtomicLong usable = new AtomicLong(UNKNOWN);
    private volatile long readAt;
    private final AtomicLong warnedAt = new AtomicLong(System.nanoTime() - WARN_NANOS);

    /** One per registry: pushes of uploads and of manifests draw on the same reading and the same reserve. */
    public SpaceReserve(BlobStore blobs, long reserve) {
        this.blobs = blobs;
        this.reserve = reserve;
    }

    /**
     * Admits a request that adds {@code bytes} to storage (0 when not known yet).
     *
     * @throws RegistryException INSUFFICIENT_STORAGE when the storage would be left with less than the reserve
     */
    void admit(long bytes) {
        if (reserve <= 0) {
            return;
        }
        long now = System.nanoTime();
        if (usable.get() == UNKNOWN || now - readAt >= REFRESH_NANOS) {
            readAt = now;
            usable.set(read());
        }
        long left = usable.get();
        if (left == UNKNOWN) {
            return; // no limit known
        }
        if (left - bytes < reserve) {
            long warned = warnedAt.get();
            if (now - warned >= WARN_NANOS && warnedAt.compareAndSet(warned, now)) {
                LOG.warn("refusing pushes with 507: the storage has {} bytes free and lading.storage.reserve keeps {}"
                        + " for deletes and garbage collection (logged at most once a minute)", left, reserve);
            }
            throw new RegistryException(ErrorCode.INSUFFICIENT_STORAGE, "the registry's storage has " + left
                    + " bytes free and keeps " + reserve + " of them (lading.storage.reserve) for deletes and"
                    + " garbage collection; " + (bytes > 0 ? "this request's " + bytes + " bytes do" : "new content"
                    + " does") + " not fit until space is freed");
        }
        usable.accumulateAndGet(bytes, (u, b) -> u == UNKNOWN ? u : u - b); // a reading may have failed meanwhile
    }

    private long read() {
        try {
            OptionalLong space = blobs.driver().usableSpace();
            return space.isPresent() ? space.getAsLong() : UNKNOWN;
        } catch (IOException e) {
            LOG.debug("cannot read the storage's free space ({}); admitting", e.getMessage());
            return UNKNOWN;
        }
    }
}
