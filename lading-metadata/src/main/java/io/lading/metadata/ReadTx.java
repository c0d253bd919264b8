package io.lading.metadata;

import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import io.lading.core.Tag;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Queries inside a {@link MetadataStore} transaction. Pages are keyset scans: cost depends on the page, not the total. */
public interface ReadTx {
    /** The size of a blob whose bytes are committed to storage, if known and not being deleted. */
    Optional<Long> blobSize(Digest digest);

    /**
     * Up to {@code limit} blobs whose bytes are committed and not being deleted, after {@code after} (null: from the
     * start) in digest order: a keyset walk of every blob the registry holds, manifests included.
     */
    List<BlobRecord> blobs(Digest after, int limit);

    /**
     * Up to {@code limit} places where clients reach the blob (see {@link BlobUse}); empty when nothing uses it, as
     * for a claim whose push has not linked it yet or content the collector will take.
     */
    List<BlobUse> blobUses(Digest digest, int limit);

    /** True when the store has any record of the blob, including one the collector is deleting. */
    boolean blobKnown(Digest digest);

    /** True when the blob is linked to (pushed to or mounted into) the repository. */
    boolean hasBlob(RepositoryName repository, Digest digest);

    /**
     * The size of a blob linked to the repository whose bytes are committed and not being deleted: {@link #hasBlob}
     * and {@link #blobSize} in one lookup (a blob HEAD or GET).
     */
    Optional<Long> linkedBlobSize(RepositoryName repository, Digest digest);

    /** True when the repository has ever received content. */
    boolean repositoryExists(RepositoryName repository);

    /** A manifest of the repository. */
    Optional<ManifestRecord> manifest(RepositoryName repository, Digest digest);

    /**
     * Up to {@code limit} manifest digests of the repository after {@code after} (null: from the start; else the last
     * digest of the page before), in an order of the store's choosing that each call continues.
     */
    List<Digest> manifestDigests(RepositoryName repository, Digest after, int limit);

    /** The manifest a tag points to (a manifest GET by tag). */
    Optional<ManifestRecord> taggedManifest(RepositoryName repository, Tag tag);

    /** Up to {@code limit} tag names after {@code after} (exclusive; null for the start), in byte order. */
    List<String> tags(RepositoryName repository, String after, int limit);

    /** How many repositories there are. */
    long repositoryCount();

    /** Up to {@code limit} repository names after {@code after} (exclusive; null for the start), in byte order. */
    List<String> repositories(String after, int limit);

    /** Manifests of the repository whose subject is {@code subject}, ordered by digest. */
    List<ManifestRecord> referrers(RepositoryName repository, Digest subject);

    /**
     * A page of referrers: up to {@code limit} after {@code after} (null: from the start) in digest order, only
     * those of {@code artifactType} when it is not null. A keyset scan of the subject index.
     */
    List<ManifestRecord> referrers(RepositoryName repository, Digest subject, Digest after, String artifactType,
                                   int limit);

    /** An upload session. */
    Optional<UploadRecord> upload(UUID id);

    /** How many upload sessions are open. */
    long uploadCount();

    /** Index manifests of the repository that list {@code digest} among their manifests. */
    List<Digest> indexesReferencing(RepositoryName repository, Digest digest);

    /** True when a manifest of the repository references the blob (as config or layer). */
    boolean blobReferenced(RepositoryName repository, Digest digest);

    /** Storage a repository uses: what its blobs take, and what only it holds. Empty for an unknown repository. */
    Optional<Usage> usage(RepositoryName repository);

    /** Storage the whole registry uses, each blob counted once. */
    Usage usage();

    /** The most recent garbage collection, if any ran. */
    Optional<GcRunRecord> lastGcRun();

    /** The events outbox. */
    OutboxView outbox();

    /** Small content staged in the metadata store. */
    StagingView staging();
}
