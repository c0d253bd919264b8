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
 * @param manifestUrls     validation.manifests.urls: the URLs a pushed manifest's descriptors may carry
 * @param redirects        not storage.redirect.disable: blob GETs are redirected to the storage's own URL where the
 *                         driver offers one (S3's presigned URLs)
 */
public record RegistryOptions(boolean deleteEnabled, AtomicBoolean readOnly, IndexValidation indexValidation,
                              List<Descriptor.Platform> indexPlatforms, long chunkMinLength,
                              int catalogMaxEntries, int tagsMaxEntries, ReferrersOnDelete referrers,
                              long reserve, ManifestUrls manifestUrls, boolean redirects) {

    /** Deleting a manifest that is the subject of referrers: refuse (409), or delete the referrers with it. */
    public enum ReferrersOnDelete { REFUSE, CASCADE }

    /** How much of an index's children must exist when the index is pushed. */
    public enum IndexValidation { ALL, NONE, LIST }

    /**
     * validation.manifests.urls, as distribution's configuration reference states it: a manifest whose descriptors
     * carry URLs (non-distributable layers, which clients fetch from there) is refused unless every URL is http or
     * https without a fragment, matches {@code allow} and does not match {@code deny} (both searched anywhere in the
     * URL, as Go's MatchString does). Without {@code allow}, no URL is allowed. Not {@code checked}
     * (validation.disabled): any URL is.
     */
    public record ManifestUrls(boolean checked, java.util.regex.Pattern allow, java.util.regex.Pattern deny) {
        /** The default: URLs are refused. */
        public static final ManifestUrls NONE_ALLOWED = new ManifestUrls(true, null, null);
        /** validation.disabled. */
        public static final ManifestUrls UNCHECKED = new ManifestUrls(false, null, null);

        /** Why {@code url} may not be pushed, or empty when it may. */
        public java.util.Optional<String> refusal(String url) {
            if (!checked) {
                return java.util.Optional.empty();
            }
            java.net.URI uri;
            try {
                uri = new java.net.URI(url);
            } catch (java.net.URISyntaxException e) {
                return java.util.Optional.of("it is not a URL");
            }
            if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())
                    || uri.getRawFragment() != null) {
                return java.util.Optional.of("only http and https URLs without a fragment are allowed");
            }
            if (allow == null) {
                return java.util.Optional.of("no URLs are allowed (validation.manifests.urls.allow is not set)");
            }
            if (!allow.matcher(url).find()) {
                return java.util.Optional.of("it matches no pattern of validation.manifests.urls.allow");
            }
            if (deny != null && deny.matcher(url).find()) {
                return java.util.Optional.of("it matches validation.manifests.urls.deny");
            }
            return java.util.Optional.empty();
        }
    }

    /** lading.storage.reserve when the configuration does not set it: 1 GiB. */
    public static final long DEFAULT_RESERVE = 1L << 30;

    /**
     * Defaults of an embedded registry: deletes on, writable, every index child must exist, no space reserve (the
     * configuration's default reserve is {@link #DEFAULT_RESERVE}).
     */
    public static RegistryOptions defaults() {
        return new RegistryOptions(true, new AtomicBoolean(false), IndexValidation.ALL, List.of(), 0, 1000, 100_000,
                ReferrersOnDelete.REFUSE, 0, ManifestUrls.NONE_ALLOWED, true);
    }

    public RegistryOptions withDelete(boolean enabled) {
        return new RegistryOptions(enabled, readOnly, indexValidation, indexPlatforms, chunkMinLength,
                catalogMaxEntries, tagsMaxEntries, referrers, reserve, manifestUrls, redirects);
    }

    public RegistryOptions withReferrersOnDelete(ReferrersOnDelete rule) {
        return new RegistryOptions(deleteEnabled, readOnly, indexValidation, indexPlatforms, chunkMinLength,
                catalogMaxEntries, tagsMaxEntries, rule, reserve, manifestUrls, redirects);
    }

    public RegistryOptions withReserve(long bytes) {
        return new RegistryOptions(deleteEnabled, readOnly, indexValidation, indexPlatforms, chunkMinLength,
                catalogMaxEntries, tagsMaxEntries, referrers, bytes, manifestUrls, redirects);
    }

    public RegistryOptions withManifestUrls(ManifestUrls urls) {
        return new RegistryOptions(deleteEnabled, readOnly, indexValidation, indexPlatforms, chunkMinLength,
                catalogMaxEntries, tagsMaxEntries, referrers, reserve, urls, redirects);
    }

    /** Age after which idle upload sessions are purged. */
    public record UploadPurging(boolean enabled, Duration age, Duration interval, boolean dryRun) {
        public static UploadPurging defaults() {
            return new UploadPurging(true, Duration.ofHours(168), Duration.ofHours(24), false);
        }
    }
}
