package io.lading.cli.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** auth.htpasswd, auth.token and lading.auth (issuer, groups, acl, loginlimit), read by {@link ConfigLoader}. */
final class AuthConfig {
    private static final Set<String> RULE_KEYS = Set.of("accounts", "groups", "anonymous", "authenticated",
            "repositories", "actions", "catalog", "admin");
    private static final Set<String> RULE_ACTIONS = Set.of("pull", "push", "delete", "*");

    private AuthConfig() {
    }

    /** auth.htpasswd, auth.token and lading.auth (issuer, groups, acl, loginlimit). */
    static LadingConfig.Auth auth(ConfigLoader c, ConfigNode root, LadingConfig.Storage storage) {
        Path htpasswd = null;
        String htRealm = null;
        if (c.at(root, "auth.htpasswd") != null && c.at(root, "auth.htpasswd").value != null) {
            String path = c.string(root, "auth.htpasswd.path", null);
            htRealm = c.string(root, "auth.htpasswd.realm", null);
            if (path == null || htRealm == null) {
                throw new ConfigException(c.at(root, "auth.htpasswd").origin + ": auth.htpasswd needs both realm and"
                        + " path");
            }
            htpasswd = Path.of(path);
        }
        LadingConfig.Token token = null;
        ConfigNode t = c.at(root, "auth.token");
        if (t != null && t.value != null) {
            String realm = c.string(root, "auth.token.realm", null);
            String service = c.string(root, "auth.token.service", null);
            String issuer = c.string(root, "auth.token.issuer", null);
            for (String[] k : new String[][]{{"realm", realm}, {"service", service}, {"issuer", issuer}}) {
                if (k[1] == null || k[1].isBlank()) {
                    throw new ConfigException(t.origin + ": auth.token." + k[0] + " is required");
                }
            }
            String bundle = c.string(root, "auth.token.rootcertbundle", null);
            String jwks = c.string(root, "auth.token.jwks", null);
            Set<String> algorithms = new java.util.LinkedHashSet<>(c.strings(root, "auth.token.signingalgorithms"));
            Set<String> known = Set.of("EdDSA", "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384",
                    "ES512", "PS256", "PS384", "PS512");
            for (String a : algorithms) {
                if (!known.contains(a)) {
                    throw new ConfigException(c.at(root, "auth.token.signingalgorithms").origin
                            + ": auth.token.signingalgorithms: unknown algorithm '" + a + "'");
                }
                if (a.startsWith("HS")) {
                    throw new ConfigException(c.at(root, "auth.token.signingalgorithms").origin
                            + ": auth.token.signingalgorithms: " + a + " needs a shared secret, which Lading does not"
                            + " support (use an asymmetric algorithm)");
                }
            }
            boolean autoRedirect = c.bool(root, "auth.token.autoredirect", false);
            String redirectPath = c.string(root, "auth.token.autoredirectpath", "/auth/token/");
            if (!redirectPath.startsWith("/") || !redirectPath.matches("[A-Za-z0-9/._~%!$&'()*+,;=:@-]*")) {
                throw new ConfigException(c.at(root, "auth.token.autoredirectpath").origin
                        + ": auth.token.autoredirectpath must be a URL path starting with /, not '" + redirectPath
                        + "'");
            }
            token = new LadingConfig.Token(realm, service, issuer, bundle == null ? null : Path.of(bundle),
                    jwks == null ? null : Path.of(jwks), algorithms.isEmpty()
                    ? io.lading.auth.TokenVerifier.DEFAULT_ALGORITHMS : Set.copyOf(algorithms),
                    autoRedirect ? redirectPath : null);
        }
        if (htpasswd != null && token != null) {
            throw new ConfigException(t.origin + ": configure one of auth.htpasswd and auth.token (with the built-in"
                    + " token server, its accounts come from lading.auth.issuer.users)");
        }
        LadingConfig.Issuer issuer = null;
        if (c.bool(root, "lading.auth.issuer.enabled", false)) {
            if (token == null) {
                throw new ConfigException(c.at(root, "lading.auth.issuer.enabled").origin + ": lading.auth.issuer needs"
                        + " auth.token (realm: this registry's /token URL, service, issuer)");
            }
            String users = c.string(root, "lading.auth.issuer.users", null);
            if (users == null) {
                throw new ConfigException(c.at(root, "lading.auth.issuer").origin + ": lading.auth.issuer.users (an"
                        + " htpasswd file) is required");
            }
            String key = c.string(root, "lading.auth.issuer.key", null);
            Path keyPath = key != null ? Path.of(key) : storage.rootDirectory() != null
                    ? storage.rootDirectory().resolve("auth").resolve("issuer-key.pem") : null;
            if (keyPath == null) {
                throw new ConfigException(c.at(root, "lading.auth.issuer").origin + ": lading.auth.issuer.key is"
                        + " required with in-memory storage (there is no directory to keep a generated key in)");
            }
            issuer = new LadingConfig.Issuer(Path.of(users), keyPath,
                    c.positive(root, "lading.auth.issuer.expiration", Duration.ofMinutes(5)),
                    c.positive(root, "lading.auth.issuer.refreshexpiration", Duration.ofDays(30)));
        } else if (token != null && token.rootCertBundle() == null && token.jwks() == null) {
            throw new ConfigException(t.origin + ": auth.token needs rootcertbundle or jwks (the keys tokens are"
                    + " signed with), or lading.auth.issuer.enabled: true");
        }
        io.lading.auth.AccessRules rules = accessRules(c, root);
        if (rules != null && htpasswd == null && token == null) {
            throw new ConfigException(c.at(root, "lading.auth.acl").origin + ": lading.auth.acl needs authentication"
                    + " (auth.htpasswd or auth.token)");
        }
        return new LadingConfig.Auth(htpasswd, htRealm, token, issuer, rules,
                c.smallInteger(root, "lading.auth.loginlimit.failures", 10, 1),
                c.positive(root, "lading.auth.loginlimit.window", Duration.ofMinutes(1)));
    }

