package io.lading.storage;

import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;

/**
 * Asks Linux to back memory with transparent huge pages (2 MiB on x86-64 and on arm64 with 4 KiB pages) instead of
 * 4 KiB pages. Every direct read or write pins the pages of its buffer for the device and every socket write copies
 * from them; on the machines Lading is measured on, pinning a mebibyte page by page was half the cost of a direct
 * read (decision 0038). madvise(2) with MADV_HUGEPAGE marks the memory, and MADV_COLLAPSE (Linux 6.1 on) moves what
 * is already there onto huge pages at once; an older kernel's khugepaged does it in the background. Where the system
 * does not allow it (transparent huge pages set to {@code never}, or no free 2 MiB of physical memory), the memory
 * stays on small pages and nothing else changes.
 *
 * <p>The calls go through {@link Libc}: on Java 21, or without madvise, {@link #advise} does nothing.
 */
final class HugePages {
    /** The huge page size that memory to advise should be aligned to and sized in. */
    static final int SIZE = 2 << 20;
    private static final int MADV_HUGEPAGE = 14;
    private static final int MADV_COLLAPSE = 25;
    /**
     * madvise, taking the address as a C long: the same register as a pointer on the 64-bit platforms the JDK's
     * linker supports, without a {@code MemorySegment} per call.
     */
    private static final MethodHandle MADVISE = Libc.function("madvise", Libc.Type.INT, Libc.Type.LONG,
            Libc.Type.LONG, Libc.Type.INT);

    private HugePages() {
    }

    /**
     * Advises the memory of {@code direct} (from index 0 to its capacity) to use huge pages; returns whether the
     * kernel took the advice (false on Java 21, where transparent huge pages are off, or off Linux).
     */
    static boolean advise(ByteBuffer direct) {
        if (MADVISE == null) {
            return false;
        }
        try {
            long at = Libc.address(direct);
            long bytes = direct.capacity();
            if ((int) MADVISE.invokeExact(at, bytes, MADV_HUGEPAGE) != 0) {
                return false;
            }
            int ignored = (int) MADVISE.invokeExact(at, bytes, MADV_COLLAPSE); // EINVAL before Linux 6.1
            return true;
        } catch (Error e) {
            throw e;
        } catch (Throwable e) {
            return false;
        }
    }
}
