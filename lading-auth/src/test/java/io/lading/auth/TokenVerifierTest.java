package io.lading.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.jsonwebtoken.Jwts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Token validation: what a forged, expired, misdirected or unsigned token gets (refused), and what passes. */
class TokenVerifierTest {
    private static final String SERVICE = "registry.test";
    private static final String ISSUER = "auth.test";

    static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    static KeyPair ed25519() throws Exception {
        return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    }

    private static io.jsonwebtoken.JwtBuilder token(String kid, Instant now) {
        return Jwts.builder().header().keyId(kid).and().issuer(ISSUER).subject("alice").audience().add(SERVICE).and()
                .issuedAt(Date.from(now)).notBefore(Date.from(now)).expiration(Date.from(now.plusSeconds(300)))
                .claim("access", List.of(Map.of("type", "repository", "name", "team/app",
                        "actions", List.of("pull", "push"))));
    }

    private static TokenVerifier verifier(Map<String, PublicKey> jwks, Set<String> algorithms) {
        return new TokenVerifier(SERVICE, ISSUER, List.of(), jwks, Map.of(), algorithms, Clock.systemUTC());
    }

    @Test
    void validTokensOfEachAlgorithmPassAndCarryTheirAccess() throws Exception {
        KeyPair ec = ec();
        KeyPair rsa = rsa();
        KeyPair ed = ed25519();
        TokenVerifier v = verifier(Map.of("ec", ec.getPublic(), "rsa", rsa.getPublic(), "ed", ed.getPublic()),
                TokenVerifier.DEFAULT_ALGORITHMS);
        Instant now = Instant.now();
        for (var t : List.of(token("ec", now).signWith(ec.getPrivate(), Jwts.SIG.ES256).compact(),
                token("rsa", now).signWith(rsa.getPrivate(), Jwts.SIG.RS256).compact(),
                token("ed", now).signWith(ed.getPrivate(), Jwts.SIG.EdDSA).compact())) {
            TokenVerifier.Verified ok = v.verify(t);
            assertThat(ok.subject()).isEqualTo("alice");
            assertThat(ok.grants(Access.repository("team/app", "pull"))).isTrue();
            assertThat(ok.grants(Access.repository("team/app", "pull", "push"))).isTrue();
            assertThat(ok.grants(Access.repository("team/app", "delete"))).isFalse();
            assertThat(ok.grants(Access.repository("team/other", "pull"))).isFalse();
            assertThat(ok.grants(Access.catalog())).isFalse();
        }
    }

