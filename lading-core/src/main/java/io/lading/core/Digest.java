package io.lading.core;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * A content digest ({@code algorithm:encoded}) of one of the algorithms the registry can verify.
 *
 * <pre>{@code
 * Digest d = Digest.parse("sha256:e3b0c442...");
 * Digest.Digester h = d.algorithm().digester();
 * h.update(bytes, 0, n);
 * boolean ok = h.digest().equals(d);
 * }</pre>
 */
public record Digest(Algorithm algorithm, String hex) implements Comparable<Digest> {

    /** A digest algorithm the registry verifies; others are refused as invalid (DIGEST_INVALID / 400). */
    public enum Algorithm {
        SHA256("sha256", "SHA-256", 64),
        SHA512("sha512", "SHA-512", 128);

        private static final Map<String, Algorithm> BY_NAME = Map.of("sha256", SHA256, "sha512", SHA512);
        private final String id;
        private final String jcaName;
        private final int hexLength;

        Algorithm(String id, String jcaName, int hexLength) {
            this.id = id;
            this.jcaName = jcaName;
            this.hexLength = hexLength;
        }

        /** The name used in digests, e.g. {@code sha256}. */
        public String id() {
            return id;
        }

        /** Length of the hex encoding. */
        public int hexLength() {
            return hexLength;
        }

        /** Finds an algorithm by its digest name, or fails with DIGEST_INVALID. */
        public static Algorithm of(String id) {
            Algorithm a = BY_NAME.get(id);
            if (a == null) {
                throw new RegistryException(ErrorCode.DIGEST_INVALID, "unsupported digest algorithm: " + abbreviate(id));
            }
            return a;
        }

        /** A new streaming hasher. */
        public Digester digester() {
            try {
                return new Digester(this, MessageDigest.getInstance(jcaName));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(jcaName + " missing from the JDK", e);
            }
        }
    }

    /** A streaming hasher whose result is a {@link Digest}. Not thread-safe. */
    public static final class Digester {
        private final Algorithm algorithm;
        private final MessageDigest md;

        private Digester(Algorithm algorithm, MessageDigest md) {
            this.algorithm = algorithm;
            this.md = md;
        }

        public void update(byte[] b, int off, int len) {
            md.update(b, off, len);
        }

        public void update(java.nio.ByteBuffer buffer) {
            md.update(buffer);
        }

        /** Completes the hash; the digester is reset afterwards. */
        public Digest digest() {
            return new Digest(algorithm, HexFormat.of().formatHex(md.digest()));
        }

        public Algorithm algorithm() {
            return algorithm;
        }
    }

    public Digest {
        if (algorithm == null || hex == null || hex.length() != algorithm.hexLength() || !isLowerHex(hex)) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "invalid digest");
        }
    }

    /** Parses {@code algorithm:hex}; anything else fails with DIGEST_INVALID. */
    public static Digest parse(String s) {
        if (s == null) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "digest missing");
        }
        int colon = s.indexOf(':');
        if (colon <= 0) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "invalid digest: " + abbreviate(s));
        }
        Algorithm a = Algorithm.of(s.substring(0, colon));
        String hex = s.substring(colon + 1);
        if (hex.length() != a.hexLength() || !isLowerHex(hex)) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "invalid " + a.id() + " digest: " + abbreviate(s));
        }
        return new Digest(a, hex);
    }

    /** True when {@code s} looks like a digest (has an algorithm separator), as opposed to a tag. */
    public static boolean looksLikeDigest(String s) {
        return s.indexOf(':') >= 0;
    }

    /** Hashes a whole byte array (manifests; never blobs). */
    public static Digest of(Algorithm algorithm, byte[] bytes) {
        Digester d = algorithm.digester();
        d.update(bytes, 0, bytes.length);
        return d.digest();
    }

    @Override
    public String toString() {
        return algorithm.id() + ":" + hex;
    }

    @Override
    public int compareTo(Digest o) {
        return toString().compareTo(o.toString());
    }

    private static boolean isLowerHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
