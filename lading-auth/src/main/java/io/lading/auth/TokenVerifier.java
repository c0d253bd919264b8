package io.lading.auth;

import io.jsonwebtoken.Claims;
import io.jsonwebtoken.Jws;
import io.jsonwebtoken.JwsHeader;
import io.jsonwebtoken.JwtException;
import io.jsonwebtoken.JwtParser;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.LocatorAdapter;
import io.jsonwebtoken.security.Jwk;
import io.jsonwebtoken.security.JwkSet;
import io.jsonwebtoken.security.Jwks;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.PublicKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Verifies bearer tokens as distribution's token access controller does ({@code auth.token}): the signature by a
 * trusted key, the issuer, the audience (the service), {@code nbf}/{@code exp} with a small clock skew, and reads
 * the {@code access} claim. The signing key is found, in this order: an {@code x5c} chain that validates against
 * the root certificate bundle; a {@code kid} naming a key of the JWKS file, a root certificate's libtrust key id,
 * or one of the {@code extraKeys} (the built-in issuer's); a {@code jwk} header whose key is one of those. The
 * algorithm must be in the allowed list, and unsigned tokens ({@code alg: none}) never pass. A client sends the
 * same token with every request of a pull, and checking a signature costs far more than the pull (ES256: about
 * 0.6 ms of CPU), so a verified token is remembered, by its text, until its expiry or for five minutes.
 *
 * <pre>{@code
 * TokenVerifier v = new TokenVerifier("registry.example.com", "auth.example.com", rootCerts, jwks, Map.of(),
 *         TokenVerifier.DEFAULT_ALGORITHMS, Clock.systemUTC());
 * TokenVerifier.Verified t = v.verify(bearer);   // throws InvalidToken
 * }</pre>
 */
public final class TokenVerifier {
    /** distribution's default list: every asymmetric algorithm (HMAC needs a shared secret Lading does not have). */
    public static final Set<String> DEFAULT_ALGORITHMS = Set.of("EdDSA", "RS256", "RS384", "RS512", "ES256",
            "ES384", "ES512", "PS256", "PS384", "PS512");
    /** How far the clocks of issuer and registry may disagree. */
    public static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
    /**
     * How long a verified token is taken as verified without checking its signature again (never past its expiry):
     * short, so that a certificate of its x5c chain that expires, or a trust change on restart, shows soon.
     */
    static final Duration REMEMBER = Duration.ofMinutes(5);
    /** Tokens remembered at most (a token is a kilobyte or two). */
    private static final int REMEMBERED = 1024;

    /** A verified token: who it is for and what it grants. */
    public record Verified(String subject, List<Access> access) {
        /** True when the token grants every action of {@code wanted}. */
        public boolean grants(Access wanted) {
            Set<String> granted = new HashSet<>();
            for (Access a : access) {
                if (a.type().equals(wanted.type()) && a.name().equals(wanted.name())) {
                    granted.addAll(a.actions());
                }
            }
            return granted.contains(Access.ALL) || granted.containsAll(wanted.actions());
        }
    }

    /** Why a token was refused (never shown with the token itself). */
    public static final class InvalidToken extends Exception {
        public InvalidToken(String message) {
            super(message, null, false, false);
        }
    }

    private final Set<TrustAnchor> anchors = new LinkedHashSet<>();
    private final Set<X509Certificate> roots = new LinkedHashSet<>();
    private final Map<String, PublicKey> keysById = new LinkedHashMap<>();
    private final Set<String> algorithms;
    private final JwtParser parser;
    private final Clock clock;
    /** Tokens verified lately, by their text: a client sends the same token with every request of a pull. */
    private final Map<String, Remembered> remembered = new ConcurrentHashMap<>();

    /** A verified token and the time (epoch milliseconds) until which it may be taken as verified. */
    private record Remembered(Verified token, long until) {
    }

    /**
     * @param service   the audience tokens must name (auth.token.service)
     * @param issuer    the issuer tokens must name (auth.token.issuer)
     * @param roots     auth.token.rootcertbundle's certificates (may be empty)
     * @param jwks      auth.token.jwks's keys by id (may be empty)
     * @param extraKeys more trusted keys by id (the built-in issuer's)
     */
    public TokenVerifier(String service, String issuer, Collection<X509Certificate> roots, Map<String, PublicKey> jwks,
                         Map<String, PublicKey> extraKeys, Set<String> algorithms, Clock clock) {
        for (X509Certificate c : roots) {
            this.roots.add(c);
            anchors.add(new TrustAnchor(c, null));
            keysById.put(KeyIds.libtrust(c.getPublicKey()), c.getPublicKey());
        }
        keysById.putAll(jwks);
        keysById.putAll(extraKeys);
        this.algorithms = Set.copyOf(algorithms);
        this.clock = clock;
        this.parser = Jwts.parser()
                .keyLocator(new Locator())
                .requireIssuer(issuer)
                .requireAudience(service)
                .clockSkewSeconds(CLOCK_SKEW.toSeconds())
                .clock(() -> Date.from(clock.instant()))
                .build();
    }

    /** Reads a PEM bundle of certificates (auth.token.rootcertbundle). */
    public static List<X509Certificate> readCertificates(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> out = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new IOException("no certificate in " + file);
            }
            return out;
        } catch (CertificateException e) {
            throw new IOException("not a PEM certificate bundle: " + file + " (" + e.getMessage() + ")", e);
        }
    }

    /** Reads a JWK Set file (auth.token.jwks): public keys by {@code kid}. */
    public static Map<String, PublicKey> readJwks(Path file) throws IOException {
        JwkSet set;
        try {
            set = Jwks.setParser().build().parse(Files.readString(file));
        } catch (RuntimeException e) {
            throw new IOException("not a JWK Set: " + file + " (" + e.getMessage() + ")", e);
        }
        Map<String, PublicKey> out = new LinkedHashMap<>();
        for (Jwk<?> k : set.getKeys()) {
            if (k.getId() != null && k.toKey() instanceof PublicKey pk) {
                out.put(k.getId(), pk);
            }
        }
        return out;
    }

    /** Verifies a compact JWS; its claims and access, or why not. A token verified lately is not verified again. */
    public Verified verify(String token) throws InvalidToken {
        Optional<Verified> known = remembered(token);
        if (known.isPresent()) {
            return known.get();
        }
        Jws<Claims> jws;
        try {
            jws = parser.parseSignedClaims(token);
        } catch (JwtException | IllegalArgumentException e) {
            throw new InvalidToken(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
        Claims claims = jws.getPayload();
        if (claims.getExpiration() == null) {
            throw new InvalidToken("token has no expiry (exp)");
        }
        if (Boolean.TRUE.equals(claims.get("lading_refresh", Boolean.class))) {
            throw new InvalidToken("a refresh token is not an access token");
        }
        Verified verified = new Verified(claims.getSubject(), List.copyOf(access(claims.get("access"))));
        remember(token, verified, claims.getExpiration().getTime());
        return verified;
    }

    /**
     * What {@code token} was verified as lately, while it is still valid (before its {@code exp}, with the clock
     * skew {@link #verify} allows, and for at most {@link #REMEMBER}). Parses and verifies nothing, so it may be
     * called where blocking is not allowed; empty means only that {@link #verify} must decide.
     */
    public Optional<Verified> remembered(String token) {
        Remembered r = remembered.get(token);
        if (r == null) {
            return Optional.empty();
        }
        if (clock.millis() >= r.until()) {
            remembered.remove(token, r);
            return Optional.empty();
        }
        return Optional.of(r.token());
    }

    private void remember(String token, Verified verified, long expiresAt) {
        long now = clock.millis();
        long until = Math.min(expiresAt + CLOCK_SKEW.toMillis(), now + REMEMBER.toMillis());
        if (remembered.size() >= REMEMBERED) {
            remembered.values().removeIf(r -> r.until() <= now);
            if (remembered.size() >= REMEMBERED) {
                remembered.clear(); // more clients at once than it holds: each verifies its token once more
            }
        }
        remembered.put(token, new Remembered(verified, until));
    }

    static List<Access> access(Object claim) throws InvalidToken {
        List<Access> out = new ArrayList<>();
        if (claim == null) {
            return out;
        }
        if (!(claim instanceof List<?> list)) {
            throw new InvalidToken("access claim is not a list");
        }
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> m) || !(m.get("type") instanceof String type)
                    || !(m.get("name") instanceof String name)) {
                throw new InvalidToken("access entry without type and name");
            }
            Set<String> actions = new LinkedHashSet<>();
            if (m.get("actions") instanceof List<?> as) {
                for (Object a : as) {
                    if (a instanceof String s) {
                        actions.add(s);
                    }
                }
            }
            out.add(new Access(type, name, actions));
        }
        return out;
    }

    private final class Locator extends LocatorAdapter<Key> {
        @Override
        protected Key locate(JwsHeader header) {
            String alg = header.getAlgorithm();
            if (alg == null || !algorithms.contains(alg)) {
                throw new io.jsonwebtoken.security.SecurityException("signing algorithm " + alg + " is not allowed");
            }
            List<X509Certificate> chain = header.getX509Chain();
            if (chain != null && !chain.isEmpty()) {
                return validated(chain);
            }
            String kid = header.getKeyId();
            if (kid != null && keysById.containsKey(kid)) {
                return keysById.get(kid);
            }
            if (header.getJwk() != null && header.getJwk().toKey() instanceof PublicKey pk
                    && keysById.containsValue(pk)) {
                return pk;
            }
            throw new io.jsonwebtoken.security.SecurityException("token signed by an unknown key"
                    + (kid == null ? "" : " (kid " + kid + ")"));
        }

        private PublicKey validated(List<X509Certificate> chain) {
            X509Certificate leaf = chain.get(0);
            if (roots.contains(leaf)) {
                return leaf.getPublicKey();
            }
            if (anchors.isEmpty()) {
                throw new io.jsonwebtoken.security.SecurityException("x5c given but no root certificate bundle");
            }
            try {
                List<X509Certificate> path = chain.stream().filter(c -> !roots.contains(c)).toList();
                PKIXParameters params = new PKIXParameters(anchors);
                params.setRevocationEnabled(false);
                CertPathValidator.getInstance("PKIX").validate(
                        CertificateFactory.getInstance("X.509").generateCertPath(path), params);
                return leaf.getPublicKey();
            } catch (Exception e) {
                throw new io.jsonwebtoken.security.SecurityException("x5c chain does not lead to a trusted root: "
                        + e.getMessage());
            }
        }
    }
}
