package io.lading.metadata;

import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import java.util.List;

/**
 * One place where clients reach a blob: a repository that links it ({@code manifest} null), a manifest that is the
 * blob itself, or a manifest that references it (as config, layer or index child), with that manifest's tags in the
 * repository.
 */
public record BlobUse(RepositoryName repository, Digest manifest, List<String> tags) {
    public BlobUse {
        tags = List.copyOf(tags);
    }
}
