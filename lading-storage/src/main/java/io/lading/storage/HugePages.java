package io.lading.storage;

import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;

/**
 * Memory that Linux is asked to back with transparent huge pages (2 MiB on x86-64 and on arm64 with 4 KiB pages)
 * instead of 4 KiB pages. Every direct read or write pins the pages of its buffer for the device's transfer and
 * every socket write copies from them; on the machines Lading is measured on, pinning a mebibyte page by page was
 * half the cost of a direct read (decision 0038). The memory is mapped with mmap(2) and advised with madvise(2)
 * (MADV_HUGEPAGE) before it is first touched, so each 2 MiB is faulted in as one page when first used, where the
 * system allows it: transparent huge pages set to {@code always} or {@code madvise}, and a free 2 MiB of physical
 * memory. Where it does not, the kernel uses small pages and nothing else changes.
 *
 * <p>The calls go through {@link Libc}: on Java 21, or without mmap and madvise, {@link #map} returns null. The
 * memory is never unmapped; it is for pools that live as long as the process.
 */
final class HugePages {
    /** The huge page size the memory is aligned to. */
    static final int SIZE = 2 << 20;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;
    /**
     * mmap and madvise, taking and returning addresses as C longs: the same registers as pointers on the 64-bit
     * platforms the JDK's linker supports, without a {@code MemorySegment} per call.
     */
    private static final MethodHandle MMAP = Libc.function("mmap", Libc.Type.LONG, Libc.Type.LONG, Libc.Type.LONG,
            Libc.Type.INT, Libc.Type.INT, Libc.Type.INT, Libc.Type.LONG);
    private static final MethodHandle MADVISE = Libc.function("madvise", Libc.Type.INT, Libc.Type.LONG,
            Libc.Type.LONG, Libc.Type.INT);

    private HugePages() {
    }

    /** What {@link #map} made: the memory, and whether the kernel took the advice (it may still fall back). */
    record Mapping(ByteBuffer memory, boolean advised) {
    }

    /**
     * Maps {@code bytes} (a multiple of {@link #SIZE}) of zeroed memory at an address that is a multiple of
     * {@link #SIZE}, advised to use huge pages; null when that cannot be done here.
     */
    static Mapping map(long bytes) {
        if (MMAP == null || MADVISE == null || bytes % SIZE != 0) {
            return null;
        }
        try {
            // One huge page more than asked, so that an aligned start lies within; the margin is never touched,
            // so it costs address space only.
            long at = (long) MMAP.invokeExact(0L, bytes + SIZE, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (at == -1) {
                return null; // MAP_FAILED
            }
            long aligned = (at + SIZE - 1) / SIZE * SIZE;
            boolean advised = (int) MADVISE.invokeExact(aligned, bytes, MADV_HUGEPAGE) == 0;
            return new Mapping(Libc.buffer(aligned, bytes), advised);
        } catch (Error e) {
            throw e;
        } catch (Throwable e) {
            return null;
        }
    }
}
