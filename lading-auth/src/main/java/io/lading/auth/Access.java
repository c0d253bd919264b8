package io.lading.auth;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A resource and actions on it, as the token spec's scope and {@code access} claim express them:
 * {@code repository:team/app:pull,push}, {@code registry:catalog:*}. Resource names may contain {@code :} (a
 * registry host with a port), so the type ends at the first colon and the actions start after the last.
 *
 * <pre>{@code
 * Access a = Access.parse("repository:team/app:pull,push");   // type repository, name team/app, {pull, push}
 * a.toString();                                               // "repository:team/app:pull,push"
 * }</pre>
 */
public record Access(String type, String name, Set<String> actions) {
    public static final String REPOSITORY = "repository";
    public static final String REGISTRY = "registry";
    public static final String PULL = "pull";
    public static final String PUSH = "push";
    public static final String DELETE = "delete";
    public static final String ALL = "*";

    public Access {
        actions = Set.copyOf(new LinkedHashSet<>(actions));
    }

    public static Access repository(String name, String... actions) {
        return new Access(REPOSITORY, name, new LinkedHashSet<>(List.of(actions)));
    }

    /** {@code registry:catalog:*}: listing the catalog. */
    public static Access catalog() {
        return new Access(REGISTRY, "catalog", Set.of(ALL));
    }

    /** {@code registry:admin:*}: Lading's admin API. */
    public static Access admin() {
        return new Access(REGISTRY, "admin", Set.of(ALL));
    }

    /** Parses one scope; throws IllegalArgumentException for anything that is not {@code type:name:actions}. */
    public static Access parse(String scope) {
        int first = scope.indexOf(':');
        int last = scope.lastIndexOf(':');
        if (first <= 0 || last == first || last == scope.length() - 1 || first == last - 1) {
            throw new IllegalArgumentException("scope '" + scope + "' is not type:name:actions");
        }
        Set<String> actions = new LinkedHashSet<>();
        for (String a : scope.substring(last + 1).split(",")) {
            if (!a.isBlank()) {
                actions.add(a.strip());
            }
        }
        return new Access(scope.substring(0, first), scope.substring(first + 1, last), actions);
    }

    /** Parses a space-separated scope list (several {@code scope=} parameters may each hold one). */
    public static List<Access> parseAll(List<String> scopes) {
        return scopes.stream().flatMap(s -> java.util.Arrays.stream(s.split(" "))).filter(s -> !s.isBlank())
                .map(Access::parse).toList();
    }

    /** This access with only the given actions. */
    public Access withActions(Set<String> granted) {
        return new Access(type, name, granted);
    }

    /** True when this access includes every one of {@code wanted}'s actions on the same resource. */
    public boolean covers(Access wanted) {
        if (!type.equals(wanted.type) || !name.equals(wanted.name)) {
            return false;
        }
        return actions.contains(ALL) || actions.containsAll(wanted.actions);
    }

    @Override
    public String toString() {
        return type + ":" + name + ":" + String.join(",", actions.stream().sorted().toList());
    }
}
