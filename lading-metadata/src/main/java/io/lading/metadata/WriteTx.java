package io.lading.metadata;

import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import io.lading.core.Tag;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.function.LongConsumer;

/** Changes inside a {@link MetadataStore} write transaction (which also reads). */
public interface WriteTx extends ReadTx {
    /** Links a known blob to a repository, creating the repository on first content (idempotent). */
    void linkBlob(RepositoryName repository, Digest digest);

    /** Unlinks a blob from a repository; false when it was not linked. */
    boolean unlinkBlob(RepositoryName repository, Digest digest);

    /**
     * Records a manifest (idempotent for the same digest) and what it references: {@code blobs} (config, layers)
     * and {@code manifests} (index children). Creates the repository on first content. Returns false when the
     * repository held the manifest already (then it and its record stay as they were). The manifest's bytes are a
     * blob: it must have been claimed ({@link #claimBlob}), as must the blob of {@link #linkBlob}.
     */
    boolean putManifest(RepositoryName repository, ManifestRecord manifest, Collection<Digest> blobs,
                     Collection<Digest> manifests);

    /**
     * Takes over, for this work's inserts, what {@link MetadataStore#changeCount} does for lookups kept above the
     * store: {@code update} runs once the work is committed, before the count reports the commit, and is given the
     * count as of after it; it must bring up to date every kept lookup that an insert (or upsert) of this work,
     * before or after this call, may have changed. Those inserts then leave the count as it is, so that a push
     * does not discard every lookup kept. Updates and deletes of this work still move it, as do the other works of
     * its commit and other processes. {@code update} does not run when the work is rolled back. It runs inside the
     * store's commit: it must be quick and must not touch the store. A store without a change count may ignore it.
     */
    default void updateLookupsOnCommit(LongConsumer update) {
    }

    /** Points a tag at a manifest of the repository (put before), replacing what it pointed to. */
    void putTag(RepositoryName repository, Tag tag, Digest manifest);

    /** Removes a tag; false when it did not exist. */
    boolean deleteTag(RepositoryName repository, Tag tag);

    /** Tags of the repository last put (created or moved) at or before {@code cutoff}, at most {@code limit}. */
    List<Tag> tagsUnchangedSince(RepositoryName repository, Instant cutoff, int limit);

    /** Removes a manifest and every tag pointing to it; false when it did not exist. */
    boolean deleteManifest(RepositoryName repository, Digest digest);

    /** Creates or updates an upload session. */
    void putUpload(UploadRecord upload);

    /** Ends an upload session; false when there was none. */
    boolean deleteUpload(UUID id);

    /** Upload sessions last touched before {@code cutoff}, oldest first. */
    List<UploadRecord> uploadsUpdatedBefore(Instant cutoff, int limit);

    // ---- garbage collection (see docs/design/gc.md for the protocol) -------------------------------------------

    /**
     * Announces that a push is about to put the bytes of {@code digest} in place: records the blob (or refreshes
     * its last use) so the collector leaves it alone for the grace period. Must commit before the bytes are moved
     * into the blob's storage path. Returns the row's generation, for {@link #claimHolds}; empty while the
     * collector is deleting the blob's bytes (try again once it has finished).
     */
    java.util.OptionalLong claimBlob(Digest digest, long size);

    /**
     * True when the blob's row is still the one a claim returned {@code generation} for and is not being deleted:
     * then no collection has touched it since, and linking it is safe. Checked in the transaction that links it.
     */
    boolean claimHolds(Digest digest, long generation);

    /**
     * Manifests of the repository created before {@code cutoff} that no tag reaches, directly, as a child of a
     * reachable index, or as a referrer whose subject is reachable.
     */
    List<Digest> unreachableManifests(RepositoryName repository, Instant cutoff, int limit);

    /**
     * Blob links of the repository made before {@code cutoff} that no manifest of the repository references and
     * that are not manifests of the repository themselves, after {@code after} (null: from the start; else the last
     * digest of the page before) in an order of the store's choosing that each call continues.
     */
    List<Digest> unreferencedLinks(RepositoryName repository, Instant cutoff, Digest after, int limit);

    /** Removes a repository that holds nothing (no link, manifest or tag); false when it still holds something. */
    boolean removeRepositoryIfEmpty(RepositoryName repository);

    /**
     * Blobs no repository links and no manifest references, last claimed before {@code cutoff}, not already being
     * deleted, after {@code after} (null: from the start) in digest order.
     */
    List<BlobRecord> collectableBlobs(Instant cutoff, Digest after, int limit);

    /**
     * Marks a blob as being deleted if it is still collectable (the check of {@link #collectableBlobs} repeated
     * inside this transaction). Pushes of the digest wait while the mark stands.
     */
    boolean markDeleting(Digest digest, Instant cutoff);

    /** Marks bytes found in storage with no record at all (left by a crash) as being deleted; false if recorded. */
    boolean markOrphanDeleting(Digest digest);

    /** Blobs marked as being deleted (by this collection, or by one that crashed). */
    List<BlobRecord> blobsBeingDeleted(int limit);

    /**
     * Drops the record of a blob whose bytes are deleted, and its staged bytes; only a blob marked as being deleted
     * is dropped.
     */
    void forgetBlob(Digest digest);

    /** Records the start of a garbage collection; returns its id. */
    long startGcRun(boolean dryRun);

    /** Records the end of a garbage collection. */
    void finishGcRun(GcRunRecord run);

    /** The events outbox, for appending events in this transaction and for their delivery. */
    @Override
    Outbox outbox();

    /** Small content staged in this transaction's store, for staging and unstaging. */
    @Override
    Staging staging();
}
