package io.lading.registry;

import io.lading.core.Digest;
import io.lading.core.ErrorCode;
import io.lading.core.RegistryException;
import io.lading.core.RepositoryName;
import io.lading.metadata.MetadataStore;
import io.lading.storage.BlobStore;
import io.lading.storage.PathNotFoundException;
import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.util.Optional;

/**
 * Reading, mounting and unlinking blobs of a repository. A blob is visible in a repository only when the metadata
 * store links it there; the bytes are shared by every repository that links them.
 */
public final class BlobService {
    private final MetadataStore metadata;
    private final BlobStore blobs;
    private final RegistryOptions options;

    public BlobService(MetadataStore metadata, BlobStore blobs, RegistryOptions options) {
        this.metadata = metadata;
        this.blobs = blobs;
        this.options = options;
    }

    /** The size of a blob of the repository. @throws RegistryException BLOB_UNKNOWN */
    public long size(RepositoryName repository, Digest digest) {
        Optional<Long> size = metadata.read(tx -> tx.hasBlob(repository, digest) ? tx.blobSize(digest) : Optional.empty());
        return size.orElseThrow(() -> new RegistryException(ErrorCode.BLOB_UNKNOWN,
                "blob " + digest + " is unknown in " + repository, java.util.Map.of("digest", digest.toString())));
    }

    /** Opens a blob's bytes at {@code offset}; call {@link #size} first for the visibility check. */
    public ReadableByteChannel open(Digest digest, long offset) {
        try {
            return blobs.open(digest, offset);
        } catch (PathNotFoundException e) {
            throw new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob " + digest + " has no data in storage");
        } catch (IOException e) {
            throw StorageFailure.of("reading blob " + digest, e);
        }
    }

    /**
     * Links a blob that already exists into {@code repository}. With {@code from}, the blob must be in that
     * repository; without it, anywhere in the registry. Returns false when it cannot be mounted (the caller then
     * starts an ordinary upload, as the spec asks).
     */
    public boolean mount(RepositoryName repository, Digest digest, Optional<RepositoryName> from) {
        Guards.writable(options);
        return metadata.write(tx -> {
            boolean available = tx.blobSize(digest).isPresent()
                    && (from.isEmpty() || tx.hasBlob(from.get(), digest));
            if (!available) {
                return false;
            }
            tx.linkBlob(repository, digest);
            return true;
        });
    }

    /** Unlinks a blob from a repository (its bytes go when no repository holds them, by GC). */
    public void delete(RepositoryName repository, Digest digest) {
        Guards.deletable(options);
        if (!metadata.write(tx -> tx.unlinkBlob(repository, digest))) {
            throw new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob " + digest + " is unknown in " + repository);
        }
    }
}
