package io.lading.storage;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small pool of direct buffers of one size, aligned for O_DIRECT. The pool's own buffers, at most
 * {@code pooled}, are made as they are first needed and kept (they count in the process's resident memory); when
 * all are in use, more are made outside the pool and left to the collector when released.
 *
 * <p>Where {@link HugePages} can map memory, the pool's buffers are cut from one mapping advised to use huge pages
 * (decision 0038): direct reads and writes pin their buffer's pages for the device, and socket writes copy from
 * them, page by page. Each 2 MiB of it becomes resident when a buffer in it is first used, as the buffers made one
 * at a time did.
 */
final class AlignedBuffers {
    static final int MEBIBYTE = 1 << 20;
    /**
     * The mebibyte buffers of direct reads ({@link DirectFileReader}'s chunks) and of pipelined writes
     * ({@link PipelinedFileWriter}'s stages), in one pool: what is kept between uses counts in the resident set, and
     * large pushes and large pulls seldom peak together. Sixteen are kept, as many as eight direct reads or eight
     * pipelined writes hold; separate pools kept up to 24 MiB after a run of both.
     */
    static final AlignedBuffers MEBIBYTES = new AlignedBuffers(MEBIBYTE, 16);
    private static final Logger LOG = LoggerFactory.getLogger(AlignedBuffers.class);

    private final int size;
    private final int pooled;
    /** The pool's buffers not in use. */
    private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();
    /** The pool's buffers, in use or not, by identity; guarded by itself. */
    private final Set<ByteBuffer> members = Collections.newSetFromMap(new IdentityHashMap<>());
    /** The huge-page memory the pool's buffers are cut from, in order; null until first needed or when none. */
    private HugePages.Mapping slab;
    private boolean slabTried;
    /** Buffers cut from {@link #slab} so far. */
    private int cut;

    AlignedBuffers(int size, int pooled) {
        this.size = size;
        this.pooled = pooled;
    }

    /** A cleared buffer of the pool's size whose address is a multiple of {@code block}. */
    ByteBuffer acquire(int block) {
        ByteBuffer b = free.poll();
        if (b != null && b.alignmentOffset(0, block) != 0) {
            leave(b); // made for a smaller block (writes through the page cache ask for none): one for this replaces it
            b = null;
        }
        if (b == null) {
            b = join(block);
        }
        return b != null ? b.clear() : allocate(size, block);
    }

    /** A new buffer of the pool, aligned to {@code block}, or null when the pool has all its buffers already. */
    private ByteBuffer join(int block) {
        synchronized (members) {
            if (members.size() == pooled) {
                return null;
            }
            ByteBuffer b = slab() != null && cut < pooled ? slab.memory().slice(cut++ * size, size) : null;
            if (b == null || b.alignmentOffset(0, block) != 0) {
                b = allocate(size, block); // a slice of the slab is aligned to its size, which blocks divide
            }
            members.add(b);
            return b;
        }
    }

    /** Takes a buffer out of the pool; it is left to the collector when released. */
    private void leave(ByteBuffer b) {
        synchronized (members) {
            members.remove(b);
        }
    }

    /** The pool's huge-page memory, mapped on first use; null when it cannot be had. Called holding members. */
    private HugePages.Mapping slab() {
        if (!slabTried) {
            slabTried = true;
            long bytes = ((long) pooled * size + HugePages.SIZE - 1) / HugePages.SIZE * HugePages.SIZE;
            slab = size % HugePages.SIZE == 0 || HugePages.SIZE % size == 0 ? HugePages.map(bytes) : null;
            LOG.debug("buffers of {} bytes: {}", size, slab == null ? "on small pages (no mmap here)"
                    : slab.advised() ? "advised to use huge pages" : "on small pages (madvise refused)");
        }
        return slab;
    }

    /** Whether the pool's buffers are cut from memory advised to use huge pages (known once one was acquired). */
    boolean onHugePages() {
        synchronized (members) {
            return slab != null && slab.advised();
        }
    }

    /** A new direct buffer of {@code size} bytes whose address is a multiple of {@code block}, outside any pool. */
    static ByteBuffer allocate(int size, int block) {
        return ByteBuffer.allocateDirect(size + block).alignedSlice(block).limit(size).slice();
    }

    /** Gives a buffer back (null is ignored); its user must not touch it again. */
    void release(ByteBuffer b) {
        boolean member;
        synchronized (members) {
            member = b != null && members.contains(b);
        }
        if (member) {
            free.add(b);
        }
    }
}
