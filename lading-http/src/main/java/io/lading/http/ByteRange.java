package io.lading.http;

import io.lading.core.ErrorCode;
import io.lading.core.RegistryException;

/**
 * A single byte range, inclusive on both ends, as in HTTP {@code Range} (RFC 9110 §14) for GETs and as in the
 * upload {@code Content-Range} of the spec ({@code start-end}, or Docker's {@code bytes start-end/size}).
 */
record ByteRange(long start, long end) {

    long length() {
        return end - start + 1;
    }

    /**
     * Parses a GET {@code Range} header against a blob of {@code size} bytes. Returns null when the header should
     * be ignored (absent, not bytes, several ranges: a full 200 is a valid answer to those).
     *
     * @throws RangeNotSatisfiable when the range lies outside the blob
     */
    static ByteRange request(String header, long size) {
        if (header == null) {
            return null;
        }
        String h = header.strip();
        if (!h.startsWith("bytes=") || h.indexOf(',') >= 0) {
            return null;
        }
        String spec = h.substring(6).strip();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        try {
            String a = spec.substring(0, dash).strip();
            String b = spec.substring(dash + 1).strip();
            if (a.isEmpty()) {
                long suffix = Long.parseLong(b);
                if (suffix <= 0 || size == 0) {
                    throw new RangeNotSatisfiable(size);
                }
                return new ByteRange(Math.max(0, size - suffix), size - 1);
            }
            long start = Long.parseLong(a);
            long end = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
            if (start < 0 || start >= size || end < start) {
                throw new RangeNotSatisfiable(size);
            }
            return new ByteRange(start, end);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Parses an upload chunk's {@code Content-Range}; null when absent. @throws RegistryException RANGE_INVALID */
    static ByteRange upload(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String h = header.strip();
        if (h.startsWith("bytes ")) {
            h = h.substring(6).strip();
        }
        int slash = h.indexOf('/');
        if (slash >= 0) {
            h = h.substring(0, slash);
        }
        int dash = h.indexOf('-');
        try {
            if (dash <= 0) {
                throw new NumberFormatException();
            }
            long start = Long.parseLong(h.substring(0, dash));
            long end = Long.parseLong(h.substring(dash + 1));
            if (start < 0 || end < start - 1) {
                throw new NumberFormatException();
            }
            return new ByteRange(start, end);
        } catch (NumberFormatException e) {
            throw new RegistryException(ErrorCode.RANGE_INVALID, "invalid Content-Range: " + abbreviate(header));
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    /** A GET range outside the blob: answered 416 with {@code Content-Range: bytes *}{@code /size}. */
    static final class RangeNotSatisfiable extends RuntimeException {
        final long size;

        RangeNotSatisfiable(long size) {
            super("range not satisfiable", null, false, false);
            this.size = size;
        }
    }
}
