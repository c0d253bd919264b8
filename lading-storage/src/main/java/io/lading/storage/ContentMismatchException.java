package io.lading.storage;

import io.lading.core.Digest;
import java.io.IOException;

/** Stored data of a blob does not hash to the blob's digest: it is damaged (bit rot, a file changed by hand). */
public class ContentMismatchException extends IOException {
    private final Digest expected;
    private final Digest actual;

    public ContentMismatchException(Digest expected, Digest actual) {
        super("the data of " + expected + " hashes to " + actual);
        this.expected = expected;
        this.actual = actual;
    }

    public Digest expected() {
        return expected;
    }

    public Digest actual() {
        return actual;
    }
}