    @Test
    void forgedExpiredMisdirectedAndUnsignedTokensAreRefused() throws Exception {
        KeyPair trusted = ec();
        KeyPair attacker = ec();
        KeyPair rsa = rsa();
        TokenVerifier v = verifier(Map.of("k", trusted.getPublic(), "rsa", rsa.getPublic()), Set.of("ES256"));
        Instant now = Instant.now();
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("signed by another key under the trusted kid",
                token("k", now).signWith(attacker.getPrivate(), Jwts.SIG.ES256).compact());
        bad.put("unknown kid", token("nope", now).signWith(trusted.getPrivate(), Jwts.SIG.ES256).compact());
        bad.put("expired beyond the skew", token("k", now.minusSeconds(3600))
                .expiration(Date.from(now.minusSeconds(61))).signWith(trusted.getPrivate(), Jwts.SIG.ES256).compact());
        bad.put("not yet valid", token("k", now).notBefore(Date.from(now.plusSeconds(600)))
                .signWith(trusted.getPrivate(), Jwts.SIG.ES256).compact());
        bad.put("wrong audience", token("k", now).audience().single("other.registry")
                .signWith(trusted.getPrivate(), Jwts.SIG.ES256).compact());
        bad.put("wrong issuer", token("k", now).issuer("evil").signWith(trusted.getPrivate(), Jwts.SIG.ES256).compact());
        bad.put("algorithm not allowed", token("rsa", now).signWith(rsa.getPrivate(), Jwts.SIG.RS256).compact());
        bad.put("no expiry", token("k", now).expiration(null).signWith(trusted.getPrivate(), Jwts.SIG.ES256).compact());
        String payload = b64("{\"iss\":\"" + ISSUER + "\",\"sub\":\"alice\",\"aud\":\"" + SERVICE + "\",\"exp\":"
                + (now.getEpochSecond() + 300) + ",\"access\":[{\"type\":\"repository\",\"name\":\"team/app\","
                + "\"actions\":[\"pull\"]}]}");
        bad.put("alg none", b64("{\"alg\":\"none\",\"kid\":\"k\"}") + "." + payload + ".");
        bad.put("alg none with a signature", b64("{\"alg\":\"none\",\"kid\":\"k\"}") + "." + payload + ".c2ln");
        // Key confusion: HS256 "signed" with the public key's bytes as the HMAC secret.
        javax.crypto.SecretKey confused = new javax.crypto.spec.SecretKeySpec(trusted.getPublic().getEncoded(),
                "HmacSHA256");
        bad.put("HS256 keyed with the public key", token("k", now).signWith(confused, Jwts.SIG.HS256).compact());
        String good = token("k", now).signWith(trusted.getPrivate(), Jwts.SIG.ES256).compact();
        String[] parts = good.split("\\.");
        bad.put("payload swapped under a valid signature", parts[0] + "." + payload + "." + parts[2]);
        bad.put("garbage", "not.a.token");
        for (var e : bad.entrySet()) {
            assertThatThrownBy(() -> v.verify(e.getValue())).as(e.getKey())
                    .isInstanceOf(TokenVerifier.InvalidToken.class);
        }
        assertThat(v.verify(good).subject()).isEqualTo("alice");
        assertThat(v.verify(token("k", now.minusSeconds(330)).signWith(trusted.getPrivate(), Jwts.SIG.ES256)
                .compact()).subject()).as("expired 30 s ago: within the skew").isEqualTo("alice");
    }

