package io.lading.http;

import static io.lading.http.Manifests.OCI_MANIFEST;
import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
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
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With access control on, a kept pull whose credentials were verified lately (a password, a bearer token) is
 * answered on the thread that read the request, as with access control off; credentials not verified yet, or that
 * do not grant the pull, go to a virtual thread, which verifies, and refuses, exactly as before.
 */
class AdmittedFromMemoryTest {
    private static final String SERVICE = "registry.test";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Fixed: the htpasswd file was checked "lately" for the whole test, whatever the machine's speed. */
    private static final Clock FIXED = Clock.fixed(Instant.parse("2026-12-03T00:00:00Z"), ZoneOffset.UTC);

    private final ConcurrentLinkedQueue<Boolean> virtualThreads = new ConcurrentLinkedQueue<>();
    private final RequestObserver observer = (route, method, status, nanos, in, out) ->
            virtualThreads.add(Thread.currentThread().isVirtual());

    private static Htpasswd htpasswd(Path dir) throws Exception {
        Path users = dir.resolve("htpasswd");
        Files.writeString(users, "alice:" + new String(BCrypt.withDefaults().hash(4, "alice-pw".toCharArray()),
                StandardCharsets.UTF_8) + "\n");
        return new Htpasswd(users, "test", FIXED);
    }

