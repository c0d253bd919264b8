package io.lading.auth;

import java.util.Set;

/**
 * Who a request is from: an authenticated account and its groups, or the anonymous identity.
 *
 * @param account null for anonymous
 */
public record Identity(String account, Set<String> groups) {
    public static final Identity ANONYMOUS = new Identity(null, Set.of());

    public Identity {
        groups = Set.copyOf(groups);
    }

    public boolean anonymous() {
        return account == null;
    }
}
