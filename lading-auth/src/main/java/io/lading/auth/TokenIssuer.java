package io.lading.auth;

import io.jsonwebtoken.Claims;
import io.jsonwebtoken.Jws;
import io.jsonwebtoken.JwtException;
import io.jsonwebtoken.Jwts;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The built-in token server (new in Lading: no separate auth server needed). It authenticates accounts against
 * the htpasswd file, grants the intersection of the requested scopes and the access rules, and signs short-lived
 * JWTs in the token spec's format ({@code iss}, {@code sub}, {@code aud}, {@code exp}, {@code nbf}, {@code iat},
 * {@code jti}, {@code access}) with its {@link SigningKey}. Refresh tokens (OAuth2 {@code access_type=offline})
 * are signed JWTs too, marked {@code lading_refresh}, bound to the account and the service, and useless as access
 * tokens; a refresh is refused once the account is gone from the htpasswd file.
 *
 * <pre>{@code
 * TokenIssuer issuer = new TokenIssuer("lading", "registry.example.com", key, users, rules, Duration.ofMinutes(5),
 *         Duration.ofDays(30), Clock.systemUTC());
 * TokenIssuer.Issued t = issuer.issue(rules.identity("alice"), List.of(Access.parse("repository:team/app:pull,push")), true);
 * }</pre>
 */
public final class TokenIssuer {
    /** A token response's content. */
    public record Issued(String token, Instant issuedAt, Duration expiresIn, List<Access> granted,
                         Optional<String> refreshToken) {
    }

    private final String issuer;
    private final String service;
    private final SigningKey key;
    private final Htpasswd users;
    private final AccessRules rules;
    private final Duration expiration;
    private final Duration refreshExpiration;
    private final Clock clock;

    public TokenIssuer(String issuer, String service, SigningKey key, Htpasswd users, AccessRules rules,
                       Duration expiration, Duration refreshExpiration, Clock clock) {
        this.issuer = issuer;
        this.service = service;
        this.key = key;
        this.users = users;
        this.rules = rules;
        this.expiration = expiration;
        this.refreshExpiration = refreshExpiration;
        this.clock = clock;
    }

    public String service() {
        return service;
    }

    /** The account if the credentials are right (constant-time against unknown accounts: see {@link Htpasswd}). */
    public Optional<Identity> login(String account, String password) {
        if (users != null && users.verify(account, password)) {
            return Optional.of(rules.identity(account));
        }
        return Optional.empty();
    }

    /** The account an HTTP Basic {@code Authorization} header logs in, parsed as {@link Htpasswd#authenticate}. */
    public Optional<Identity> loginBasic(String authorization) {
        return users == null ? Optional.empty() : users.authenticate(authorization).map(rules::identity);
    }

    /** Signs an access token for what {@code who} may do of {@code wanted}; with a refresh token if asked. */
    public Issued issue(Identity who, List<Access> wanted, boolean offline) {
        List<Access> granted = rules.grantAll(who, wanted);
        Instant now = clock.instant();
        List<Map<String, Object>> access = new ArrayList<>();
        for (Access a : granted) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", a.type());
            m.put("name", a.name());
            m.put("actions", a.actions().stream().sorted().toList());
            access.add(m);
        }
        String token = Jwts.builder().header().keyId(key.keyId()).type("JWT").and()
                .issuer(issuer).subject(who.anonymous() ? "" : who.account()).audience().add(service).and()
                .issuedAt(Date.from(now)).notBefore(Date.from(now.minusSeconds(1)))
                .expiration(Date.from(now.plus(expiration))).id(UUID.randomUUID().toString())
                .claim("access", access)
                .signWith(key.privateKey(), signature())
                .compact();
        Optional<String> refresh = Optional.empty();
        if (offline && !who.anonymous()) {
            refresh = Optional.of(Jwts.builder().header().keyId(key.keyId()).and()
                    .issuer(issuer).subject(who.account()).audience().add(service).and()
                    .issuedAt(Date.from(now)).expiration(Date.from(now.plus(refreshExpiration)))
                    .id(UUID.randomUUID().toString()).claim("lading_refresh", true)
                    .signWith(key.privateKey(), signature())
                    .compact());
        }
        return new Issued(token, now, expiration, granted, refresh);
    }

    private io.jsonwebtoken.security.SignatureAlgorithm signature() {
        return switch (key.algorithm()) {
            case "ES256" -> Jwts.SIG.ES256;
            case "ES384" -> Jwts.SIG.ES384;
            case "ES512" -> Jwts.SIG.ES512;
            case "RS256" -> Jwts.SIG.RS256;
            case "EdDSA" -> Jwts.SIG.EdDSA;
            default -> throw new IllegalStateException("no signature algorithm for " + key.algorithm());
        };
    }

    /** The account a refresh token of this issuer names, if it is valid and the account still exists. */
    public Optional<Identity> refresh(String refreshToken) {
        try {
            Jws<Claims> jws = Jwts.parser().verifyWith(key.publicKey()).requireIssuer(issuer).requireAudience(service)
                    .clockSkewSeconds(TokenVerifier.CLOCK_SKEW.toSeconds())
                    .clock(() -> Date.from(clock.instant())).build().parseSignedClaims(refreshToken);
            Claims c = jws.getPayload();
            if (!Boolean.TRUE.equals(c.get("lading_refresh", Boolean.class)) || c.getSubject() == null
                    || users == null || !users.exists(c.getSubject())) {
                return Optional.empty();
            }
            return Optional.of(rules.identity(c.getSubject()));
        } catch (JwtException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
