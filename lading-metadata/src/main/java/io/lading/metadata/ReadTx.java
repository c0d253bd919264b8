package io.lading.metadata;

import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import io.lading.core.Tag;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Queries inside a {@link MetadataStore} transaction. Pages are keyset scans: cost depends on the page, not the total. */
public interface ReadTx {
    /** The size of a blob whose bytes are committed to storage, if known. */
    Optional<Long> blobSize(Digest digest);

    /** True when the blob is linked to (pushed to or mounted into) the repository. */
    boolean hasBlob(RepositoryName repository, Digest digest);

    /** True when the repository has ever received content. */
    boolean repositoryExists(RepositoryName repository);

    /** A manifest of the repository. */
    Optional<ManifestRecord> manifest(RepositoryName repository, Digest digest);

    /** What a tag points to. */
    Optional<Digest> tag(RepositoryName repository, Tag tag);

    /** Up to {@code limit} tag names after {@code after} (exclusive; null for the start), in byte order. */
    List<String> tags(RepositoryName repository, String after, int limit);

    /** Up to {@code limit} repository names after {@code after} (exclusive; null for the start), in byte order. */
    List<String> repositories(String after, int limit);

    /** Manifests of the repository whose subject is {@code subject}, ordered by digest. */
    List<ManifestRecord> referrers(RepositoryName repository, Digest subject);

    /** An upload session. */
    Optional<UploadRecord> upload(UUID id);
}
