package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lading.auth.AccessRules;
import io.lading.auth.Htpasswd;
import io.lading.auth.LoginLimiter;
import io.lading.auth.SigningKey;
import io.lading.auth.TokenIssuer;
import io.lading.auth.TokenVerifier;
import io.lading.core.Digest;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Identity × repository × action × endpoint, over HTTP, with htpasswd + rules and with tokens from the built-in
 * issuer: no request gets more than its grant. The expected outcome comes from a table written out here, not
 * from the rules implementation; path-confusion attempts never reach a repository the identity may not read.
 */
class AuthorizationMatrixTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SERVICE = "registry.test";
    private static final List<String> REPOS = List.of("team/app", "bob/tools", "public/lib", "secret/vault");
    private static final Map<String, String> PASSWORDS = Map.of("alice", "alice-pw", "bob", "bob-pw", "root", "root-pw");

    @TempDir
    static Path dir;
    static TestRegistry basic;
    static TestRegistry token;
    static Map<String, Digest> layers = new LinkedHashMap<>();
    static Map<String, String> manifests = new LinkedHashMap<>();

    /** The oracle: what each identity may do, written independently of AccessRules. */
    static boolean expected(String who, String repo, String action) {
        if ("root".equals(who)) {
            return true;
        }
        if (repo == null) {
            return false; // catalog and admin: root only
        }
        if (repo.startsWith("public/") && action.equals("pull")) {
            return true; // anonymous pulls, and so everyone's
        }
        return switch (who == null ? "anonymous" : who) {
            case "alice" -> repo.startsWith("team/") && (action.equals("pull") || action.equals("push"));
            case "bob" -> repo.startsWith("bob/");
            default -> false;
        };
    }

    static AccessRules rules() {
        return new AccessRules(Map.of("devs", Set.of("alice")), List.of(
                new AccessRules.Rule(Set.of(), Set.of("devs"), false, false, List.of("team/**"), Set.of("pull", "push"),
                        false, false),
                new AccessRules.Rule(Set.of("bob"), Set.of(), false, false, List.of("bob/**"), Set.of("*"), false, false),
                new AccessRules.Rule(Set.of(), Set.of(), true, false, List.of("public/**"), Set.of("pull"), false, false),
                new AccessRules.Rule(Set.of("root"), Set.of(), false, false, List.of("**"), Set.of("*"), true, true)));
    }

    @BeforeAll
    static void start() throws Exception {
        Path users = dir.resolve("htpasswd");
        StringBuilder lines = new StringBuilder();
        PASSWORDS.forEach((u, p) -> lines.append(u).append(':')
                .append(new String(BCrypt.withDefaults().hash(4, p.toCharArray()), StandardCharsets.UTF_8)).append('\n'));
        Files.writeString(users, lines);
        Clock clock = Clock.systemUTC();
        Htpasswd htpasswd = new Htpasswd(users, "test", clock);
        basic = new TestRegistry(AuthGate.basic(htpasswd, rules(), true, new LoginLimiter(1000, Duration.ofMinutes(1),
                clock)), null, true);
        SigningKey key = SigningKey.load(dir.resolve("key.pem"), true);
        TokenIssuer issuer = new TokenIssuer("lading-test", SERVICE, key, htpasswd, rules(), Duration.ofMinutes(5),
                Duration.ofDays(1), clock);
        TokenVerifier verifier = new TokenVerifier(SERVICE, "lading-test", List.of(), Map.of(),
                Map.of(key.keyId(), key.publicKey()), TokenVerifier.DEFAULT_ALGORITHMS, clock);
        token = new TestRegistry(AuthGate.token(verifier, "http://auth.test/token", SERVICE, true),
                new TokenHandler(issuer, new LoginLimiter(1000, Duration.ofMinutes(1), clock), SERVICE), true);
        for (TestRegistry r : List.of(basic, token)) {
            for (String repo : REPOS) {
                seed(r, repo);
            }
        }
    }

    @AfterAll
    static void stop() throws Exception {
        basic.close();
        token.close();
    }

    /** As root: a layer, a config and a manifest tagged v1 in {@code repo}. */
    private static void seed(TestRegistry r, String repo) throws Exception {
        byte[] layer = ("layer of " + repo).getBytes(StandardCharsets.UTF_8);
        byte[] config = ("{\"repo\":\"" + repo + "\"}").getBytes(StandardCharsets.UTF_8);
        Digest l = push(r, "root", repo, layer);
        Digest c = push(r, "root", repo, config);
        String m = Manifests.image(c, config.length, l, layer.length);
        HttpResponse<byte[]> put = call(r, "root", "PUT", "/v2/" + repo + "/manifests/v1", m.getBytes(StandardCharsets.UTF_8),
                "repository:" + repo + ":pull,push", "Content-Type", Manifests.OCI_MANIFEST);
        assertThat(put.statusCode()).as(TestRegistry.text(put)).isEqualTo(201);
        layers.put(repo, l);
        manifests.put(repo, m);
    }

    private static Digest push(TestRegistry r, String who, String repo, byte[] bytes) throws Exception {
        Digest d = Digest.of(Digest.Algorithm.SHA256, bytes);
        HttpResponse<byte[]> post = call(r, who, "POST", "/v2/" + repo + "/blobs/uploads/?digest=" + d, bytes,
                "repository:" + repo + ":pull,push");
        assertThat(post.statusCode()).as(TestRegistry.text(post)).isEqualTo(201);
        return d;
    }

    /** A request as {@code who} (null: anonymous): Basic on the basic registry, a fresh token on the token one. */
    static HttpResponse<byte[]> call(TestRegistry r, String who, String method, String path, byte[] body, String scope,
                                     String... headers) throws Exception {
        List<String> h = new ArrayList<>(List.of(headers));
        if (r == basic && who != null) {
            h.addAll(List.of("Authorization", basicAuth(who)));
        }
        if (r == token) {
            String t = tokenFor(who, scope);
            h.addAll(List.of("Authorization", "Bearer " + t));
        }
        return r.send(method, path, body, h.toArray(String[]::new));
    }

    static String basicAuth(String who) {
        return "Basic " + Base64.getEncoder().encodeToString((who + ":" + PASSWORDS.get(who))
                .getBytes(StandardCharsets.UTF_8));
    }

    static String tokenFor(String who, String scope) throws Exception {
        String url = "/token?service=" + SERVICE + (scope == null ? "" : "&scope="
                + URLEncoder.encode(scope, StandardCharsets.UTF_8));
        HttpResponse<byte[]> r = who == null ? token.send("GET", url, null)
                : token.send("GET", url, null, "Authorization", basicAuth(who));
        assertThat(r.statusCode()).as(TestRegistry.text(r)).isEqualTo(200);
        return JSON.readTree(r.body()).path("token").asText();
    }

    record Case(String action, String method, String path, byte[] body, String[] headers) {
    }

    static List<Case> cases(String repo) {
        String v1 = manifests.get(repo);
        String missing = Digest.of(Digest.Algorithm.SHA256, "nothing".getBytes(StandardCharsets.UTF_8)).toString();
        return List.of(
                new Case("pull", "GET", "/v2/" + repo + "/tags/list", null, new String[0]),
                new Case("pull", "HEAD", "/v2/" + repo + "/manifests/v1", null, new String[]{"Accept", Manifests.OCI_MANIFEST}),
                new Case("pull", "GET", "/v2/" + repo + "/manifests/v1", null, new String[]{"Accept", Manifests.OCI_MANIFEST}),
                new Case("pull", "GET", "/v2/" + repo + "/blobs/" + layers.get(repo), null, new String[0]),
                new Case("pull", "GET", "/v2/" + repo + "/referrers/" + Manifests.digest(v1), null, new String[0]),
                new Case("push", "POST", "/v2/" + repo + "/blobs/uploads/", null, new String[0]),
                new Case("push", "PUT", "/v2/" + repo + "/manifests/v1", v1.getBytes(StandardCharsets.UTF_8),
                        new String[]{"Content-Type", Manifests.OCI_MANIFEST}),
                new Case("delete", "DELETE", "/v2/" + repo + "/manifests/" + missing, null, new String[0]),
                new Case("delete", "DELETE", "/v2/" + repo + "/blobs/" + missing, null, new String[0]));
    }

    private static String scopeOf(String repo, String action) {
        return "repository:" + repo + ":" + (action.equals("push") ? "pull,push" : action);
    }

    @Test
    void noIdentityGetsMoreThanItsGrantOnAnyEndpoint() throws Exception {
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (TestRegistry r : List.of(basic, token)) {
            String mode = r == basic ? "basic" : "token";
            for (String who : new String[]{null, "alice", "bob", "root"}) {
                for (String repo : REPOS) {
                    for (Case c : cases(repo)) {
                        HttpResponse<byte[]> resp = call(r, who, c.method(), c.path(), c.body(),
                                scopeOf(repo, c.action()), c.headers());
                        boolean allowed = expected(who, repo, c.action());
                        checked++;
                        String what = mode + " " + who + " " + c.method() + " " + c.path() + " -> " + resp.statusCode();
                        if (allowed && (resp.statusCode() == 401 || resp.statusCode() == 403 || resp.statusCode() >= 500)) {
                            failures.add("refused but granted: " + what + " " + TestRegistry.text(resp));
                        }
                        if (!allowed && !refusedProperly(r, who, resp)) {
                            failures.add("not refused properly: " + what + " " + TestRegistry.text(resp));
                        }
                    }
                }
                // Catalog and admin API: root only.
                for (String[] p : new String[][]{{"GET", "/v2/_catalog", "registry:catalog:*"},
                        {"GET", "/lading/v1/gc", "registry:admin:*"}}) {
                    HttpResponse<byte[]> resp = call(r, who, p[0], p[1], null, p[2]);
                    checked++;
                    String what = mode + " " + who + " " + p[1] + " -> " + resp.statusCode();
                    if ("root".equals(who) ? resp.statusCode() != 200 : !refusedProperly(r, who, resp)) {
                        failures.add(what + " " + TestRegistry.text(resp));
                    }
                }
            }
        }
        assertThat(failures).as("of " + checked + " requests").isEmpty();
        assertThat(checked).isEqualTo(2 * 4 * (REPOS.size() * 9 + 2));
    }

    /** Anonymous: 401 with a challenge; an account: 403 DENIED (basic) or 401 insufficient_scope (token). */
    private static boolean refusedProperly(TestRegistry r, String who, HttpResponse<byte[]> resp) {
        String challenge = resp.headers().firstValue("WWW-Authenticate").orElse("");
        if (r == token) {
            return resp.statusCode() == 401 && challenge.startsWith("Bearer realm=\"http://auth.test/token\",service=\""
                    + SERVICE + "\"") && (who == null || challenge.contains("error=\"insufficient_scope\""));
        }
        if (who == null) {
            return resp.statusCode() == 401 && challenge.startsWith("Basic realm=");
        }
        return resp.statusCode() == 403 && (resp.request().method().equals("HEAD")
                || TestRegistry.text(resp).contains("\"DENIED\""));
    }

    @Test
    void pathConfusionNeverReachesAnotherRepository() throws Exception {
        List<String> attempts = List.of(
                "/v2/team/../secret/vault/tags/list",
                "/v2/team/app/../../secret/vault/tags/list",
                "/v2/team/%2e%2e/secret/vault/tags/list",
                "/v2/team%2F..%2Fsecret%2Fvault/tags/list",
                "/v2/team/app%2F..%2F..%2Fsecret%2Fvault/tags/list",
                "/v2/team/./app/../../secret/vault/manifests/v1",
                "/v2/secret/vault/tags/list%00",
                "/v2/team/app/blobs/uploads/../../../../secret/vault/tags/list",
                "/v2//secret/vault/tags/list",
                "/v2/team/app/manifests/../../../secret/vault/manifests/v1");
        for (TestRegistry r : List.of(basic, token)) {
            for (String path : attempts) {
                // alice's token is for team/app; whatever the path claims, secret/vault must stay closed.
                HttpResponse<byte[]> resp = call(r, "alice", "GET", path, null, "repository:team/app:pull",
                        "Accept", Manifests.OCI_MANIFEST);
                assertThat(resp.statusCode()).as(path).isIn(400, 401, 403, 404);
                assertThat(TestRegistry.text(resp)).as(path).doesNotContain("v1").doesNotContain("secret/vault\",\"tags");
            }
        }
    }

    @Test
    void aMountNeedsPullOnTheSourceOtherwiseItIsAnOrdinaryUpload() throws Exception {
        for (TestRegistry r : List.of(basic, token)) {
            Digest bobs = layers.get("bob/tools");
            // alice may push to team/app but not read bob/tools: the mount falls back to an upload session.
            HttpResponse<byte[]> denied = call(r, "alice", "POST", "/v2/team/app/blobs/uploads/?mount=" + bobs
                    + "&from=bob/tools", null, "repository:team/app:pull,push repository:bob/tools:pull");
            assertThat(denied.statusCode()).isEqualTo(202);
            assertThat(call(r, "alice", "HEAD", "/v2/team/app/blobs/" + bobs, null, "repository:team/app:pull")
                    .statusCode()).isEqualTo(404);
            // Without from, nothing is searched for an access-controlled client either.
            assertThat(call(r, "alice", "POST", "/v2/team/app/blobs/uploads/?mount=" + bobs, null,
                    "repository:team/app:pull,push").statusCode()).isEqualTo(202);
            // root may read bob/tools: mounted.
            assertThat(call(r, "root", "POST", "/v2/secret/vault/blobs/uploads/?mount=" + bobs + "&from=bob/tools",
                    null, "repository:secret/vault:pull,push repository:bob/tools:pull").statusCode()).isEqualTo(201);
        }
    }

    @Test
    void autoRedirectPutsTheTokenUrlOnTheHostTheClientAskedInTheChallenge() throws Exception {
        TokenVerifier verifier = new TokenVerifier(SERVICE, "lading-test", List.of(), Map.of(), Map.of(),
                TokenVerifier.DEFAULT_ALGORITHMS, Clock.systemUTC());
        try (TestRegistry r = new TestRegistry(AuthGate.token(verifier, "http://auth.test/token", "/auth/token/",
                SERVICE, true), null, true)) {
            String host = "127.0.0.1:" + r.server.port();
            assertThat(r.send("GET", "/v2/", null).headers().firstValue("WWW-Authenticate"))
                    .as("https unless a proxy says otherwise")
                    .hasValue("Bearer realm=\"https://" + host + "/auth/token/\",service=\"" + SERVICE + "\"");
            assertThat(r.send("GET", "/v2/team/app/tags/list", null, "X-Forwarded-Proto", "http").headers()
                    .firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"http://" + host + "/auth/token/\",service=\""
                    + SERVICE + "\",scope=\"repository:team/app:pull\"");
            assertThat(r.send("GET", "/v2/", null, "X-Forwarded-Proto", "http, https").headers()
                    .firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer realm=\"http://" + host + "/");
            assertThat(r.send("GET", "/v2/", null, "X-Forwarded-Proto", "gopher\",x=\"y").headers()
                    .firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer realm=\"https://" + host + "/");
        }
    }

    @Test
    void theTokenEndpointSpeaksBothDialectsAndRefusesWhatItShould() throws Exception {
        // A 401 names the realm, the service and the exact scope the request needs.
        HttpResponse<byte[]> bare = token.send("GET", "/v2/team/app/tags/list", null);
        assertThat(bare.statusCode()).isEqualTo(401);
        assertThat(bare.headers().firstValue("WWW-Authenticate")).hasValue(
                "Bearer realm=\"http://auth.test/token\",service=\"" + SERVICE + "\",scope=\"repository:team/app:pull\"");
        assertThat(token.send("GET", "/v2/", null).headers().firstValue("WWW-Authenticate"))
                .hasValue("Bearer realm=\"http://auth.test/token\",service=\"" + SERVICE + "\"");
        assertThat(token.send("GET", "/v2/", null, "Authorization", "Bearer " + tokenFor("bob", null)).statusCode())
                .isEqualTo(200);

        // OAuth2 password grant with a refresh token, then the refresh grant.
        HttpResponse<byte[]> pw = form("grant_type=password&username=alice&password=alice-pw&client_id=test"
                + "&service=" + SERVICE + "&access_type=offline&scope=repository%3Ateam%2Fapp%3Apull%2Cpush+repository%3Asecret%2Fvault%3Apull");
        assertThat(pw.statusCode()).as(TestRegistry.text(pw)).isEqualTo(200);
        JsonNode body = JSON.readTree(pw.body());
        assertThat(body.path("scope").asText()).isEqualTo("repository:team/app:pull,push");
        assertThat(body.path("expires_in").asInt()).isEqualTo(300);
        assertThat(pw.headers().firstValue("Cache-Control")).hasValue("no-store");
        String refresh = body.path("refresh_token").asText();
        assertThat(refresh).isNotEmpty();
        HttpResponse<byte[]> refreshed = form("grant_type=refresh_token&refresh_token=" + refresh + "&client_id=test"
                + "&service=" + SERVICE + "&scope=repository%3Ateam%2Fapp%3Apull");
        assertThat(refreshed.statusCode()).isEqualTo(200);
        String access = JSON.readTree(refreshed.body()).path("access_token").asText();
        assertThat(token.send("GET", "/v2/team/app/tags/list", null, "Authorization", "Bearer " + access).statusCode())
                .isEqualTo(200);
        // The refresh token is not an access token.
        HttpResponse<byte[]> asAccess = token.send("GET", "/v2/team/app/tags/list", null, "Authorization",
                "Bearer " + refresh);
        assertThat(asAccess.statusCode()).isEqualTo(401);
        assertThat(asAccess.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"");

        assertThat(JSON.readTree(form("grant_type=password&username=alice&password=nope&client_id=t").body())
                .path("error").asText()).isEqualTo("invalid_grant");
        assertThat(form("grant_type=client_credentials&client_id=t").statusCode()).isEqualTo(400);
        assertThat(form("grant_type=password&username=alice&password=alice-pw").statusCode()).as("no client_id")
                .isEqualTo(400);
        assertThat(token.send("GET", "/token?service=other", null).statusCode()).isEqualTo(400);
        assertThat(token.send("GET", "/token?scope=repository:broken", null).statusCode()).isEqualTo(400);
        HttpResponse<byte[]> wrong = token.send("GET", "/token?service=" + SERVICE, null, "Authorization",
                "Basic " + Base64.getEncoder().encodeToString("alice:wrong".getBytes(StandardCharsets.UTF_8)));
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Basic realm=");
    }

    private static HttpResponse<byte[]> form(String body) throws Exception {
        return token.send("POST", "/token", body.getBytes(StandardCharsets.UTF_8), "Content-Type",
                "application/x-www-form-urlencoded");
    }

    @Test
    void repeatedFailedLoginsAreAnsweredWith429AndRetryAfter() throws Exception {
        Path users = dir.resolve("htpasswd");
        try (TestRegistry r = new TestRegistry(AuthGate.basic(new Htpasswd(users, "test", Clock.systemUTC()),
                rules(), true, new LoginLimiter(3, Duration.ofMinutes(1), Clock.systemUTC())), null, true)) {
            String wrong = "Basic " + Base64.getEncoder().encodeToString("alice:guess".getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < 3; i++) {
                assertThat(r.send("GET", "/v2/", null, "Authorization", wrong).statusCode()).isEqualTo(401);
            }
            HttpResponse<byte[]> limited = r.send("GET", "/v2/", null, "Authorization", basicAuth("alice"));
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(TestRegistry.text(limited)).contains("TOOMANYREQUESTS");
            assertThat(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 60L);
        }
    }
}
