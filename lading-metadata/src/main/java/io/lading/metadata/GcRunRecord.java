package io.lading.metadata;

import java.time.Instant;

/** A garbage collection as recorded in the store; {@code finished} is null while it runs (or if it crashed). */
public record GcRunRecord(long id, Instant started, Instant finished, boolean dryRun, long manifestsDeleted,
                          long linksRemoved, long blobsDeleted, long bytesReclaimed, String error) {
}
