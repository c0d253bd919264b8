package io.lading.core;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A number of bytes as an operator writes it: {@code 1048576}, {@code 100MiB}, {@code 2GB}. Units are B, KB, MB, GB,
 * TB (powers of 1000) and KiB, MiB, GiB, TiB (powers of 1024), in any case, with or without a space before them.
 */
public final class ByteSize {
    private static final Pattern FORM = Pattern.compile("\\s*(\\d+)\\s*([a-zA-Z]*)\\s*");
    private static final Map<String, Long> UNITS = Map.of(
            "", 1L, "b", 1L,
            "kb", 1000L, "mb", 1000L * 1000, "gb", 1000L * 1000 * 1000, "tb", 1000L * 1000 * 1000 * 1000,
            "kib", 1L << 10, "mib", 1L << 20, "gib", 1L << 30, "tib", 1L << 40);

    private ByteSize() {
    }

    /** @throws IllegalArgumentException naming {@code text} when it is not a whole number of bytes in the form above */
    public static long parse(String text) {
        Matcher m = FORM.matcher(text);
        Long unit = m.matches() ? UNITS.get(m.group(2).toLowerCase(Locale.ROOT)) : null;
        if (unit == null) {
            throw new IllegalArgumentException("'" + text + "' is not a size (a whole number of bytes, optionally"
                    + " with a unit: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)");
        }
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too large a size");
        }
    }
}