    private static String basic(String password) {
        return "Basic " + Base64.getEncoder().encodeToString(("alice:" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** Pushes a layer, a config and a manifest tagged v1 into {@code app}, with {@code authorization}. */
    private static void seed(TestRegistry reg, String authorization) throws Exception {
        byte[] layer = "layer".getBytes(StandardCharsets.UTF_8);
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        for (byte[] b : List.of(layer, config)) {
            assertThat(reg.send("POST", "/v2/app/blobs/uploads/?digest=" + Digest.of(Digest.Algorithm.SHA256, b), b,
                    "Authorization", authorization).statusCode()).isEqualTo(201);
        }
        String manifest = Manifests.image(Digest.of(Digest.Algorithm.SHA256, config), config.length,
                Digest.of(Digest.Algorithm.SHA256, layer), layer.length);
        assertThat(reg.send("PUT", "/v2/app/manifests/v1", manifest.getBytes(StandardCharsets.UTF_8),
                "Content-Type", OCI_MANIFEST, "Authorization", authorization).statusCode()).isEqualTo(201);
    }

    private static int pull(TestRegistry reg, String... authorization) throws Exception {
        List<String> headers = new ArrayList<>(List.of("Accept", OCI_MANIFEST));
        headers.addAll(List.of(authorization));
        return reg.send("GET", "/v2/app/manifests/v1", null, headers.toArray(String[]::new)).statusCode();
    }

    /** The thread kinds of the next {@code count} requests to finish (see LadingHandlerTest: one at a time here). */
    private List<Boolean> kinds(int count) throws InterruptedException {
        List<Boolean> kinds = new ArrayList<>();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (kinds.size() < count && System.nanoTime() < deadline) {
            Boolean virtual = virtualThreads.poll();
            if (virtual == null) {
                Thread.sleep(5);
            } else {
                kinds.add(virtual);
            }
        }
        Thread.sleep(50);
        assertThat(virtualThreads).isEmpty();
        return kinds;
    }

    /** Sends {@code request} and returns its status and the kind of thread that answered it. */
    private Map.Entry<Integer, Boolean> answered(Request request) throws Exception {
        int status = request.send();
        return Map.entry(status, kinds(1).get(0));
    }

    @FunctionalInterface
    private interface Request {
        int send() throws Exception;
    }

    @Test
    void aPasswordVerifiedLatelyIsAdmittedFromMemoryAndAnyOtherOnAVirtualThread(@TempDir Path dir) throws Exception {
        AuthGate gate = AuthGate.basic(htpasswd(dir), AccessRules.authenticatedAll(), false,
                new LoginLimiter(1000, Duration.ofMinutes(1), Clock.systemUTC()));
        try (TestRegistry reg = new TestRegistry(gate, null, observer)) {
            seed(reg, basic("alice-pw"));
            kinds(3);
            assertThat(answered(() -> pull(reg, "Authorization", basic("alice-pw"))))
                    .as("the manifest's bytes are read from storage, and kept").isEqualTo(Map.entry(200, true));
            assertThat(answered(() -> pull(reg, "Authorization", basic("alice-pw"))))
                    .isEqualTo(Map.entry(200, false));
            assertThat(answered(() -> pull(reg, "Authorization", basic("wrong")))).isEqualTo(Map.entry(401, true));
            assertThat(answered(() -> pull(reg, "Authorization", basic("wrong")))).isEqualTo(Map.entry(401, true));
            assertThat(answered(() -> pull(reg))).isEqualTo(Map.entry(401, true)); // anonymous
            assertThat(answered(() -> pull(reg, "Authorization", basic("alice-pw"))))
                    .isEqualTo(Map.entry(200, false));
        }
    }

    @Test
    void aTokenVerifiedLatelyIsAdmittedFromMemoryAndAnyOtherOnAVirtualThread(@TempDir Path dir) throws Exception {
        Htpasswd users = htpasswd(dir);
        SigningKey key = SigningKey.load(dir.resolve("key.pem"), true);
        TokenIssuer issuer = new TokenIssuer("lading-test", SERVICE, key, users, AccessRules.authenticatedAll(),
                Duration.ofMinutes(5), Duration.ofDays(1), Clock.systemUTC());
        TokenVerifier verifier = new TokenVerifier(SERVICE, "lading-test", List.of(), Map.of(),
                Map.of(key.keyId(), key.publicKey()), TokenVerifier.DEFAULT_ALGORITHMS, Clock.systemUTC());
        AuthGate gate = AuthGate.token(verifier, "http://auth.test/token", SERVICE, false);
        TokenHandler tokens = new TokenHandler(issuer, new LoginLimiter(1000, Duration.ofMinutes(1),
                Clock.systemUTC()), SERVICE);
        try (TestRegistry reg = new TestRegistry(gate, tokens, observer)) {
            String pusher = "Bearer " + token(reg, "repository:app:pull,push");
            seed(reg, pusher);
            String puller = "Bearer " + token(reg, "repository:app:pull");
            String elsewhere = "Bearer " + token(reg, "repository:other:pull");
            kinds(6); // three pushes, three tokens
            assertThat(answered(() -> pull(reg, "Authorization", pusher)))
                    .as("the manifest's bytes are read from storage, and kept").isEqualTo(Map.entry(200, true));

            assertThat(answered(() -> pull(reg, "Authorization", pusher))).isEqualTo(Map.entry(200, false));
            // verified on a virtual thread the first time, remembered after
            assertThat(answered(() -> pull(reg, "Authorization", puller))).isEqualTo(Map.entry(200, true));
            assertThat(answered(() -> pull(reg, "Authorization", puller))).isEqualTo(Map.entry(200, false));
            // remembered, but it does not grant this pull: refused where refusals are answered
            assertThat(answered(() -> pull(reg, "Authorization", elsewhere))).isEqualTo(Map.entry(401, true));
            assertThat(answered(() -> pull(reg, "Authorization", elsewhere))).isEqualTo(Map.entry(401, true));
            assertThat(answered(() -> pull(reg, "Authorization", "Bearer not.a.token")))
                    .isEqualTo(Map.entry(401, true));
            assertThat(answered(() -> pull(reg))).isEqualTo(Map.entry(401, true));
        }
    }

    private static String token(TestRegistry reg, String scope) throws Exception {
        HttpResponse<byte[]> r = reg.send("GET", "/token?service=" + SERVICE + "&scope="
                + URLEncoder.encode(scope, StandardCharsets.UTF_8), null, "Authorization", basic("alice-pw"));
        assertThat(r.statusCode()).as(TestRegistry.text(r)).isEqualTo(200);
        return JSON.readTree(r.body()).path("token").asText();
    }
}
