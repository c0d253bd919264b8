package io.lading.core;

import java.util.regex.Pattern;

/**
 * A repository name as the spec's grammar allows it: lower-case path components separated by {@code /},
 * at most 255 characters. A valid name can never address a path outside the store ({@code ..}, empty
 * components and encoded separators are all rejected by the grammar).
 */
public record RepositoryName(String value) implements Comparable<RepositoryName> {
    /** The spec's grammar, one path component. */
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*");
    public static final int MAX_LENGTH = 255;

    public RepositoryName {
        if (!isValid(value)) {
            throw new RegistryException(ErrorCode.NAME_INVALID, "invalid repository name: "
                    + (value == null ? "null" : Digest.abbreviate(value)));
        }
    }

    public static RepositoryName of(String value) {
        return new RepositoryName(value);
    }

    public static boolean isValid(String value) {
        if (value == null || value.isEmpty() || value.length() > MAX_LENGTH) {
            return false;
        }
        int start = 0;
        while (true) {
            int slash = value.indexOf('/', start);
            String component = slash < 0 ? value.substring(start) : value.substring(start, slash);
            if (!COMPONENT.matcher(component).matches()) {
                return false;
            }
            if (slash < 0) {
                return true;
            }
            start = slash + 1;
        }
    }

    @Override
    public String toString() {
        return value;
    }

    @Override
    public int compareTo(RepositoryName o) {
        return value.compareTo(o.value);
    }
}
