package io.lading.core;

/** What follows {@code /manifests/}: a tag or a digest, nothing else. */
public sealed interface Reference {

    /** A reference by tag. */
    record ByTag(Tag tag) implements Reference {
        @Override
        public String toString() {
            return tag.value();
        }
    }

    /** A reference by digest. */
    record ByDigest(Digest digest) implements Reference {
        @Override
        public String toString() {
            return digest.toString();
        }
    }

    /** Parses a manifest reference; a string with {@code :} must be a digest, anything else a tag. */
    static Reference parse(String s) {
        if (s != null && Digest.looksLikeDigest(s)) {
            return new ByDigest(Digest.parse(s));
        }
        if (!Tag.isValid(s)) {
            // A reference that is neither a digest nor a tag names no manifest.
            throw new RegistryException(ErrorCode.TAG_INVALID, "invalid reference: "
                    + (s == null ? "null" : Digest.abbreviate(s)));
        }
        return new ByTag(new Tag(s));
    }
}
