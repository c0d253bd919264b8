package io.lading.registry;

import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import io.lading.core.Tag;
import io.lading.metadata.BlobRecord;
import io.lading.metadata.GcRunRecord;
import io.lading.metadata.MetadataStore;
import io.lading.metadata.WriteTx;
import io.lading.storage.BlobStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes what nothing needs, while clients keep pushing: untagged manifests no tag reaches (when asked), blob
 * links no manifest of their repository references, and the bytes of blobs no repository holds. The protocol,
 * its race cases and why each is safe are in docs/design/gc.md; in short:
 * <ul>
 *   <li>every decision is taken inside a metadata transaction that re-checks it, so a push, mount or manifest PUT
 *       that commits first wins, and one that commits later sees the result (MANIFEST_BLOB_UNKNOWN, or a fresh
 *       upload instead of a mount), never a half-deleted blob;</li>
 *   <li>nothing younger than the grace period goes (pushes claim a blob before its bytes land; links and
 *       manifests carry their creation time; blobs clients HEAD or GET count as used, see {@link RecentUse});</li>
 *   <li>bytes are deleted only between marking a blob "deleting" and forgetting it, so a push of the same digest
 *       waits instead of handing its bytes to a file about to vanish, and a collector killed in between finishes
 *       the job on its next run ({@link #recover}).</li>
 * </ul>
 * Work is done in small transactions (batches), so pushes are never blocked for long. A dry run does everything
 * in one transaction that it rolls back, and touches no bytes, so its report is exactly what a real run would do.
 */
public final class GarbageCollector {
    private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);
    private static final int BATCH = 200;

    /** The phases of a collection, in order. */
    public enum Phase { RECOVER, EXPIRE, MANIFESTS, LINKS, BLOBS, ORPHANS }

    /** What to do with bytes in storage that the metadata store has no record of. */
    public enum Orphans {
        /** Leave them (online collections: such bytes are not Lading's to judge while it runs). */
        SKIP,
        /** Count and log them. */
        REPORT,
        /** Delete those older than the grace period. */
        DELETE
    }

    /**
     * @param grace          nothing younger than this is collected
     * @param deleteUntagged also delete manifests that no tag reaches (directly, as an index child, or as a
     *                       referrer of a reachable manifest)
     * @param dryRun         report only
     * @param orphans        what to do with unrecorded bytes in storage
     */
    public record Options(Duration grace, boolean deleteUntagged, boolean dryRun, Orphans orphans) {
    }

    /** What a collection did (or, for a dry run, would do). */
    public record Result(boolean dryRun, long repositoriesScanned, long blobsScanned, long manifestsDeleted,
                         long linksRemoved, long blobsDeleted, long bytesReclaimed, long orphansFound,
                         long orphansDeleted, Duration took) {
    }

    /** Progress reports; every method has a no-op default. Calls come from the collecting thread. */
    public interface Listener {
        default void phase(Phase phase) {
        }

        /** {@code total} is -1 when unknown. */
        default void progress(Phase phase, long done, long total) {
        }

        default void manifestDeleted(RepositoryName repository, Digest digest) {
        }

        default void linkRemoved(RepositoryName repository, Digest digest) {
        }

        /** A blob is marked as being deleted; its bytes are removed right after this returns. */
        default void blobMarked(Digest digest, long size) {
        }

        default void orphanFound(Digest digest) {
        }
    }

    private final MetadataStore metadata;
    private final BlobStore blobs;
    private final RecentUse recentUse;
    private final Clock clock;
    private final Duration cacheTtl;
    private final ReentrantLock running = new ReentrantLock();

    /** @param recentUse blobs clients used lately (online collections), or null (offline) */
    public GarbageCollector(MetadataStore metadata, BlobStore blobs, RecentUse recentUse, Clock clock) {
        this(metadata, blobs, recentUse, clock, null);
    }

    /**
     * @param cacheTtl for a pull-through cache (proxy.ttl), how long what it cached is kept: each collection first
     *                 removes the tags cached (or moved upstream and followed) longer ago than that, then the
     *                 manifests cached longer ago that no tag reaches, whether or not untagged manifests are
     *                 collected otherwise; their blobs go the way of every unreferenced blob. As in distribution,
     *                 age counts from caching, not from the last pull. Null (or zero) when nothing expires.
     */
    public GarbageCollector(MetadataStore metadata, BlobStore blobs, RecentUse recentUse, Clock clock,
                            Duration cacheTtl) {
        this.metadata = metadata;
        this.blobs = blobs;
        this.recentUse = recentUse;
        this.clock = clock;
        this.cacheTtl = cacheTtl == null || cacheTtl.isZero() ? null : cacheTtl;
    }

    public boolean isRunning() {
        return running.isLocked();
    }

    /** The last collection recorded in the metadata store. */
    public Optional<GcRunRecord> last() {
        return metadata.read(tx -> tx.lastGcRun());
    }

    /** Thrown by {@link #run} when another collection is running in this process. */
    public static final class AlreadyRunningException extends IllegalStateException {
        AlreadyRunningException() {
            super("a garbage collection is already running");
        }
    }

    /**
     * Runs one collection. @throws AlreadyRunningException when one is running; storage and metadata failures
     * end the run with the exception (it is recorded as the run's error, and the next run picks up from there)
     */
    public Result run(Options options, Listener listener) {
        if (!running.tryLock()) {
            throw new AlreadyRunningException();
        }
        try {
            return runLocked(options, listener);
        } finally {
            running.unlock();
        }
    }

    private Result runLocked(Options options, Listener listener) {
        long runId = metadata.write(tx -> tx.startGcRun(options.dryRun()));
        Instant started = clock.instant();
        Counts counts = new Counts();
        String error = null;
        try {
            if (recentUse != null) {
                recentUse.keepFor(options.grace());
                recentUse.prune();
            }
            Instant cutoff = started.minus(options.grace());
            LOG.info("gc: starting{} (grace {}, delete untagged: {})", options.dryRun() ? " a dry run" : "",
                    options.grace(), options.deleteUntagged());
            if (options.dryRun()) {
                try {
                    metadata.write(tx -> {
                        collect(new Txs() {
                            @Override
                            public <T> T write(MetadataStore.Work<WriteTx, T> work) {
                                return work.run(tx);
                            }
                        }, options, cutoff, listener, counts);
                        throw new DryRunRollback();
                    });
                } catch (DryRunRollback expected) {
                    // everything the dry run changed is rolled back
                }
            } else {
                collect(metadata::write, options, cutoff, listener, counts);
            }
            Result result = counts.result(options.dryRun(), Duration.between(started, clock.instant()));
            LOG.info("gc: {} in {} ms: {} repositories and {} blobs scanned, {}{} manifests, {} links and {} blobs"
                            + " ({} bytes) {}{}", options.dryRun() ? "dry run done" : "done",
                    result.took().toMillis(), result.repositoriesScanned(), result.blobsScanned(),
                    cacheTtl == null ? "" : counts.tagsExpired + " expired cached tags, ",
                    result.manifestsDeleted(), result.linksRemoved(), result.blobsDeleted(), result.bytesReclaimed(),
                    options.dryRun() ? "would be deleted" : "deleted",
                    result.orphansFound() > 0 ? ", " + result.orphansFound() + " unrecorded blobs in storage ("
                            + result.orphansDeleted() + " deleted)" : "");
            return result;
        } catch (RuntimeException e) {
            error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            LOG.warn("gc: failed after {} ms: {}", Duration.between(started, clock.instant()).toMillis(), error);
            throw e;
        } finally {
            Result partial = counts.result(options.dryRun(), Duration.between(started, clock.instant()));
            String err = error;
            try {
                metadata.write(tx -> {
                    tx.finishGcRun(new GcRunRecord(runId, started, clock.instant(), options.dryRun(),
                            partial.manifestsDeleted(), partial.linksRemoved(), partial.blobsDeleted(),
                            partial.bytesReclaimed(), err));
                    return null;
                });
            } catch (RuntimeException e) {
                LOG.warn("gc: could not record the end of collection {}: {}", runId, e.getMessage());
            }
        }
    }

    /**
     * Finishes deletions a crashed collection left marked (their bytes may or may not be gone). Cheap when there
     * are none; run at start-up so pushes of those digests do not wait for the next collection.
     */
    public int recover() {
        return recover(metadata::write, false);
    }

    private int recover(Txs txs, boolean dryRun) {
        int done = 0;
        while (true) {
            List<BlobRecord> marked = txs.write(tx -> tx.blobsBeingDeleted(BATCH));
            if (marked.isEmpty() || dryRun) {
                return done + marked.size();
            }
            for (BlobRecord b : marked) {
                deleteBytes(b.digest());
            }
            txs.write(tx -> {
                marked.forEach(b -> tx.forgetBlob(b.digest()));
                return null;
            });
            done += marked.size();
            LOG.info("gc: finished {} deletions an interrupted collection had started", marked.size());
        }
    }

    /** Runs work in a transaction: its own (real run) or the dry run's single outer one. */
    private interface Txs {
        <T> T write(MetadataStore.Work<WriteTx, T> work);
    }

    private static final class DryRunRollback extends RuntimeException {
        DryRunRollback() {
            super("dry run", null, false, false);
        }
    }

    private void collect(Txs txs, Options o, Instant cutoff, Listener listener, Counts counts) {
        boolean dry = o.dryRun();
        listener.phase(Phase.RECOVER);
        recover(txs, dry);

        long totalRepositories = txs.write(tx -> tx.repositoryCount());
        if (cacheTtl != null) {
            listener.phase(Phase.EXPIRE);
            Instant expired = clock.instant().minus(cacheTtl);
            forEachRepository(txs, Phase.EXPIRE, totalRepositories, listener, repository -> {
                counts.tagsExpired += expireTags(txs, repository, expired);
                deleteUnreachableManifests(txs, repository, expired, listener, counts);
            });
        }
        if (o.deleteUntagged()) {
            listener.phase(Phase.MANIFESTS);
            forEachRepository(txs, Phase.MANIFESTS, totalRepositories, listener,
                    repository -> deleteUnreachableManifests(txs, repository, cutoff, listener, counts));
        }

        listener.phase(Phase.LINKS);
        forEachRepository(txs, Phase.LINKS, totalRepositories, listener, repository -> {
            removeUnreferencedLinks(txs, repository, cutoff, listener, counts);
            txs.write(tx -> tx.removeRepositoryIfEmpty(repository));
            counts.repositories++;
        });

        listener.phase(Phase.BLOBS);
        long totalBlobs = txs.write(tx -> tx.usage().blobs());
        for (Digest after = null; ; ) {
            Digest from = after;
            // Listed and marked in one transaction: the mark's own conditions are the collectable ones.
            Batch<BlobRecord> batch = txs.write(tx -> {
                List<BlobRecord> candidates = tx.collectableBlobs(cutoff, from, BATCH);
                return new Batch<>(candidates, candidates.stream()
                        .filter(b -> tx.markDeleting(b.digest(), cutoff)).toList());
            });
            List<BlobRecord> candidates = batch.page();
            List<BlobRecord> marked = batch.acted();
            counts.blobsScanned += candidates.size();
            for (BlobRecord b : marked) {
                listener.blobMarked(b.digest(), b.size());
                if (!dry) {
                    deleteBytes(b.digest());
                }
                counts.blobsDeleted++;
                counts.bytes += b.size();
            }
            txs.write(tx -> {
                marked.forEach(b -> tx.forgetBlob(b.digest()));
                return null;
            });
            listener.progress(Phase.BLOBS, counts.blobsDeleted, totalBlobs);
            if (candidates.size() < BATCH) {
                break;
            }
            after = candidates.get(candidates.size() - 1).digest();
        }

        if (o.orphans() != Orphans.SKIP) {
            listener.phase(Phase.ORPHANS);
            sweepOrphans(txs, o, cutoff, listener, counts);
        }
    }

    /** Removes the cache's tags cached or moved before {@code expired}; returns how many. */
    private static int expireTags(Txs txs, RepositoryName repository, Instant expired) {
        int total = 0;
        while (true) {
            List<Tag> gone = txs.write(tx -> {
                List<Tag> old = tx.tagsUnchangedSince(repository, expired, BATCH);
                old.forEach(t -> tx.deleteTag(repository, t));
                return old;
            });
            total += gone.size();
            for (Tag t : gone) {
                LOG.debug("gc: {}: cached tag {} expired", repository, t.value());
            }
            if (gone.size() < BATCH) {
                return total;
            }
        }
    }

    private void deleteUnreachableManifests(Txs txs, RepositoryName repository, Instant cutoff, Listener listener,
                                            Counts counts) {
        // In a dry run the deletions stay in the outer transaction, so the next batch does not list them again.
        while (true) {
            List<Digest> deleted = txs.write(tx -> {
                List<Digest> unreachable = tx.unreachableManifests(repository, cutoff, BATCH);
                for (Digest d : unreachable) {
                    tx.deleteManifest(repository, d);
                }
                return unreachable;
            });
            for (Digest d : deleted) {
                listener.manifestDeleted(repository, d);
                LOG.debug("gc: {}: deleted untagged manifest {}", repository, d);
            }
            counts.manifests += deleted.size();
            if (deleted.size() < BATCH) {
                return;
            }
        }
    }

    private void removeUnreferencedLinks(Txs txs, RepositoryName repository, Instant cutoff, Listener listener,
                                         Counts counts) {
        for (Digest after = null; ; ) {
            Digest from = after;
            Batch<Digest> batch = txs.write(tx -> {
                List<Digest> unreferenced = tx.unreferencedLinks(repository, cutoff, from, BATCH);
                List<Digest> removed = unreferenced.stream()
                        .filter(d -> recentUse == null || !recentUse.usedSince(d, cutoff)).toList();
                removed.forEach(d -> tx.unlinkBlob(repository, d));
                return new Batch<>(unreferenced, removed);
            });
            for (Digest d : batch.acted()) {
                listener.linkRemoved(repository, d);
                counts.links++;
            }
            if (batch.page().size() < BATCH) {
                return;
            }
            after = batch.page().get(batch.page().size() - 1);
        }
    }

    /** A page a collection step looked at, and the part of it the step acted on. */
    private record Batch<T>(List<T> page, List<T> acted) {
    }

    /** Calls {@code step} for every repository, a page of names at a time, reporting progress. */
    private void forEachRepository(Txs txs, Phase phase, long total, Listener listener,
                                   java.util.function.Consumer<RepositoryName> step) {
        long done = 0;
        for (String after = null; ; ) {
            String from = after;
            List<String> page = txs.write(tx -> tx.repositories(from, BATCH));
            for (String name : page) {
                step.accept(RepositoryName.of(name));
                listener.progress(phase, ++done, total);
            }
            if (page.size() < BATCH) {
                return;
            }
            after = page.get(page.size() - 1);
        }
    }

    private void sweepOrphans(Txs txs, Options o, Instant cutoff, Listener listener, Counts counts) {
        List<Digest> batch = new ArrayList<>();
        try {
            blobs.forEachStoredBlob(stored -> {
                if (!stored.modified().isBefore(cutoff) || metadata.read(tx -> tx.blobKnown(stored.digest()))) {
                    return;
                }
                counts.orphansFound++;
                listener.orphanFound(stored.digest());
                LOG.info("gc: blob {} is in storage but not recorded{}", stored.digest(),
                        o.orphans() == Orphans.DELETE ? (o.dryRun() ? " (would be deleted)" : "; deleting") : "");
                if (o.orphans() == Orphans.DELETE) {
                    batch.add(stored.digest());
                    if (batch.size() >= BATCH) {
                        deleteOrphans(txs, o.dryRun(), batch, counts);
                    }
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("gc: cannot list blobs in storage: " + e.getMessage(), e);
        }
        deleteOrphans(txs, o.dryRun(), batch, counts);
    }

    private void deleteOrphans(Txs txs, boolean dry, List<Digest> batch, Counts counts) {
        List<Digest> marked = txs.write(tx -> batch.stream().filter(tx::markOrphanDeleting).toList());
        for (Digest d : marked) {
            if (!dry) {
                deleteBytes(d);
            }
            counts.orphansDeleted++;
        }
        txs.write(tx -> {
            marked.forEach(tx::forgetBlob);
            return null;
        });
        batch.clear();
    }

    private void deleteBytes(Digest digest) {
        try {
            blobs.deleteBlob(digest);
        } catch (IOException e) {
            // The blob stays marked; the next run (or start-up) retries. Pushes of it wait until then.
            throw new UncheckedIOException("gc: cannot delete the bytes of " + digest + ": " + e.getMessage(), e);
        }
    }

    private static final class Counts {
        long repositories;
        long blobsScanned;
        long manifests;
        long tagsExpired;
        long links;
        long blobsDeleted;
        long bytes;
        long orphansFound;
        long orphansDeleted;

        Result result(boolean dryRun, Duration took) {
            return new Result(dryRun, repositories, blobsScanned, manifests, links, blobsDeleted, bytes,
                    orphansFound, orphansDeleted, took);
        }
    }
}
