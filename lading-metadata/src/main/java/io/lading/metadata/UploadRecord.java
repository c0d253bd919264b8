package io.lading.metadata;

import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import java.time.Instant;
import java.util.UUID;

/**
 * An upload session. {@code offset} is the number of bytes acknowledged to the client, all durable in storage;
 * after a crash the session resumes there.
 */
public record UploadRecord(UUID id, RepositoryName repository, long offset, Digest.Algorithm algorithm,
                           Instant started, Instant updated) {
    /** The same session after an acknowledged append. */
    public UploadRecord advanced(long newOffset, Instant now) {
        return new UploadRecord(id, repository, newOffset, algorithm, started, now);
    }
}
