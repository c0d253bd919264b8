package io.lading.auth;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who may do what ({@code lading.auth.acl}): a list of rules, each granting actions on repositories matching
 * globs to accounts, groups, any authenticated account or anonymous clients. Grants add up; nothing is granted
 * that no rule grants. Globs: {@code *} matches within one path component, {@code **} across components, and
 * {@code {account}} stands for the requesting account's name (personal namespaces).
 *
 * <pre>{@code
 * AccessRules rules = new AccessRules(Map.of("devs", Set.of("alice")), List.of(
 *         new AccessRules.Rule(Set.of(), Set.of("devs"), false, false, List.of("team/**"), Set.of("pull", "push"), false, false),
 *         new AccessRules.Rule(Set.of(), Set.of(), true, false, List.of("public/*"), Set.of("pull"), false, false)));
 * rules.grant(new Identity("alice", rules.groupsOf("alice")), Access.repository("team/app", "pull", "push", "delete"));
 * // -> repository:team/app:pull,push
 * }</pre>
 */
public final class AccessRules {
    /**
     * One rule.
     *
     * @param accounts      accounts it applies to ({@code *}: any authenticated account)
     * @param groups        groups it applies to
     * @param anonymous     whether it applies to anonymous clients (and then to everyone)
     * @param authenticated whether it applies to every authenticated account
     * @param repositories  repository name globs
     * @param actions       pull, push, delete or * (all three)
     * @param catalog       grants {@code registry:catalog:*}
     * @param admin         grants {@code registry:admin:*} (Lading's admin API)
     */
    public record Rule(Set<String> accounts, Set<String> groups, boolean anonymous, boolean authenticated,
                       List<String> repositories, Set<String> actions, boolean catalog, boolean admin) {
        public Rule {
            accounts = Set.copyOf(accounts);
            groups = Set.copyOf(groups);
            repositories = List.copyOf(repositories);
            actions = Set.copyOf(actions);
        }

        boolean appliesTo(Identity who) {
            if (anonymous) {
                return true; // what anonymous clients may do, everyone may: logging in never takes access away
            }
            if (who.anonymous()) {
                return false;
            }
            return authenticated || accounts.contains("*") || accounts.contains(who.account())
                    || who.groups().stream().anyMatch(groups::contains);
        }
    }

    private static final Set<String> REPOSITORY_ACTIONS = Set.of(Access.PULL, Access.PUSH, Access.DELETE);

    private final Map<String, Set<String>> groups;
    private final List<Rule> rules;

    public AccessRules(Map<String, Set<String>> groups, List<Rule> rules) {
        this.groups = Map.copyOf(groups);
        this.rules = List.copyOf(rules);
    }

    /** Every authenticated account may do everything; anonymous clients nothing (the default without rules). */
    public static AccessRules authenticatedAll() {
        return new AccessRules(Map.of(), List.of(new Rule(Set.of(), Set.of(), false, true, List.of("**"),
                Set.of(Access.ALL), true, true)));
    }

    /** Whether any rule applies to the identity (an anonymous client may then reach {@code /v2/}). */
    public boolean grantsAnything(Identity who) {
        return rules.stream().anyMatch(r -> r.appliesTo(who));
    }

    /** The groups an account belongs to. */
    public Set<String> groupsOf(String account) {
        Set<String> out = new LinkedHashSet<>();
        groups.forEach((group, members) -> {
            if (members.contains(account)) {
                out.add(group);
            }
        });
        return out;
    }

    /** The identity of an authenticated account, with its groups. */
    public Identity identity(String account) {
        return account == null ? Identity.ANONYMOUS : new Identity(account, groupsOf(account));
    }

    /** What of {@code wanted} the identity may do: the same resource with the granted subset of its actions. */
    public Access grant(Identity who, Access wanted) {
        Set<String> granted = new LinkedHashSet<>();
        for (Rule r : rules) {
            if (!r.appliesTo(who)) {
                continue;
            }
            if (wanted.type().equals(Access.REGISTRY)) {
                if ((wanted.name().equals("catalog") && r.catalog()) || (wanted.name().equals("admin") && r.admin())) {
                    granted.addAll(wanted.actions());
                }
                continue;
            }
            if (!wanted.type().equals(Access.REPOSITORY)
                    || r.repositories().stream().noneMatch(g -> matches(g, wanted.name(), who))) {
                continue;
            }
            for (String a : wanted.actions()) {
                if (REPOSITORY_ACTIONS.contains(a) && (r.actions().contains(Access.ALL) || r.actions().contains(a))) {
                    granted.add(a);
                } else if (a.equals(Access.ALL) && r.actions().contains(Access.ALL)) {
                    granted.add(a);
                }
            }
        }
        return wanted.withActions(granted);
    }

    /** Grants for several scopes (what a token issued for them carries), dropping scopes granted nothing. */
    public List<Access> grantAll(Identity who, List<Access> wanted) {
        List<Access> out = new ArrayList<>();
        for (Access w : wanted) {
            Access g = grant(who, w);
            if (!g.actions().isEmpty()) {
                out.add(g);
            }
        }
        return out;
    }

    static boolean matches(String glob, String name, Identity who) {
        String g = glob;
        if (g.contains("{account}")) {
            if (who.anonymous()) {
                return false;
            }
            g = g.replace("{account}", who.account());
        }
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < g.length(); i++) {
            char c = g.charAt(i);
            if (c == '*' && i + 1 < g.length() && g.charAt(i + 1) == '*') {
                re.append(".*");
                i++;
            } else if (c == '*') {
                re.append("[^/]*");
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.matches(re.toString(), name);
    }
}
