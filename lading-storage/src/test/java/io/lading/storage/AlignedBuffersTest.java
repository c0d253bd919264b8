package io.lading.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pool of aligned buffers that direct reads and pipelined writes share. */
class AlignedBuffersTest {
    private static final int SIZE = AlignedBuffers.MEBIBYTE;

    @Test
    void givesBuffersAlignedForEveryBlockThatShareNoMemoryAndMakesMoreWhenTheSlabIsInUse() {
        AlignedBuffers pool = new AlignedBuffers(SIZE, 4);
        for (int block : new int[] {1, 4096, 512, 65536, SIZE}) {
            List<ByteBuffer> taken = new ArrayList<>();
            for (int i = 0; i < 6; i++) { // two more than the slab holds
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
            // The first four are the slab's, the two past them are not.
            assertThat(pool.span(taken.toArray(ByteBuffer[]::new), 0, 4)).isNotNull();
            assertThat(pool.span(taken.toArray(ByteBuffer[]::new), 4, 5)).isNull();
            taken.forEach(pool::release);
        }
        assertThatThrownBy(() -> pool.acquire(3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pool.acquire(2 * SIZE)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void buffersMadePastTheSlabAreReusedWhileItIsBusyAndLetGoAsItFrees() {
        AlignedBuffers pool = new AlignedBuffers(SIZE, 2);
        ByteBuffer a = pool.acquire(4096);
        ByteBuffer b = pool.acquire(4096);
        ByteBuffer c = pool.acquire(4096); // the slab is busy: made outside it
        ByteBuffer d = pool.acquire(1);
        assertThat(d.alignmentOffset(0, 4096)).as("outside buffers serve direct I/O too").isZero();
        pool.release(c);
        pool.release(d);
        assertThat(pool.acquire(4096)).as("a spare, while the slab is busy").isSameAs(c);
        pool.release(a); // a slot is free again: the other spare (d) is let go
        ByteBuffer e = pool.acquire(4096);
        assertThat(pool.span(new ByteBuffer[] {e}, 0, 1)).as("the slot given back").isNotNull();
        ByteBuffer f = pool.acquire(4096);
        assertThat(f).isNotSameAs(d).isNotSameAs(c);
        assertThat(pool.span(new ByteBuffer[] {f}, 0, 1)).isNull();
    }

    @Test
    void buffersAskedForTogetherLieSideBySideWhereARunIsFreeAndSpanJoinsThem() {
        AlignedBuffers pool = new AlignedBuffers(SIZE, 8);
        ByteBuffer[] single = new ByteBuffer[8];
        for (int i = 0; i < 8; i++) {
            single[i] = pool.acquire(4096);
        }
        pool.release(single[1]);
        pool.release(single[3]);
        pool.release(single[4]);
        pool.release(single[5]);
        ByteBuffer[] three = new ByteBuffer[3];
        pool.acquire(three, 3, 4096); // slots 3, 4, 5: the first run of three free ones
        for (int i = 0; i < 3; i++) {
            three[i].put(0, (byte) (10 + i)).put(SIZE - 1, (byte) (20 + i));
        }
        ByteBuffer whole = pool.span(three, 0, 3);
        assertThat(whole).isNotNull();
        assertThat(whole.capacity()).isEqualTo(3 * SIZE);
        for (int i = 0; i < 3; i++) {
            assertThat(whole.get(i * SIZE)).isEqualTo((byte) (10 + i));
            assertThat(whole.get((i + 1) * SIZE - 1)).isEqualTo((byte) (20 + i));
        }
        assertThat(pool.span(three, 1, 3).get(0)).isEqualTo((byte) 11);
        assertThat(pool.span(new ByteBuffer[] {three[1], three[0]}, 0, 2)).as("out of order").isNull();

        ByteBuffer[] two = new ByteBuffer[2];
        pool.acquire(two, 2, 4096); // only slot 1 is free: one slot, then a buffer outside the slab
        assertThat(pool.span(two, 0, 2)).isNull();
        assertThat(pool.span(two, 0, 1)).isNotNull();
        assertThat(pool.span(two, 1, 2)).isNull();
        two[0].put(0, (byte) 99);
        assertThat(single[0].get(0)).isNotEqualTo((byte) 99);

        // Released slots are given again: after everything is back, a run of all eight is free.
        for (ByteBuffer b : new ByteBuffer[] {single[0], single[2], single[6], single[7], three[0], three[1],
                three[2], two[0], two[1]}) {
            pool.release(b);
        }
        ByteBuffer[] all = new ByteBuffer[8];
        pool.acquire(all, 8, 4096);
        assertThat(pool.span(all, 0, 8)).isNotNull();
    }

    /**
     * Where the JDK can call madvise (Java 22 on) and Linux has transparent huge pages on for advised
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
