package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jsonwebtoken.Jwts;
import io.lading.auth.Access;
import io.lading.auth.KeyIds;
import io.lading.auth.TokenVerifier;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** auth.token.rootcertbundle: tokens whose x5c chain leads to a trusted root, and docker_auth-style libtrust kids. */
class TokenCertificateChainTest {
    private static final String SERVICE = "registry.test";
    private static final String ISSUER = "auth.test";

    private static io.jsonwebtoken.JwtBuilder token() {
        Instant now = Instant.now();
        return Jwts.builder().issuer(ISSUER).subject("ci").audience().add(SERVICE).and()
                .issuedAt(Date.from(now)).expiration(Date.from(now.plusSeconds(300)))
                .claim("access", List.of(Map.of("type", "repository", "name", "ci/app", "actions", List.of("pull"))));
    }

    @Test
    void aChainToTheRootBundlePassesAndAnythingElseDoesNot(@TempDir Path dir) throws Exception {
        TestPki pki = new TestPki("Token CA");
        TestPki other = new TestPki("Other CA");
        TestPki.Issued signer = pki.issue("token-signer");
        TestPki.Issued stranger = other.issue("token-signer");
        // The bundle as distribution reads it: a PEM file.
        Path bundle = dir.resolve("root.pem");
        pki.writeCa(bundle);
        List<X509Certificate> roots = TokenVerifier.readCertificates(bundle);
        TokenVerifier v = new TokenVerifier(SERVICE, ISSUER, roots, Map.of(), Map.of(),
                TokenVerifier.DEFAULT_ALGORITHMS, Clock.systemUTC());

        String chained = token().header().x509Chain(List.of(signer.certificate(), pki.ca.certificate())).and()
                .signWith(signer.keys().getPrivate(), Jwts.SIG.ES256).compact();
        assertThat(v.verify(chained).grants(Access.repository("ci/app", "pull"))).isTrue();
        String leafOnly = token().header().x509Chain(List.of(signer.certificate())).and()
                .signWith(signer.keys().getPrivate(), Jwts.SIG.ES256).compact();
        assertThat(v.verify(leafOnly).subject()).isEqualTo("ci");

        // docker_auth: no x5c, kid = the libtrust id of a root bundle certificate's key.
        String libtrust = token().header().keyId(KeyIds.libtrust(pki.ca.certificate().getPublicKey())).and()
                .signWith(pki.ca.keys().getPrivate(), Jwts.SIG.ES256).compact();
        assertThat(v.verify(libtrust).subject()).isEqualTo("ci");

        String foreign = token().header().x509Chain(List.of(stranger.certificate(), other.ca.certificate())).and()
                .signWith(stranger.keys().getPrivate(), Jwts.SIG.ES256).compact();
        assertThatThrownBy(() -> v.verify(foreign)).isInstanceOf(TokenVerifier.InvalidToken.class)
                .hasMessageContaining("trusted root");
        // A trusted certificate in x5c does not make a signature by another key valid.
        String borrowed = token().header().x509Chain(List.of(signer.certificate(), pki.ca.certificate())).and()
                .signWith(stranger.keys().getPrivate(), Jwts.SIG.ES256).compact();
        assertThatThrownBy(() -> v.verify(borrowed)).isInstanceOf(TokenVerifier.InvalidToken.class);
    }
}
