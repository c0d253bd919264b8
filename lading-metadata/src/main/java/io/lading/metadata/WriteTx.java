package io.lading.metadata;

import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import io.lading.core.Tag;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/** Changes inside a {@link MetadataStore} write transaction (which also reads). */
public interface WriteTx extends ReadTx {
    /** Records that a blob's bytes are committed to storage (idempotent). */
    void putBlob(Digest digest, long size);

    /** Links a known blob to a repository, creating the repository on first content (idempotent). */
    void linkBlob(RepositoryName repository, Digest digest);

    /** Unlinks a blob from a repository; false when it was not linked. */
    boolean unlinkBlob(RepositoryName repository, Digest digest);

    /**
     * Records a manifest (idempotent for the same digest) and what it references: {@code blobs} (config, layers)
     * and {@code manifests} (index children). Creates the repository on first content.
     */
    void putManifest(RepositoryName repository, ManifestRecord manifest, Collection<Digest> blobs,
                     Collection<Digest> manifests);

    /** Points a tag at a manifest of the repository, replacing what it pointed to. */
    void putTag(RepositoryName repository, Tag tag, Digest manifest);

    /** Removes a tag; false when it did not exist. */
    boolean deleteTag(RepositoryName repository, Tag tag);

    /** Removes a manifest and every tag pointing to it; false when it did not exist. */
    boolean deleteManifest(RepositoryName repository, Digest digest);

    /** Creates or updates an upload session. */
    void putUpload(UploadRecord upload);

    /** Ends an upload session; false when there was none. */
    boolean deleteUpload(UUID id);

    /** Upload sessions last touched before {@code cutoff}, oldest first. */
    List<UploadRecord> uploadsUpdatedBefore(Instant cutoff, int limit);
}
