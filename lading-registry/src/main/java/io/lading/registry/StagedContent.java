package io.lading.registry;

import io.lading.core.Digest;
import io.lading.metadata.MetadataStore;
import io.lading.metadata.MetadataStore.Durability;
import io.lading.metadata.StagingView.StagedBlob;
import io.lading.metadata.WriteTx;
import io.lading.storage.BlobStore;
import io.lading.storage.InvalidOffsetException;
import io.lading.storage.PathNotFoundException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Small blobs and manifests, pushed with one fsync. A push of content no larger than {@link Settings#maxSize}
 * commits the bytes into the metadata store in the transaction that links them: the commit's log sync is the only
 * sync the client waits for, where writing a file at its blob path costs a sync of the file, of the directory
 * made for it and of that directory's parent, and then the commit's. A background writer puts staged bytes at
 * their blob path (distribution's layout, durably) and then drops them from the metadata store, once the registry
 * has been quiet for a moment (or the backlog is half full), so that its syncs do not compete with requests;
 * bytes a crash left staged are written at the next start, and everything is written before a clean stop.
 *
 * <p>Readers go through {@link #open}, {@link #size} and {@link #read}: a cache of recent small content (whose
 * entries, addressed by digest, cannot be stale), then storage, then the staged bytes, then storage again. The
 * writer drops staged bytes only after they are in storage, so a reader that finds neither in storage nor staged
 * finds the file on its second look, or the content is gone.
 *
 * <p>The backlog (staged bytes not yet written) is bounded by {@link Settings#maxBacklog}: past it, pushes take
 * the ordinary path until the writer has caught up, so a storage outage cannot fill the metadata store.
 */
public final class StagedContent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StagedContent.class);
    /** Staged blobs the writer takes per pass and puts in storage together. */
    private static final int BATCH = 64;
    /** How long the registry must have been quiet before the writer starts (or goes on) writing. */
    private static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final Duration MAX_RETRY_PAUSE = Duration.ofSeconds(30);
    private static final long CACHE_BYTES = 16L << 20;

    /**
     * @param maxSize    lading.storage.staging.maxsize: content up to this many bytes is staged; 0 turns staging off
     * @param maxBacklog lading.storage.staging.maxbacklog: staged bytes not yet in storage above which pushes stop
     *                   staging
     */
    public record Settings(long maxSize, long maxBacklog) {
        /** The largest maxSize: a staged push holds its blob in memory. */
        public static final long LIMIT = 1 << 20;
        public static final Settings DEFAULTS = new Settings(64 * 1024, 64L << 20);
        public static final Settings OFF = new Settings(0, 0);
    }

    private final MetadataStore metadata;
    private final BlobStore blobs;
    private final Settings settings;
    private final AtomicLong backlogBytes = new AtomicLong();
    /** Recently pushed or read small content: manifests, and blobs while they are staged. */
    private final ContentCache cache = new ContentCache(CACHE_BYTES);
    private final Semaphore wake = new Semaphore(0);
    private final AtomicReference<Thread> writer = new AtomicReference<>();
    private volatile boolean closing;
    private volatile long lastActivity = System.nanoTime() - QUIET_NANOS;
    /** Requests being served now (see {@link #requestStarted}). */
    private final AtomicInteger inFlight = new AtomicInteger();

    public StagedContent(MetadataStore metadata, BlobStore blobs, Settings settings) {
        this.metadata = metadata;
        this.blobs = blobs;
        this.settings = settings;
        backlogBytes.set(metadata.read(tx -> tx.staging().backlog()).bytes());
    }

    /** True when a push of {@code size} bytes should be staged. */
    public boolean accepts(long size) {
        return size >= 0 && size <= settings.maxSize() && backlogBytes.get() < settings.maxBacklog() && !closing;
    }

    /**
     * Stages {@code bytes} as the content of {@code digest} and runs {@code link} in the same durable transaction,
     * following the collector protocol (docs/design/gc.md) with the claim in that transaction too: no collection
     * can come between claiming, staging and linking. Waits while a collection is deleting the digest's bytes.
     */
    <T> T store(Digest digest, byte[] bytes, MetadataStore.Work<WriteTx, T> link) {
        T result = BlobClaims.storeClaimed(metadata, digest, bytes.length, tx -> {
            tx.staging().stage(digest, bytes);
            return link.run(tx);
        });
        backlogBytes.addAndGet(bytes.length);
        cache.put(digest, bytes);
        noteActivity();
        wake.release();
        return result;
    }

    /** Opens the bytes of {@code digest} at {@code offset}. @throws PathNotFoundException when there are none */
    public ReadableByteChannel open(Digest digest, long offset) throws IOException {
        byte[] cached = cache.get(digest);
        if (cached != null) {
            return channel(digest, cached, offset);
        }
        try {
            return blobs.open(digest, offset);
        } catch (PathNotFoundException e) {
            Optional<byte[]> staged = staged(digest);
            if (staged.isEmpty()) {
                return blobs.open(digest, offset);
            }
            cache.put(digest, staged.get());
            return channel(digest, staged.get(), offset);
        }
    }

    private static ReadableByteChannel channel(Digest digest, byte[] b, long offset) throws InvalidOffsetException {
        if (offset > b.length) {
            throw new InvalidOffsetException(BlobStore.blobPath(digest), offset, b.length);
        }
        return Channels.newChannel(new ByteArrayInputStream(b, (int) offset, b.length - (int) offset));
    }

    /**
     * Size of the bytes of {@code digest}, when they are in storage or staged (not merely cached: this answers
     * whether the bytes are in place, e.g. before a mount).
     */
    public Optional<Long> size(Digest digest) throws IOException {
        Optional<Long> size = blobs.size(digest);
        if (size.isPresent()) {
            return size;
        }
        Optional<byte[]> staged = staged(digest);
        return staged.isPresent() ? Optional.of((long) staged.get().length) : blobs.size(digest);
    }

    /** The bytes of small content (a manifest), whole. @throws PathNotFoundException when there are none */
    public byte[] read(Digest digest, int maxBytes) throws IOException {
        byte[] bytes = cache.get(digest);
        if (bytes != null) {
            return bytes;
        }
        try {
            bytes = blobs.readSmall(digest, maxBytes);
        } catch (PathNotFoundException e) {
            Optional<byte[]> staged = staged(digest);
            bytes = staged.isPresent() ? staged.get() : blobs.readSmall(digest, maxBytes);
        }
        cache.put(digest, bytes);
        return bytes;
    }

    /**
     * A URL the storage serves the blob's bytes from ({@link BlobStore#redirectUrl}), for content that is in storage:
     * none for content small enough to be staged now, nor for content staged under a larger maxsize before a restart
     * and not written out yet (staged bytes are not in storage).
     */
    public Optional<java.net.URI> redirectUrl(Digest digest, long size) {
        if (size <= settings.maxSize()) {
            return Optional.empty();
        }
        Optional<java.net.URI> url = blobs.redirectUrl(digest);
        if (url.isPresent() && size <= Settings.LIMIT && backlogBytes.get() > 0 && staged(digest).isPresent()) {
            return Optional.empty();
        }
        return url;
    }

    /** The bytes of {@code digest} when they are in memory (recently pushed or read small content). Never blocks. */
    public Optional<byte[]> cached(Digest digest) {
        return Optional.ofNullable(cache.get(digest));
    }

    private Optional<byte[]> staged(Digest digest) {
        return metadata.read(tx -> tx.staging().get(digest));
    }

    /** Staged bytes not yet in storage. */
    public long backlogBytes() {
        return backlogBytes.get();
    }

    /** Starts the background writer (which first writes whatever a previous run left staged). */
    public void start() {
        Thread t = Thread.ofVirtual().name("lading-staged-writer").unstarted(this::run);
        if (writer.compareAndSet(null, t)) {
            t.start();
        }
    }

    private void run() {
        long pauseMs = 0;
        while (!closing) {
            try {
                wake.tryAcquire(pauseMs > 0 ? pauseMs : 1000, TimeUnit.MILLISECONDS);
                wake.drainPermits();
                awaitQuiet();
                write(true);
                pauseMs = 0;
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                pauseMs = Math.min(Math.max(pauseMs * 2, 500), MAX_RETRY_PAUSE.toMillis());
                LOG.warn("staged content: writing to storage failed ({}); {} bytes wait in the metadata store, retrying"
                        + " in {} ms", e.getMessage(), backlogBytes.get(), pauseMs);
            }
        }
    }

    /**
     * Waits until the registry has been quiet (no request in flight, none finished and nothing staged for {@link
     * #QUIET_NANOS}), or the backlog is half full: the writer's syncs would otherwise compete with requests for the
     * device and the CPU, and the bytes are safe where they are.
     */
    private void awaitQuiet() throws InterruptedException {
        while (busy()) {
            long wait = QUIET_NANOS - (System.nanoTime() - lastActivity); // not positive: waiting for requests
            Thread.sleep(Math.max(1, (wait > 0 ? wait : QUIET_NANOS / 5) / 1_000_000));
        }
    }

    /** Tells the writer the registry is serving a request now (it waits for a quiet moment to write). */
    public void noteActivity() {
        lastActivity = System.nanoTime();
    }

    /**
     * Tells the writer a request has begun; {@link #requestFinished} must follow. A request in flight keeps the
     * registry busy however long it lasts: a download of a large blob, whose only activity otherwise shows when it
     * ends, would let the writer's syncs compete with it after {@link #QUIET_NANOS}.
     */
    public void requestStarted() {
        inFlight.incrementAndGet();
    }

    /** Tells the writer a request begun with {@link #requestStarted} has ended. */
    public void requestFinished() {
        noteActivity();
        inFlight.decrementAndGet();
    }

    private boolean pressed() {
        return backlogBytes.get() >= settings.maxBacklog() / 2;
    }

    /**
     * Writes everything staged to storage and drops it from the metadata store; returns how many blobs it wrote.
     * The background writer calls this; so does a clean stop, and tests.
     */
    public int writeStaged() throws IOException {
        return write(false);
    }

    /** @param yield stop (after the batch being written) while the registry is busy and the backlog not pressing */
    private int write(boolean yield) throws IOException {
        int written = 0;
        while (!(yield && busy())) {
            List<StagedBlob> batch = metadata.read(tx -> tx.staging().first(BATCH));
            if (batch.isEmpty()) {
                // The count kept between passes is an estimate (a push may stage bytes staged already, a collection
                // may drop staged bytes); the store's figure is the truth.
                backlogBytes.set(metadata.read(tx -> tx.staging().backlog()).bytes());
                break;
            }
            Map<Digest, byte[]> contents = new LinkedHashMap<>();
            batch.forEach(b -> contents.put(b.digest(), b.bytes()));
            blobs.putSmall(contents); // on failure nothing is dropped: the next pass skips what got stored
            written += settle(batch);
        }
        return written;
    }

    private boolean busy() {
        return !closing && !pressed() && (inFlight.get() > 0 || System.nanoTime() - lastActivity < QUIET_NANOS);
    }

    /**
     * Drops blobs now durable in storage from the metadata store; returns how many. Losing this bookkeeping to a
     * power cut only writes them again. A collection may have decided to delete a blob while it was being written:
     * then the file just written is deleted again, under the collector's protocol (marked first, so a push of the
     * digest waits).
     */
    private int settle(List<StagedBlob> stored) throws IOException {
        List<Digest> collected = new ArrayList<>();
        List<Digest> forgotten = new ArrayList<>();
        int dropped = metadata.write(Durability.PROCESS_CRASH_SAFE, tx -> {
            collected.clear();
            forgotten.clear();
            int n = 0;
            for (StagedBlob b : stored) {
                Digest d = b.digest();
                if (!tx.blobKnown(d)) {
                    tx.markOrphanDeleting(d); // the collection has finished with it: it is now an orphan
                    forgotten.add(d);
                } else if (tx.blobSize(d).isEmpty()) {
                    collected.add(d); // the collection is deleting it and will forget it (and its staged row)
                } else {
                    tx.staging().unstage(d);
                    n++;
                }
            }
            return n;
        });
        for (Digest d : collected) {
            blobs.deleteBlob(d);
        }
        for (Digest d : forgotten) {
            blobs.deleteBlob(d);
        }
        if (!forgotten.isEmpty()) {
            metadata.write(Durability.PROCESS_CRASH_SAFE, tx -> {
                forgotten.forEach(tx::forgetBlob);
                return null;
            });
        }
        backlogBytes.addAndGet(-stored.stream().mapToLong(b -> b.bytes().length).sum());
        return dropped;
    }

    /** Stops the background writer, then writes what is still staged, so the storage is complete on its own. */
    @Override
    public void close() throws IOException {
        closing = true;
        wake.release();
        Thread w = writer.get();
        if (w != null) {
            try { // not interrupted: that would close the channel of a file it is writing
                w.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        writeStaged();
    }
}
