package io.lading.metadata;

import io.lading.core.Digest;
import java.time.Instant;
import java.util.Map;

/**
 * What the store keeps about a manifest (its bytes live in blob storage under {@code digest}).
 *
 * @param subject      the digest in the manifest's {@code subject} field, or null
 * @param artifactType the artifactType a referrers listing shows (null for an index without one)
 * @param annotations  the manifest's own annotations, for referrers listings
 */
public record ManifestRecord(Digest digest, String mediaType, long size, Digest subject, String artifactType,
                             Map<String, String> annotations, Instant created) {
    public ManifestRecord {
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }
}
