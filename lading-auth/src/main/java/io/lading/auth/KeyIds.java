package io.lading.auth;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;

/**
 * Key ids in docker's libtrust format ({@code ABCD:EFGH:...}, 12 groups of 4 base32 characters): the SHA-256 of
 * the key's DER SubjectPublicKeyInfo, truncated to 240 bits. Token issuers such as docker_auth put this id in a
 * token's {@code kid} and no {@code x5c}; distribution then finds the key among the root bundle's certificates by
 * computing the same id, and so does Lading.
 */
public final class KeyIds {
    private static final char[] BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();

    private KeyIds() {
    }

    public static String libtrust(PublicKey key) {
        byte[] hash;
        try {
            hash = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        // 30 bytes = 240 bits = 48 base32 characters, no padding.
        StringBuilder b32 = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (int i = 0; i < 30; i++) {
            buffer = (buffer << 8) | (hash[i] & 0xff);
            bits += 8;
            while (bits >= 5) {
                b32.append(BASE32[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < b32.length(); i += 4) {
            if (i > 0) {
                out.append(':');
            }
            out.append(b32, i, i + 4);
        }
        return out.toString();
    }
}
