package io.lading.registry;

import io.lading.core.Descriptor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Behaviour switches of the registry services, built from the configuration.
 *
 * @param deleteEnabled    storage.delete.enabled: DELETE of manifests, tags and blobs
 * @param readOnly         storage.maintenance.readonly.enabled; an AtomicBoolean so it can be switched at runtime
 * @param indexValidation  validation.manifests.indexes.platforms
 * @param indexPlatforms   validation.manifests.indexes.platformlist (for {@link IndexValidation#LIST})
 * @param chunkMinLength   advertised as OCI-Chunk-Min-Length when &gt; 0
 * @param catalogMaxEntries catalog.maxentries: the page size of a catalog request without {@code n}, and the cap on n
 * @param referrers        lading.deletes.referrers: what deleting a manifest that has referrers does
 * @param reserve          lading.storage.reserve: bytes of the storage's file system that pushes leave free for
 *                         deletes and garbage collection (0: none; see {@link SpaceReserve})
 */
public record RegistryOptions(boolean deleteEnabled, AtomicBoolean readOnly, IndexValidation indexValidation,
                              List<Descriptor.Platform> indexPlatforms, long chunkMinLength,
                              int catalogMaxEntries, int tagsMaxEntries, ReferrersOnDelete referrers,
                              long reserve) {

    /** Deleting a manifest that is the subject of referrers: refuse (409), or delete the referrers with it. */
    public enum ReferrersOnDelete { REFUSE, CASCADE }

    /** How much of an index's children must exist when the index is pushed. */
    public enum IndexValidation { ALL, NONE, LIST }

    /** lading.storage.reserve when the configuration does not set it: 1 GiB. */
    public static final long DEFAULT_RESERVE = 1L << 30;

    /**
     * Defaults of an embedded registry: deletes on, writable, every index child must exist, no space reserve (the
     * configuration's default reserve is {@link #DEFAULT_RESERVE}).
     */
    public static RegistryOptions defaults() {
        return new RegistryOptions(true, new AtomicBoolean(false), IndexValidation.ALL, List.of(), 0, 1000, 100_000,
                ReferrersOnDelete.REFUSE, 0);
    }

    public RegistryOptions withDelete(boolean enabled) {
        return new RegistryOptions(enabled, readOnly, indexValidation, indexPlatforms, chunkMinLength,
                catalogMaxEntries, tagsMaxEntries, referrers, reserve);
    }

    public RegistryOptions withReferrersOnDelete(ReferrersOnDelete rule) {
        return new RegistryOptions(deleteEnabled, readOnly, indexValidation, indexPlatforms, chunkMinLength,
                catalogMaxEntries, tagsMaxEntries, rule, reserve);
    }

    public RegistryOptions withReserve(long bytes) {
        return new RegistryOptions(deleteEnabled, readOnly, indexValidation, indexPlatforms, chunkMinLength,
                catalogMaxEntries, tagsMaxEntries, referrers, bytes);
    }

    /** Age after which idle upload sessions are purged. */
    public record UploadPurging(boolean enabled, Duration age, Duration interval, boolean dryRun) {
        public static UploadPurging defaults() {
            return new UploadPurging(true, Duration.ofHours(168), Duration.ofHours(24), false);
        }
    }
}