    @Test
    void remembersAVerifiedTokenUntilItExpiresAndNeverARefusedOne() throws Exception {
        KeyPair trusted = ec();
        KeyPair attacker = ec();
        java.util.concurrent.atomic.AtomicReference<Instant> now = new java.util.concurrent.atomic.AtomicReference<>(
                Instant.now());
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
        TokenVerifier v = new TokenVerifier(SERVICE, ISSUER, List.of(), Map.of("k", trusted.getPublic()), Map.of(),
                TokenVerifier.DEFAULT_ALGORITHMS, clock);
        Instant issued = now.get();
        String good = token("k", issued).expiration(Date.from(issued.plusSeconds(120)))
                .signWith(trusted.getPrivate(), Jwts.SIG.ES256).compact();
        String forged = token("k", issued).signWith(attacker.getPrivate(), Jwts.SIG.ES256).compact();

        assertThat(v.remembered(good)).as("never verified").isEmpty();
        assertThatThrownBy(() -> v.verify(forged)).isInstanceOf(TokenVerifier.InvalidToken.class);
        assertThat(v.remembered(forged)).isEmpty();
        assertThat(v.verify(good).grants(Access.repository("team/app", Access.PULL))).isTrue();
        assertThat(v.remembered(good)).hasValueSatisfying(t -> {
            assertThat(t.subject()).isEqualTo("alice");
            assertThat(t.grants(Access.repository("team/app", Access.PUSH))).isTrue();
            assertThat(t.grants(Access.repository("other/app", Access.PULL))).isFalse();
        });

        // Expiry (120 s) plus the clock skew (60 s): then neither memory nor verify takes it.
        now.set(issued.plusSeconds(179));
        assertThat(v.remembered(good)).isPresent();
        now.set(issued.plusSeconds(181));
        assertThat(v.remembered(good)).isEmpty();
        assertThatThrownBy(() -> v.verify(good)).isInstanceOf(TokenVerifier.InvalidToken.class);

        // A long-lived token is verified again after TokenVerifier.REMEMBER, not remembered for its whole life.
        String longLived = token("k", now.get()).expiration(Date.from(now.get().plusSeconds(3600)))
                .signWith(trusted.getPrivate(), Jwts.SIG.ES256).compact();
        v.verify(longLived);
        now.set(now.get().plus(TokenVerifier.REMEMBER).plusMillis(1));
        assertThat(v.remembered(longLived)).isEmpty();
        assertThat(v.verify(longLived).subject()).isEqualTo("alice");
        assertThat(v.remembered(longLived)).isPresent();
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void jwksFilesAndLibtrustKeyIdsFindTheKey(@TempDir Path dir) throws Exception {
        KeyPair k = ec();
        Path jwks = dir.resolve("jwks.json");
        var jwk = io.jsonwebtoken.security.Jwks.builder().key((java.security.interfaces.ECPublicKey) k.getPublic())
                .id("from-jwks").build();
        Files.writeString(jwks, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(
                Map.of("keys", List.of(jwk))));
        Map<String, PublicKey> keys = TokenVerifier.readJwks(jwks);
        assertThat(keys).containsOnlyKeys("from-jwks");
        TokenVerifier v = verifier(keys, TokenVerifier.DEFAULT_ALGORITHMS);
        assertThat(v.verify(token("from-jwks", Instant.now()).signWith(k.getPrivate(), Jwts.SIG.ES256).compact())
                .subject()).isEqualTo("alice");
        String id = KeyIds.libtrust(k.getPublic());
        assertThat(id).matches("([A-Z2-7]{4}:){11}[A-Z2-7]{4}");
        assertThat(KeyIds.libtrust(k.getPublic())).isEqualTo(id);
        assertThat(KeyIds.libtrust(ec().getPublic())).isNotEqualTo(id);
    }

    @Test
    void theBuiltInIssuerSignsWhatTheRulesGrantAndRefreshesOnlyExistingAccounts(@TempDir Path dir) throws Exception {
        Path users = dir.resolve("htpasswd");
        Files.writeString(users, "alice:" + new String(BCrypt.withDefaults().hash(4, "pw".toCharArray()),
                StandardCharsets.UTF_8) + "\n");
        SigningKey key = SigningKey.load(dir.resolve("auth/key.pem"), true);
        assertThat(SigningKey.load(dir.resolve("auth/key.pem"), false).keyId()).isEqualTo(key.keyId());
        assertThat(Files.getPosixFilePermissions(dir.resolve("auth/key.pem")).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");
        AccessRules rules = new AccessRules(Map.of(), List.of(new AccessRules.Rule(Set.of("alice"), Set.of(), false,
                false, List.of("team/**"), Set.of("pull"), false, false)));
        Htpasswd htpasswd = new Htpasswd(users, "test", Clock.systemUTC());
        TokenIssuer issuer = new TokenIssuer(ISSUER, SERVICE, key, htpasswd, rules, Duration.ofMinutes(5),
                Duration.ofDays(1), Clock.systemUTC());
        assertThat(issuer.login("alice", "wrong")).isEmpty();
        Identity alice = issuer.login("alice", "pw").orElseThrow();
        TokenIssuer.Issued t = issuer.issue(alice, Access.parseAll(List.of("repository:team/app:pull,push",
                "repository:other:pull")), true);
        assertThat(t.granted()).containsExactly(Access.repository("team/app", "pull"));
        TokenVerifier v = new TokenVerifier(SERVICE, ISSUER, List.of(), Map.of(), Map.of(key.keyId(), key.publicKey()),
                TokenVerifier.DEFAULT_ALGORITHMS, Clock.systemUTC());
        TokenVerifier.Verified ok = v.verify(t.token());
        assertThat(ok.grants(Access.repository("team/app", "pull"))).isTrue();
        assertThat(ok.grants(Access.repository("team/app", "push"))).isFalse();
        String refresh = t.refreshToken().orElseThrow();
        assertThatThrownBy(() -> v.verify(refresh)).isInstanceOf(TokenVerifier.InvalidToken.class);
        assertThat(issuer.refresh(refresh)).hasValue(alice);
        assertThat(issuer.refresh(t.token())).as("an access token is no refresh token").isEmpty();
        Files.writeString(users, "");
        Files.setLastModifiedTime(users, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
        Thread.sleep(1100); // the file is re-checked at most once a second
        assertThat(issuer.refresh(refresh)).as("account removed").isEmpty();
        PrivateKey unused = key.privateKey();
        assertThat(unused.getAlgorithm()).isEqualTo("EC");
    }
}
