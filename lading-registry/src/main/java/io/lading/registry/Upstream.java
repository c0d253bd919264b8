package io.lading.registry;

import io.lading.core.Digest;
import io.lading.core.Reference;
import io.lading.core.RepositoryName;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * The registry a pull-through cache mirrors ({@code proxy.remoteurl}), as {@link PullThrough} asks it. Each call
 * says one of three things: here it is, upstream has no such thing (an empty answer), or upstream could not be
 * asked (an {@link IOException}: unreachable, refused our credentials, rate limited, answered 5xx). Only the
 * second is a fact about the content; on the third the cache answers from what it holds.
 *
 * <p>What comes back is not trusted: {@link PullThrough} checks every byte against its digest before it is
 * stored or counted as the answer.
 */
public interface Upstream {
    /** Where a manifest reference points upstream now (a HEAD), or empty when upstream has no such manifest. */
    Optional<ManifestHead> head(RepositoryName repository, Reference reference) throws IOException;

    /** A manifest's bytes, by digest, or empty when upstream has none. */
    Optional<ManifestBody> manifest(RepositoryName repository, Digest digest) throws IOException;

    /** A blob's size (a HEAD), or empty when upstream has none. */
    Optional<Long> blobSize(RepositoryName repository, Digest digest) throws IOException;

    /** A blob's bytes as they arrive, or empty when upstream has none; the caller closes it. */
    Optional<BlobBody> blob(RepositoryName repository, Digest digest) throws IOException;

    /** Upstream answered but asked to be left alone for a while (429 or 503, with Retry-After when it said). */
    final class Busy extends IOException {
        private final java.time.Duration retryAfter;

        /** @param retryAfter how long upstream asked to wait, or null when it did not say */
        public Busy(String message, java.time.Duration retryAfter) {
            super(message);
            this.retryAfter = retryAfter;
        }

        /** How long upstream asked to wait, or null when it did not say. */
        public java.time.Duration retryAfter() {
            return retryAfter;
        }
    }

    /** A manifest as upstream describes it: digest, media type and size. */
    record ManifestHead(Digest digest, String mediaType, long size) {
    }

    /** A manifest's bytes and the media type upstream gave them. */
    record ManifestBody(String mediaType, byte[] bytes) {
    }

    /**
     * A blob's bytes as they arrive.
     *
     * @param length the length upstream declared, or -1 when it did not
     */
    record BlobBody(long length, InputStream body) implements Closeable {
        @Override
        public void close() throws IOException {
            body.close();
        }
    }
}