    static io.lading.auth.AccessRules accessRules(ConfigLoader c, ConfigNode root) {
        Map<String, Set<String>> groups = new LinkedHashMap<>();
        ConfigNode g = c.at(root, "lading.auth.groups");
        if (g != null && g.value != null) {
            if (!g.isMap()) {
                throw new ConfigException(g.origin + ": lading.auth.groups must map group names to lists of accounts");
            }
            for (String name : g.map().keySet()) {
                groups.put(name, Set.copyOf(c.strings(root, "lading.auth.groups." + name)));
            }
        }
        ConfigNode acl = c.at(root, "lading.auth.acl");
        if (acl == null || acl.value == null) {
            if (!groups.isEmpty()) {
                throw new ConfigException(g.origin + ": lading.auth.groups without lading.auth.acl grants nothing");
            }
            return null;
        }
        List<io.lading.auth.AccessRules.Rule> rules = new ArrayList<>();
        for (String p : c.items(root, "lading.auth.acl", RULE_KEYS)) {
            Set<String> accounts = Set.copyOf(c.strings(root, p + ".accounts"));
            Set<String> inGroups = Set.copyOf(c.strings(root, p + ".groups"));
            for (String grp : inGroups) {
                if (!groups.containsKey(grp)) {
                    throw new ConfigException(c.at(root, p + ".groups").origin + ": " + p + ".groups names '" + grp
                            + "', which lading.auth.groups does not define");
                }
            }
            boolean anonymous = c.bool(root, p + ".anonymous", false);
            boolean authenticated = c.bool(root, p + ".authenticated", false);
            if (accounts.isEmpty() && inGroups.isEmpty() && !anonymous && !authenticated) {
                throw new ConfigException(c.at(root, p).origin + ": " + p + " applies to nobody: give accounts,"
                        + " groups, authenticated: true or anonymous: true");
            }
            Set<String> actions = Set.copyOf(c.strings(root, p + ".actions"));
            for (String a : actions) {
                if (!RULE_ACTIONS.contains(a)) {
                    throw new ConfigException(c.at(root, p + ".actions").origin + ": " + p + ".actions may hold pull,"
                            + " push, delete and *, not '" + a + "'");
                }
            }
            List<String> repos = c.strings(root, p + ".repositories");
            boolean catalog = c.bool(root, p + ".catalog", false);
            boolean admin = c.bool(root, p + ".admin", false);
            if (!repos.isEmpty() && actions.isEmpty()) {
                throw new ConfigException(c.at(root, p).origin + ": " + p + " lists repositories but no actions");
            }
            rules.add(new io.lading.auth.AccessRules.Rule(accounts, inGroups, anonymous, authenticated, repos, actions,
                    catalog, admin));
        }
        return new io.lading.auth.AccessRules(groups, rules);
    }

}
