package io.lading.storage;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small pool of direct buffers of one size, aligned for O_DIRECT. At most {@code maxPooled} are kept between
 * uses (they count in the process's resident memory); past that, released buffers are left to the collector.
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
    private final int size;
    private final int maxPooled;
    private final ConcurrentLinkedQueue<ByteBuffer> pool = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pooled = new AtomicInteger();

    AlignedBuffers(int size, int maxPooled) {
        this.size = size;
        this.maxPooled = maxPooled;
    }

    /** A cleared buffer of the pool's size whose address is a multiple of {@code block}. */
    ByteBuffer acquire(int block) {
        ByteBuffer b = pool.poll();
        if (b != null) {
            pooled.decrementAndGet();
            if (b.alignmentOffset(0, block) == 0) {
                return b.clear();
            }
        }
        return allocate(size, block);
    }

    /** A new direct buffer of {@code size} bytes whose address is a multiple of {@code block}, outside any pool. */
    static ByteBuffer allocate(int size, int block) {
        return ByteBuffer.allocateDirect(size + block).alignedSlice(block).limit(size).slice();
    }

    /** Gives a buffer back (null is ignored); its user must not touch it again. */
    void release(ByteBuffer b) {
        if (b != null && pooled.incrementAndGet() <= maxPooled) {
            pool.add(b);
        } else if (b != null) {
            pooled.decrementAndGet();
        }
    }
}
