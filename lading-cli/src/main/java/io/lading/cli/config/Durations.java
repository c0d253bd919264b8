package io.lading.cli.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses durations the way distribution's Go config does: {@code 300ms}, {@code 60s}, {@code 1h30m}, {@code 168h}. */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    private Durations() {
    }

    /** @return null when {@code text} is not a duration */
    public static Duration parse(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        if (text.chars().allMatch(Character::isDigit)) {
            try {
                return Duration.ofNanos(Long.parseLong(text)); // as Go's time.Duration: a bare number is nanoseconds
            } catch (NumberFormatException e) {
                return null;
            }
        }
        Matcher m = PART.matcher(text);
        int pos = 0;
        double nanos = 0;
        while (pos < text.length()) {
            if (!m.find(pos) || m.start() != pos) {
                return null;
            }
            double n = Double.parseDouble(m.group(1));
            nanos += n * switch (m.group(2)) {
                case "ns" -> 1;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            pos = m.end();
        }
        return Duration.ofNanos((long) nanos);
    }
}
