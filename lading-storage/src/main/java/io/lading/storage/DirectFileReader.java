package io.lading.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * Reads a large file with {@code O_DIRECT}, the counterpart of {@link PipelinedFileWriter}'s direct mode: a blob
 * written past the page cache is read past it too, from the device into an aligned buffer, instead of first filling
 * new page-cache pages (which is what made reads of such blobs slow on the machines Lading is measured on). While
 * few readers are open, the next chunks are read on another thread while the caller takes the current ones, so
 * disk reads overlap with sending; with more, other pulls fill that time, and the next chunks are read when the
 * current ones are sent (decision 0037). A sender that {@linkplain #lend borrows} the chunks sends them without
 * copying them into a buffer of its own.
 *
 * <p>After the first chunk, chunks are read in groups of two, then of up to {@link #GROUP}, each group with one
 * scattering read (decision 0036): on the measured VM a direct read cost about as much per call (the wait for the
 * device, a wake-up, a hand-off between threads) as per mebibyte read. Each reader has two chunks of its own (the
 * one being sent and the one read ahead, or the first two of a group read when the last was sent); the others of a
 * group take permits of {@link #EXTRA}, taken only while at most {@link #FEW} bounded readers are open: four
 * readers and the extras hold at most sixteen chunks, as many as eight readers of two chunks, which is what the
 * slab of the pool they share with pipelined writes holds (buffers past it are new memory, kept only while the slab
 * stays busy). Extras taken before more readers opened are given back as their group is sent. A group whose chunks
 * got adjacent slots is lent whole (decision 0038).
 *
 * <p>O_DIRECT wants block-aligned positions, lengths and buffer addresses: chunks start at block boundaries (the
 * first one at the block holding the offset, its head skipped), and a read at the end of the file returns what
 * is left.
 */
final class DirectFileReader implements LendingChannel {
    /**
     * Chunk size; a multiple of every block size we accept. A mebibyte rather than half of one: half the reads and
     * hand-offs per GB pulled (decision 0035).
     */
    static final int CHUNK = AlignedBuffers.MEBIBYTE;
    /**
     * Readers open at once; past that, {@link #open} says no and the driver reads through the page cache. Each
     * holds two chunks (more while few are open, within the same total), so direct reads take about 16 MiB of
     * direct memory at most, from the pool pipelined writes share: without the bound, 512 pulls of large blobs at
     * once would ask for 1 GiB.
     */
    static final int MAX_OPEN = 8;
    /** Chunks read by one call, at most. */
    static final int GROUP = 4;
    /** Groups are read while at most this many bounded readers are open (see the class comment). */
    static final int FEW = 4;
    /** The next group is read ahead, on another thread, while at most this many bounded readers are open. */
    static final int AHEAD = 2;
    /**
     * Chunks that groups may hold on top of the two of each open reader: a lone reader's whole groups, or what
     * {@link #FEW} readers that do not read ahead need for groups of {@link #GROUP}.
     */
    static final int EXTRA_CHUNKS = FEW * (GROUP - 2);
    /**
     * Chunks of a group read ahead that are the reader's own and take no permit: its first (the reader's other one
     * is in the group being sent meanwhile). The first chunk of a blob, read alone, counts the same way.
     */
    private static final int OWN_AHEAD = 1;
    /** Chunks of a group read when the last one was sent that are the reader's own: its first two. */
    private static final int OWN_IN_TURN = 2;
    private static final Semaphore EXTRA = new Semaphore(EXTRA_CHUNKS);
    private static final AlignedBuffers BUFFERS = AlignedBuffers.MEBIBYTES;
    private static final Semaphore OPEN = new Semaphore(MAX_OPEN);
    private static final ExecutorService READERS = Executors.newVirtualThreadPerTaskExecutor();

    private final FileChannel channel;
    private final int block;
    private final long size;
    /** Whether this reader holds one of the {@link #OPEN} permits. */
    private final boolean bounded;
    /**
     * The group being handed out: its chunks before {@link #index} are given back, the one at it is positioned at the
     * next byte to hand out; null once the file is exhausted. Chunks from {@link #currentFree} on hold a permit of
     * {@link #EXTRA}.
     */
    private ByteBuffer[] current;
    private int index;
    /** Chunks of {@link #current} that need no permit: {@link #OWN_AHEAD} or {@link #OWN_IN_TURN}. */
    private int currentFree = OWN_AHEAD;
    /**
     * The read of the group after {@link #current}, of which the first chunk needs no permit, or null when none was
     * started: then the next group is read when the current one is sent.
     */
    private CompletableFuture<ByteBuffer[]> ahead;
    /** File position of the next group to read, ahead or when the current one is sent. */
    private long nextStart;
    /**
     * Chunks of the last group read. The next may have twice as many: a group of four takes about twice as long to
     * read as one chunk takes to send, so the first groups grow, and the first bytes of a pull do not wait for them.
     */
    private int lastCount = 1;
    /** Read calls made so far (the scattering reads of groups count one each), for tests. */
    private final java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();

    private DirectFileReader(FileChannel channel, int block, long size, boolean bounded) {
        this.channel = channel;
        this.block = block;
        this.size = size;
        this.bounded = bounded;
    }

    /**
     * Opens {@code path} for direct reads from {@code offset} (at most the file's size). Returns null when the file
     * system does not support O_DIRECT (tmpfs, some network file systems), or when {@link #MAX_OPEN} readers are
     * open already: the caller then reads through the page cache.
     */
    static DirectFileReader open(Path path, long offset) throws IOException {
        if (!OPEN.tryAcquire()) {
            return null;
        }
        return open(path, offset, true, true);
    }

    /**
     * Opens {@code path} for one direct read of all of it, for a check or a copy of what is on the device: outside
     * the bound of {@link #MAX_OPEN}, which such reads must not fall back on (they run one at a time), and without
     * logging a file system that refuses O_DIRECT (null then; the caller reads through the page cache).
     */
    static DirectFileReader openUnbounded(Path path) throws IOException {
        return open(path, 0, false, false);
    }

    /** Opens the reader; {@code bounded} when it holds one of the {@link #OPEN} permits, which it gives back. */
    private static DirectFileReader open(Path path, long offset, boolean report, boolean bounded) throws IOException {
        DirectChannel direct = DirectChannel.open(path, StandardOpenOption.READ, CHUNK, report);
        if (direct == null) {
            if (bounded) {
                OPEN.release();
            }
            return null;
        }
        FileChannel ch = direct.channel();
        int block = direct.block();
        try {
            DirectFileReader r = new DirectFileReader(ch, block, ch.size(), bounded);
            long start = offset - offset % block;
            // One chunk first, for the first byte's sake (and a short range's): groups from the second on.
            r.current = r.readGroup(start, 1, OWN_AHEAD);
            r.current[0].position((int) Math.min(offset - start, r.current[0].limit()));
            r.nextStart = start + CHUNK;
            r.readAheadIfFew();
            return r;
        } catch (IOException | RuntimeException e) {
            if (bounded) {
                OPEN.release();
            }
            ch.close();
            throw e;
        }
    }

    /**
     * Reads {@code count} chunks from {@code start} (block-aligned) into pooled aligned buffers with one scattering
     * read (and more only when the kernel returns less), flipped; the caller holds a permit of {@link #EXTRA} for
     * each chunk from {@code free} on. Chunks past the end of the file are given back with their permits, so every
     * chunk returned but the last is full.
     */
    private ByteBuffer[] readGroup(long start, int count, int free) throws IOException {
        ByteBuffer[] group = new ByteBuffer[count];
        try {
            BUFFERS.acquire(group, count, block);
            channel.position(start);
            long read = 0;
            while (read < (long) count * CHUNK) {
                reads.incrementAndGet();
                long n = channel.read(group, (int) (read / CHUNK), count - (int) (read / CHUNK));
                if (n <= 0) {
                    break; // end of file: the last chunk is short
                }
                read += n;
                if (read % block != 0) {
                    break; // a short read ends at the end of the file
                }
            }
            int filled = (int) Math.max(1, (read + CHUNK - 1) / CHUNK);
            giveBack(group, filled, count, free);
            ByteBuffer[] done = filled == count ? group : java.util.Arrays.copyOf(group, filled);
            for (ByteBuffer b : done) {
                b.flip();
            }
            return done;
        } catch (IOException | RuntimeException e) {
            giveBack(group, 0, count, free); // a buffer not acquired yet is null, which the pool ignores
            throw e;
        }
    }

    /**
     * While at most {@link #AHEAD} bounded readers are open, starts reading the next group on another thread, so
     * that it is read while the current one is sent. With more open, the device and the processors have other
     * pulls to serve meanwhile: the next group is read when the current one is sent, on the sender's thread, which
     * saves a hand-off between threads per group, and the chunks the group read ahead would hold make the groups of
     * four readers at once as large as a lone reader's (decision 0037).
     */
    private void readAheadIfFew() {
        ahead = null;
        if (nextStart >= size || openReaders() > AHEAD) {
            return;
        }
        long start = nextStart;
        int count = plan(OWN_AHEAD);
        ahead = CompletableFuture.supplyAsync(() -> {
            try {
                return readGroup(start, count, OWN_AHEAD);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, READERS);
    }

    /**
     * Plans the group at {@link #nextStart}: twice the last one's chunks, at most {@link #GROUP} and as many as are
     * left; past the first {@code free}, each takes a permit of {@link #EXTRA}, as far as they last and only while
     * at most {@link #FEW} bounded readers are open. Returns the group's chunks and moves {@link #nextStart} past it.
     */
    private int plan(int free) {
        int wanted = (int) Math.min(Math.min(GROUP, 2 * lastCount), (size - nextStart + CHUNK - 1) / CHUNK);
        int extras = openReaders() <= FEW ? Math.max(0, wanted - free) : 0;
        while (extras > 0 && !EXTRA.tryAcquire(extras)) {
            extras--;
        }
        int count = Math.min(wanted, free + extras);
        lastCount = count;
        nextStart += (long) count * CHUNK;
        return count;
    }

    private static int openReaders() {
        return MAX_OPEN - OPEN.availablePermits();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        ByteBuffer lent = lend(dst.remaining());
        if (lent == null) {
            return -1;
        }
        int n = lent.remaining();
        dst.put(lent);
        return n;
    }

    /**
     * Lends up to {@code max} of the next bytes: from the chunk being handed out and, when the group's chunks lie side
     * by side in the pool ({@link AlignedBuffers#span}), from the chunks after it too, so that a sender writes a
     * whole group with one call.
     */
    @Override
    public ByteBuffer lend(int max) throws IOException {
        ByteBuffer from = unread();
        if (from == null) {
            return null;
        }
        ByteBuffer whole = index + 1 < current.length ? BUFFERS.span(current, index, current.length) : null;
        if (whole == null) {
            int n = Math.min(max, from.remaining());
            ByteBuffer lent = from.slice(from.position(), n);
            from.position(from.position() + n);
            return lent;
        }
        // Every chunk of a group but the last is full, so chunk index + i starts i chunks into whole.
        int end = (current.length - 1 - index) * CHUNK + current[current.length - 1].limit();
        int n = Math.min(max, end - from.position());
        ByteBuffer lent = whole.slice(from.position(), n);
        for (int i = index, left = n; left > 0; i++) {
            int taken = Math.min(left, current[i].remaining());
            current[i].position(current[i].position() + taken);
            left -= taken;
        }
        return lent;
    }

    /**
     * The chunk with bytes not handed out yet, positioned at the first of them, or null at the end of the file. A
     * chunk handed out whole goes back to the pool here, so what was lent from it is no longer the caller's.
     */
    private ByteBuffer unread() throws IOException {
        if (!channel.isOpen()) {
            throw new ClosedChannelException();
        }
        while (current != null && !current[index].hasRemaining()) {
            giveBack(current, index, index + 1, currentFree);
            if (++index < current.length) {
                continue;
            }
            current = null;
            index = 0;
            if (ahead != null) {
                // ahead stays set until its group is taken: if the wait is interrupted, close() still gives it back
                current = Futures.get(ahead, "interrupted reading a blob");
                ahead = null;
                currentFree = OWN_AHEAD;
            } else if (nextStart < size) {
                long start = nextStart;
                int count = plan(OWN_IN_TURN);
                current = readGroup(start, count, OWN_IN_TURN);
                currentFree = OWN_IN_TURN;
            }
            if (current != null) {
                readAheadIfFew();
            }
        }
        return current == null ? null : current[index];
    }

    /**
     * Gives the chunks {@code from} (inclusive) to {@code to} of a group back to the pool, with the permits of those
     * from {@code free} on.
     */
    private static void giveBack(ByteBuffer[] group, int from, int to, int free) {
        for (int i = from; i < to; i++) {
            BUFFERS.release(group[i]);
            if (i >= free) {
                EXTRA.release();
            }
        }
    }

    /** Read calls made so far. */
    int reads() {
        return reads.get();
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        if (!channel.isOpen()) {
            return;
        }
        CompletableFuture<ByteBuffer[]> pending = ahead;
        ahead = null;
        if (pending != null && Futures.awaitEnd(pending) == null) { // the read ends before its channel closes
            ByteBuffer[] group = pending.resultNow();
            giveBack(group, 0, group.length, OWN_AHEAD);
        }
        if (current != null) {
            giveBack(current, index, current.length, currentFree);
        }
        current = null;
        channel.close();
        if (bounded) {
            OPEN.release();
        }
    }
}
