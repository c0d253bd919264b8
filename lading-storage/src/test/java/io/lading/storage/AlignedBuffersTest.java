package io.lading.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pool of aligned buffers that direct reads and pipelined writes share. */
class AlignedBuffersTest {
    private static final int SIZE = AlignedBuffers.MEBIBYTE;

    @Test
    void keepsItsOwnBuffersAlignedForEveryBlockAndLeavesTheRestToTheCollector() {
        AlignedBuffers pool = new AlignedBuffers(SIZE, 4);
        Set<ByteBuffer> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int block : new int[] {1, 4096, 512, 65536, 1, SIZE}) {
            List<ByteBuffer> taken = new ArrayList<>();
            for (int i = 0; i < 6; i++) { // two more than the pool keeps
                ByteBuffer b = pool.acquire(block);
                assertThat(b.isDirect()).isTrue();
                assertThat(b.alignmentOffset(0, block)).as("alignment to %d", block).isZero();
                assertThat(b.position()).isZero();
                assertThat(b.limit()).isEqualTo(SIZE);
                assertThat(b.capacity()).isEqualTo(SIZE);
                b.put(0, (byte) i).put(SIZE - 1, (byte) i);
                taken.add(b);
            }
            for (int i = 0; i < taken.size(); i++) { // none shares memory with another in use
                assertThat(taken.get(i).get(0)).isEqualTo((byte) i);
                assertThat(taken.get(i).get(SIZE - 1)).isEqualTo((byte) i);
            }
            taken.forEach(pool::release);
            seen.addAll(taken);
        }
        // Buffers come back from the pool: a run of blocks that all pooled buffers satisfy reuses the same four.
        Set<ByteBuffer> second = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int round = 0; round < 3; round++) {
            List<ByteBuffer> taken = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                taken.add(pool.acquire(4096));
            }
            second.addAll(taken);
            taken.forEach(pool::release);
        }
        assertThat(second).hasSize(4);
    }

    /**
     * Where the JDK can call mmap and madvise (Java 22 on) and Linux has transparent huge pages on for advised
     * memory, the pool's buffers lie in huge pages: /proc/self/smaps shows the mapping of the first one backed by
     * AnonHugePages once it is written.
     */
    @Test
    void poolBuffersLieOnHugePagesWhereTheSystemHasThem() throws Exception {
        Path setting = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
        assumeTrue(Runtime.version().feature() >= 22 && Files.isReadable(setting));
        assumeTrue(!Files.readString(setting).contains("[never]"), "transparent huge pages are off here");
        AlignedBuffers pool = new AlignedBuffers(SIZE, 4);
        ByteBuffer b = pool.acquire(4096);
        assertThat(pool.onHugePages()).isTrue();
        for (int i = 0; i < SIZE; i += 4096) {
            b.put(i, (byte) 1); // faults the memory in
        }
        long address = Libc.address(b);
        assertThat(address % HugePages.SIZE).as("first buffer starts a huge page").isZero();
        assertThat(anonHugePagesKib(address)).isGreaterThanOrEqualTo(HugePages.SIZE / 1024);
        pool.release(b);
    }

    /** The AnonHugePages of the mapping that holds {@code address}, in KiB. */
    private static long anonHugePagesKib(long address) throws IOException {
        boolean inside = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                String[] range = line.substring(0, line.indexOf(' ')).split("-");
                inside = Long.parseUnsignedLong(range[0], 16) <= address
                        && address < Long.parseUnsignedLong(range[1], 16);
            } else if (inside && line.startsWith("AnonHugePages:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no mapping holds " + Long.toHexString(address));
    }
}
