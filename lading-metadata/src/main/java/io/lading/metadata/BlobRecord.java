package io.lading.metadata;

import io.lading.core.Digest;

/** A blob whose bytes the store knows of, with its size. */
public record BlobRecord(Digest digest, long size) {
}
