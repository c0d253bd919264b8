package io.lading.storage;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small pool of direct buffers of one size, aligned for O_DIRECT: a slab of {@code slots} buffers side by side,
 * made on first use and kept (it counts in the process's resident memory). When every slot is in use, buffers are
 * made outside the slab; up to as many as the slab holds are kept for reuse while it stays busy, and one is left to
 * the collector each time a slot is given back, so that a busy pool does not make a new buffer per use and an idle
 * one keeps the slab alone.
 *
 * <p>Buffers asked for together are given adjacent slots where a run of them is free, and {@link #span} then joins
 * them into one buffer: a reader that fills several chunks with one call can hand them to a socket with one write
 * (decision 0038). The slab is advised to use huge pages ({@link HugePages}; not on Java 21): direct reads and
 * writes pin their buffer's pages for the device, and socket writes copy from them, page by page.
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
    /**
     * Alignment of buffers made outside the slab when a smaller one is asked for: a file system block, so that a
     * spare given back by a write through the page cache (which asks for none) serves a direct read or write.
     */
    private static final int OUTSIDE_ALIGNMENT = 4096;

    private final int size;
    private final int slots;
    /** The slab; null until first used. Guarded by this, as are the fields below. */
    private ByteBuffer slab;
    private boolean hugePages;
    /** Bit i set: slot i is handed out. */
    private long used;
    /** The buffers handed out from the slab, by identity, and their slots. */
    private final Map<ByteBuffer, Integer> out = new IdentityHashMap<>();
    /** Buffers made outside the slab and given back, kept for reuse while the slab is busy; at most slots of them. */
    private final ArrayDeque<ByteBuffer> spare = new ArrayDeque<>();

    /** A pool of {@code slots} (at most 64) buffers of {@code size} bytes, a power of two. */
    AlignedBuffers(int size, int slots) {
        if (Integer.bitCount(size) != 1 || slots < 1 || slots > Long.SIZE) {
            throw new IllegalArgumentException("size " + size + ", slots " + slots);
        }
        this.size = size;
        this.slots = slots;
    }

    /** A cleared buffer of the pool's size whose address is a multiple of {@code block}. */
    ByteBuffer acquire(int block) {
        ByteBuffer[] one = new ByteBuffer[1];
        acquire(one, 1, block);
        return one[0];
    }

    /**
     * Fills {@code into[0, count)} with cleared buffers of the pool's size whose addresses are multiples of
     * {@code block}, a power of two that divides the size: adjacent slots in order when that many are free in a
     * row, else any free slots, else buffers outside the slab.
     */
    void acquire(ByteBuffer[] into, int count, int block) {
        if (Integer.bitCount(block) != 1 || block > size) {
            throw new IllegalArgumentException("block " + block + " for buffers of " + size + " bytes");
        }
        synchronized (this) {
            int first = freeRun(count);
            for (int i = 0; i < count; i++) {
                int slot = first >= 0 ? first + i : freeRun(1);
                into[i] = slot >= 0 ? take(slot) : spare.poll();
                if (into[i] != null && into[i].alignmentOffset(0, block) != 0) {
                    into[i] = null; // a spare made for a smaller block: left to the collector
                }
            }
        }
        for (int i = 0; i < count; i++) {
            if (into[i] == null) {
                into[i] = allocate(size, Math.max(block, OUTSIDE_ALIGNMENT));
            } else {
                into[i].clear();
            }
        }
    }

    /** The first slot of {@code count} free ones in a row, or -1. */
    private int freeRun(int count) {
        long run = count == Long.SIZE ? -1L : (1L << count) - 1;
        for (int s = 0; s + count <= slots; s++) {
            if ((used & (run << s)) == 0) {
                return s;
            }
        }
        return -1;
    }

    private ByteBuffer take(int slot) {
        used |= 1L << slot;
        ByteBuffer b = slab().slice(slot * size, size);
        out.put(b, slot);
        return b;
    }

    /**
     * One buffer over {@code chunks[from, to)} when they are adjacent slots of the slab in that order, from the start
     * of the first to the end of the last (their positions and limits aside); null when they are not.
     */
    synchronized ByteBuffer span(ByteBuffer[] chunks, int from, int to) {
        Integer first = out.get(chunks[from]);
        if (first == null) {
            return null;
        }
        for (int i = from + 1; i < to; i++) {
            Integer slot = out.get(chunks[i]);
            if (slot == null || slot != first + (i - from)) {
                return null;
            }
        }
        return slab.slice(first * size, (to - from) * size);
    }

    /**
     * The slab, made on first use: a direct buffer (within the JDK's limit on direct memory, which bounds how much
     * the collector lets the other direct buffers take) at a huge page boundary, advised to use huge pages.
     */
    private ByteBuffer slab() {
        if (slab == null) {
            int bytes = slots * size;
            int alignment = bytes % HugePages.SIZE == 0 ? HugePages.SIZE : size;
            slab = allocate(bytes, alignment);
            hugePages = alignment == HugePages.SIZE && HugePages.advise(slab);
            LOG.debug("{} buffers of {} bytes on {} pages", slots, size, hugePages ? "huge" : "small");
        }
        return slab;
    }

    /** Whether the slab is advised to use huge pages (known once a buffer was acquired). */
    synchronized boolean onHugePages() {
        return hugePages;
    }

    /** A new direct buffer of {@code size} bytes whose address is a multiple of {@code block}, outside any pool. */
    static ByteBuffer allocate(int size, int block) {
        return ByteBuffer.allocateDirect(size + block).alignedSlice(block).limit(size).slice();
    }

    /** Gives a buffer back (null is ignored); its user must not touch it again. */
    synchronized void release(ByteBuffer b) {
        if (b == null) {
            return;
        }
        Integer slot = out.remove(b);
        if (slot != null) {
            used &= ~(1L << slot);
            spare.poll(); // the slab has room again: one spare fewer
        } else if (spare.size() < slots) {
            spare.add(b);
        }
    }
}
