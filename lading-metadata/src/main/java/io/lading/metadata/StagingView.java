package io.lading.metadata;

import io.lading.core.Digest;
import java.util.List;
import java.util.Optional;

/** Small content whose bytes are in the metadata store until a background writer has put them in storage. */
public interface StagingView {
    /** The staged bytes of {@code digest}, if they are staged. */
    Optional<byte[]> get(Digest digest);

    /** Up to {@code limit} staged blobs, the oldest blobs first, leaving out blobs the collector is deleting. */
    List<StagedBlob> first(int limit);

    /** Number of staged blobs and their bytes. */
    Backlog backlog();

    /** A staged blob. */
    record StagedBlob(Digest digest, byte[] bytes) {
    }

    /** How much is staged. */
    record Backlog(long blobs, long bytes) {
    }
}
