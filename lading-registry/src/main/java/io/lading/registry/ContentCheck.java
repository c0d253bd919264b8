package io.lading.registry;

import io.lading.core.Digest;
import io.lading.metadata.BlobRecord;
import io.lading.metadata.BlobUse;
import io.lading.metadata.MetadataStore;
import io.lading.storage.BlobStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ReadableByteChannel;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consistency check of what the registry holds: first the metadata store's own integrity
 * ({@link MetadataStore#integrityProblems}); then, for every blob the metadata records (manifests included), whether
 * its data is in storage (or staged in the metadata store) with the recorded size, and, when asked, whether its bytes
 * still hash to its digest. It finds content lost behind the registry's back (files deleted by hand, a restored
 * backup that is older than the database, a failing disk) before a client pulls it.
 *
 * <p>Only content clients can reach counts: a blob with no link and no manifest using it is a push that has not
 * linked it yet, or the collector's to take, so its data may come and go. What is found is reported with the
 * repositories, manifests and tags that reach it. Data that is missing is handed to {@code lost} (the running
 * registry then answers HEAD of it with 404, so the next client that pushes it stores it again); corrupt data is
 * moved aside when asked ({@link Options#quarantine}) and then counts as missing, since a push cannot replace bytes
 * that are in place (content addressing drops the copy).
 *
 * <p>It reads the metadata in pages of short read transactions and changes nothing in it, so it runs while the
 * registry serves. One check runs at a time per instance.
 */
public final class ContentCheck {
    private static final Logger LOG = LoggerFactory.getLogger(ContentCheck.class);
    private static final int PAGE = 500;
    /** Places listed per finding: enough to tell the operator where to look. */
    static final int USES = 20;
    /** Findings kept in a result; the count goes on past it. */
    static final int KEPT = 1000;
    private static final int READ_BUFFER = 1 << 20;

    /** What is wrong with a blob's data. */
    public enum Problem {
        /** Neither in storage nor staged. */
        MISSING,
        /** In storage with another size than the one recorded (a truncated or overwritten file). */
        WRONG_SIZE,
        /** In storage with the recorded size, but its bytes hash to another digest. */
        CORRUPT,
        /** In storage, but reading it failed (an I/O error from a failing disk, a file without read permission). */
        UNREADABLE
    }

    /**
     * @param verify     read every byte and hash it (without it, only presence and size are checked)
     * @param quarantine move data found WRONG_SIZE, CORRUPT or UNREADABLE out of the blob store (under
     *                   {@code /quarantine}), so that the next push of the content stores good bytes
     * @param verifyRate bytes per second a verify check reads at most, so that it leaves the disk to clients
     *                   ({@link Pacer}); 0 for as fast as storage gives them
     */
    public record Options(boolean verify, boolean quarantine, long verifyRate) {
        public Options {
            if (verifyRate < 0) {
                throw new IllegalArgumentException("the verify rate must not be negative: " + verifyRate);
            }
        }

        /** Options without a limit on the verify rate. */
        public Options(boolean verify, boolean quarantine) {
            this(verify, quarantine, 0);
        }
    }

    /**
     * One damaged blob. {@code movedTo} is the storage path its data was moved to (quarantine), or null. {@code uses}
     * lists at most {@value #USES} places that reach it.
     */
    public record Finding(Digest digest, long size, Problem problem, String detail, List<BlobUse> uses,
                          String movedTo) {
        public Finding {
            uses = List.copyOf(uses);
        }
    }

    /**
     * What a check found. {@code findings} keeps the first {@value #KEPT}; {@code problems} counts all of them.
     * {@code bytes} is the recorded size of the blobs checked, {@code bytesRead} what was read to hash them.
     * {@code metadataProblems} is what the metadata store found wrong with itself.
     */
    public record Result(Options options, Instant started, Duration took, long blobs, long bytes, long bytesRead,
                         long problems, List<Finding> findings, List<String> metadataProblems) {
        public Result {
            findings = List.copyOf(findings);
            metadataProblems = List.copyOf(metadataProblems);
        }

        /** Nothing damaged: neither blob data nor the metadata store. */
        public boolean sound() {
            return problems == 0 && metadataProblems.isEmpty();
        }

        /** Damaged blobs and problems of the metadata store together. */
        public long damaged() {
            return problems + metadataProblems.size();
        }
    }

    /** How far a running check is. Totals are the metadata's counts at the start. */
    public record Progress(long blobs, long totalBlobs, long bytes, long totalBytes, long problems) {
    }

    /** Reports from the checking thread; every method has a no-op default. */
    public interface Listener {
        default void progress(Progress progress) {
        }

        default void found(Finding finding) {
        }
    }

    /** Thrown by {@link #run} when a check is running already. */
    public static final class AlreadyRunningException extends IllegalStateException {
        AlreadyRunningException() {
            super("a content check is already running");
        }
    }

    private final MetadataStore metadata;
    private final BlobStore blobs;
    private final Clock clock;
    private final Consumer<Digest> lost;
    private final java.util.function.LongSupplier nanoTime;
    private final Pacer.Sleeper sleeper;
    /** Not a lock: a listener calling {@link #run} on the checking thread must be refused too. */
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile Progress progress;
    private volatile Result last;
    private volatile String failure;

    /** @param lost told of each blob whose data is gone after the check (missing, or moved to quarantine) */
    public ContentCheck(MetadataStore metadata, BlobStore blobs, Clock clock, Consumer<Digest> lost) {
        this(metadata, blobs, clock, lost, System::nanoTime, Pacer.Sleeper.THREAD);
    }

    /** With the time source and the sleeps that pace a verify check's reads (tests pass their own). */
    ContentCheck(MetadataStore metadata, BlobStore blobs, Clock clock, Consumer<Digest> lost,
                 java.util.function.LongSupplier nanoTime, Pacer.Sleeper sleeper) {
        this.metadata = metadata;
        this.blobs = blobs;
        this.clock = clock;
        this.lost = lost;
        this.nanoTime = nanoTime;
        this.sleeper = sleeper;
    }

    public boolean isRunning() {
        return running.get();
    }

    /** Where the running check is, if one runs. */
    public Optional<Progress> progress() {
        return isRunning() ? Optional.ofNullable(progress) : Optional.empty();
    }

    /** The last check this instance finished, if any. */
    public Optional<Result> last() {
        return Optional.ofNullable(last);
    }

    /** Why the last check that started did not finish; empty when it finished (or none ran). */
    public Optional<String> lastFailure() {
        return Optional.ofNullable(failure);
    }

    /**
     * Runs a check on the calling thread. @throws AlreadyRunningException when one is running;
     * CancellationException when the thread is interrupted (it stops between two blobs); a failure of the metadata
     * store, or of a move to quarantine, ends the check with the exception (a blob that cannot be read is a
     * finding, {@link Problem#UNREADABLE})
     */
    public Result run(Options options, Listener listener) {
        if (!running.compareAndSet(false, true)) {
            throw new AlreadyRunningException();
        }
        try {
            Result r = runLocked(options, listener);
            last = r;
            failure = null;
            return r;
        } catch (RuntimeException e) {
            failure = clock.instant() + ": " + e.getMessage();
            throw e;
        } finally {
            progress = null;
            running.set(false);
        }
    }

    /** What a check has seen so far, and the pace of its reads. */
    private static final class Tally {
        long blobs;
        long bytes;
        long problems;
        long read;
        final List<Finding> findings = new ArrayList<>();
        final Pacer pacer;

        Tally(Pacer pacer) {
            this.pacer = pacer;
        }

        /** Counts {@code n} bytes read to hash them; waits while reading is ahead of the rate asked. */
        void read(long n) {
            read += n;
            pacer.pacedOrStop(n, STOPPED);
        }
    }

    private Result runLocked(Options options, Listener listener) {
        Instant started = clock.instant();
        List<String> metadataProblems = metadata.integrityProblems();
        metadataProblems.forEach(p -> LOG.error("content check: the metadata store is damaged: {}", p));
        io.lading.metadata.Usage total = metadata.read(tx -> tx.usage());
        Tally tally = new Tally(new Pacer(options.verifyRate(), nanoTime, sleeper));
        ByteBuffer buffer = options.verify() ? ByteBuffer.allocate(READ_BUFFER) : null;
        metadata.forEachBlob(PAGE, blob -> {
            if (Thread.currentThread().isInterrupted()) {
                throw stopped();
            }
            Finding f = check(blob, options, buffer, tally);
            tally.blobs++;
            tally.bytes += blob.size();
            if (f != null) {
                tally.problems++;
                if (tally.findings.size() < KEPT) {
                    tally.findings.add(f);
                }
                log(f);
                if (f.problem() == Problem.MISSING || f.movedTo() != null) {
                    lost.accept(f.digest());
                }
                listener.found(f);
            }
            Progress p = new Progress(tally.blobs, Math.max(tally.blobs, total.blobs()), tally.bytes,
                    Math.max(tally.bytes, total.bytes()), tally.problems);
            progress = p;
            listener.progress(p);
        });
        Duration took = Duration.between(started, clock.instant());
        LOG.info("content check: {} blobs ({} bytes{}) checked in {} ms, {} damaged, {} problems in the metadata"
                        + " store", tally.blobs, tally.bytes, options.verify() ? ", all read and hashed"
                        : ", presence and size", took.toMillis(), tally.problems, metadataProblems.size());
        return new Result(options, started, took, tally.blobs, tally.bytes, tally.read, tally.problems,
                tally.findings, metadataProblems);
    }

    private static void log(Finding f) {
        LOG.error("content check: {} {} ({} bytes): {}; reached from {}{}", f.problem(), f.digest(), f.size(),
                f.detail(), f.uses().isEmpty() ? "nothing" : describe(f.uses()),
                f.movedTo() == null ? "" : "; its data was moved to " + f.movedTo());
    }

    /** {@code repo@digest (tags a, b)} for each use, comma-separated. */
    public static String describe(List<BlobUse> uses) {
        StringBuilder sb = new StringBuilder();
        for (BlobUse u : uses) {
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append(u.repository());
            if (u.manifest() != null) {
                sb.append('@').append(u.manifest());
                if (!u.tags().isEmpty()) {
                    sb.append(" (tags ").append(String.join(", ", u.tags())).append(')');
                }
            }
        }
        return sb.toString();
    }

    private static final String STOPPED = "content check stopped: its thread was interrupted";

    private static CancellationException stopped() {
        return new CancellationException(STOPPED);
    }

    /** What is wrong with a blob's data; {@code movable} when it is in storage (and so can go to quarantine). */
    private record Verdict(Problem problem, String detail, boolean movable) {
    }

    /** Checks one blob; null when it is sound, or when nothing reaches it. */
    private Finding check(BlobRecord blob, Options options, ByteBuffer buffer, Tally tally) {
        Verdict verdict;
        try {
            verdict = inspect(blob, options.verify(), buffer, tally);
        } catch (IOException e) {
            if (e instanceof ClosedByInterruptException || Thread.currentThread().isInterrupted()) {
                throw stopped(); // the read was cut short by the interrupt: it says nothing about the data
            }
            verdict = new Verdict(Problem.UNREADABLE, "reading it failed: " + e, true);
        }
        if (verdict == null) {
            return null;
        }
        try {
            return damaged(blob, verdict, options.quarantine());
        } catch (IOException e) {
            throw new UncheckedIOException("content check: cannot move " + blob.digest() + " to quarantine: "
                    + e.getMessage(), e);
        }
    }

    /** Looks at a blob's data; null when it is sound. */
    private Verdict inspect(BlobRecord blob, boolean verify, ByteBuffer buffer, Tally tally) throws IOException {
        Digest digest = blob.digest();
        Optional<Long> stored = blobs.size(digest);
        if (stored.isEmpty()) {
            Optional<byte[]> staged = metadata.read(tx -> tx.staging().get(digest));
            if (staged.isPresent()) {
                if (!verify) {
                    return null;
                }
                tally.read(staged.get().length);
                Digest actual = Digest.of(digest.algorithm(), staged.get());
                return actual.equals(digest) ? null
                        : new Verdict(Problem.CORRUPT, "its staged bytes hash to " + actual, false);
            }
            stored = blobs.size(digest); // the staged writer may have just moved them to storage
            if (stored.isEmpty()) {
                return new Verdict(Problem.MISSING, "no data in storage", false);
            }
        }
        if (stored.get() != blob.size()) {
            return new Verdict(Problem.WRONG_SIZE, "recorded as " + blob.size() + " bytes, " + stored.get()
                    + " in storage", true);
        }
        if (!verify) {
            return null;
        }
        Digest actual;
        try (ReadableByteChannel in = blobs.openUncached(digest)) { // from the device, not the page cache
            Digest.Digester digester = digest.algorithm().digester();
            while (true) {
                buffer.clear();
                int r = in.read(buffer);
                if (r < 0) {
                    break;
                }
                buffer.flip();
                digester.update(buffer);
                tally.read(r);
            }
            actual = digester.digest();
        } catch (io.lading.storage.PathNotFoundException e) {
            return new Verdict(Problem.MISSING, "no data in storage", false); // gone while being checked
        }
        return actual.equals(digest) ? null : new Verdict(Problem.CORRUPT, "its bytes hash to " + actual, true);
    }

    /**
     * A finding for {@code blob}, or null when nothing reaches it (or it is no longer recorded). Moves its data to
     * quarantine when asked and it is in storage.
     */
    private Finding damaged(BlobRecord blob, Verdict verdict, boolean quarantine) throws IOException {
        Digest digest = blob.digest();
        List<BlobUse> uses = metadata.read(tx -> tx.blobSize(digest).isPresent() ? tx.blobUses(digest, USES)
                : List.<BlobUse>of());
        if (uses.isEmpty()) {
            return null;
        }
        String movedTo = quarantine && verdict.movable() ? blobs.quarantine(digest, clock.instant()) : null;
        return new Finding(digest, blob.size(), verdict.problem(), verdict.detail(), uses, movedTo);
    }
}
