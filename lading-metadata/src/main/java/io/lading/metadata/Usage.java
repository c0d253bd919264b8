package io.lading.metadata;

/**
 * Storage used, computed from the metadata alone (no walk of the blob store).
 *
 * @param blobs       number of distinct blobs (layers, configs and manifests)
 * @param bytes       their total size, each blob counted once however many repositories share it
 * @param uniqueBlobs for a repository: blobs no other repository holds (what deleting it would free);
 *                    for the whole store: equal to {@code blobs}
 * @param uniqueBytes their total size
 */
public record Usage(long blobs, long bytes, long uniqueBlobs, long uniqueBytes) {
}
