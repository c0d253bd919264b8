package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lading.core.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** http.tls: HTTPS with HTTP/2, client certificates, minimum version, reload, and TLS on a plain port. */
class TlsTest {
    private static HttpResponse<String> get(SSLContext ctx, String url, HttpClient.Version version, String... protocols)
            throws Exception {
        HttpClient.Builder b = HttpClient.newBuilder().sslContext(ctx).version(version);
        if (protocols.length > 0) {
            SSLParameters p = new SSLParameters();
            p.setProtocols(protocols);
            b.sslParameters(p);
        }
        try (HttpClient c = b.build()) {
            return c.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    private static String cn(HttpResponse<?> r) throws Exception {
        return ((X509Certificate) r.sslSession().orElseThrow().getPeerCertificates()[0]).getSubjectX500Principal()
                .getName();
    }

    @Test
    void servesHttp2AndHttp1OverTlsAndReloadsChangedCertificates(@TempDir Path dir) throws Exception {
        TestPki pki = new TestPki("Lading Test CA");
        Path cert = dir.resolve("server.crt");
        Path key = dir.resolve("server.key");
        pki.issue("registry-one").write(cert, key, pki.ca.certificate());
        try (TestRegistry r = new TestRegistry(new TlsSettings(cert, key, List.of(), "TLSv1.2"))) {
            SSLContext trusting = pki.clientContext(null, "TLS");
            HttpResponse<String> h2 = get(trusting, r.base + "/v2/", HttpClient.Version.HTTP_2);
            assertThat(h2.statusCode()).isEqualTo(200);
            assertThat(h2.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(h2.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");
            HttpResponse<String> h1 = get(trusting, r.base + "/v2/", HttpClient.Version.HTTP_1_1);
            assertThat(h1.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
            assertThat(cn(h1)).isEqualTo("CN=registry-one");

            // A renewed certificate in place of the old files is served without a restart.
            pki.issue("registry-two").write(cert, key, pki.ca.certificate());
            Files.setLastModifiedTime(cert, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 2000));
            r.server.reloadTlsIfChanged();
            assertThat(cn(get(trusting, r.base + "/v2/", HttpClient.Version.HTTP_1_1))).isEqualTo("CN=registry-two");

            // Broken files: the previous certificate stays in service.
            Files.writeString(key, "not a key");
            Files.setLastModifiedTime(key, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 4000));
            r.server.reloadTlsIfChanged();
            assertThat(cn(get(trusting, r.base + "/v2/", HttpClient.Version.HTTP_1_1))).isEqualTo("CN=registry-two");
        }
    }

    /** Pulls answered from memory (on the thread that read the request) also work over HTTP/2. */
    @Test
    void keptPullsAreAnsweredOverHttp2(@TempDir Path dir) throws Exception {
        TestPki pki = new TestPki("Lading Test CA");
        Path cert = dir.resolve("server.crt");
        Path key = dir.resolve("server.key");
        pki.issue("registry-one").write(cert, key, pki.ca.certificate());
        try (TestRegistry r = new TestRegistry(new TlsSettings(cert, key, List.of(), "TLSv1.2"));
             HttpClient h2 = HttpClient.newBuilder().sslContext(pki.clientContext(null, "TLS"))
                     .version(HttpClient.Version.HTTP_2).build()) {
            byte[] layer = "layer over h2".getBytes(StandardCharsets.UTF_8);
            Digest config = push(h2, r.base, "{}".getBytes(StandardCharsets.UTF_8));
            Digest l = push(h2, r.base, layer);
            String manifest = Manifests.image(config, 2, l, layer.length);
            HttpResponse<String> put = h2.send(HttpRequest.newBuilder(URI.create(r.base + "/v2/h2/manifests/v1"))
                    .header("Content-Type", Manifests.OCI_MANIFEST)
                    .PUT(HttpRequest.BodyPublishers.ofString(manifest)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).isEqualTo(201);

            HttpResponse<String> got = h2.send(HttpRequest.newBuilder(URI.create(r.base + "/v2/h2/manifests/v1"))
                    .header("Accept", Manifests.OCI_MANIFEST).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(got.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(got.statusCode()).isEqualTo(200);
            assertThat(got.body()).isEqualTo(manifest);
            assertThat(got.headers().firstValue("Docker-Content-Digest"))
                    .hasValue(Manifests.digest(manifest).toString());
            HttpResponse<Void> head = h2.send(HttpRequest.newBuilder(URI.create(r.base + "/v2/h2/blobs/" + l))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().firstValue("Content-Length")).hasValue(String.valueOf(layer.length));
        }
    }

    /** Pushes {@code content} into repository h2 in one monolithic POST; returns its digest. */
    private static Digest push(HttpClient client, String base, byte[] content) throws Exception {
        Digest d = Digest.of(Digest.Algorithm.SHA256, content);
        HttpResponse<Void> put = client.send(HttpRequest.newBuilder(URI.create(base + "/v2/h2/blobs/uploads/?digest="
                + d)).POST(HttpRequest.BodyPublishers.ofByteArray(content)).build(),
                HttpResponse.BodyHandlers.discarding());
        assertThat(put.statusCode()).isEqualTo(201);
        return d;
    }

    @Test
    void clientCertificatesAreRequiredWhenClientCasAreSet(@TempDir Path dir) throws Exception {
        TestPki pki = new TestPki("Lading Test CA");
        TestPki other = new TestPki("Someone Else's CA");
        Path cert = dir.resolve("server.crt");
        Path key = dir.resolve("server.key");
        Path cas = dir.resolve("clients.pem");
        pki.issue("registry").write(cert, key);
        pki.writeCa(cas);
        try (TestRegistry r = new TestRegistry(new TlsSettings(cert, key, List.of(cas), "TLSv1.2"))) {
            assertThat(get(pki.clientContext(pki.issue("ci-runner"), "TLS"), r.base + "/v2/",
                    HttpClient.Version.HTTP_1_1).statusCode()).isEqualTo(200);
            assertThatThrownBy(() -> get(pki.clientContext(null, "TLS"), r.base + "/v2/", HttpClient.Version.HTTP_1_1))
                    .isInstanceOf(IOException.class);
            // A client certificate from a CA not in clientcas is refused too.
            assertThatThrownBy(() -> get(foreignTrustingServer(pki, other), r.base + "/v2/",
                    HttpClient.Version.HTTP_1_1)).isInstanceOf(IOException.class);
        }
    }

    /** Trusts the server's CA but presents a certificate of another CA. */
    private static SSLContext foreignTrustingServer(TestPki server, TestPki other) throws Exception {
        TestPki.Issued intruder = other.issue("intruder");
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("c", intruder.keys().getPrivate(), "x".toCharArray(),
                new java.security.cert.Certificate[]{intruder.certificate()});
        var kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "x".toCharArray());
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", server.ca.certificate());
        var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    @Test
    void minimumTlsVersionIsEnforced(@TempDir Path dir) throws Exception {
        TestPki pki = new TestPki("Lading Test CA");
        Path cert = dir.resolve("server.crt");
        Path key = dir.resolve("server.key");
        pki.issue("registry").write(cert, key);
        try (TestRegistry r = new TestRegistry(new TlsSettings(cert, key, List.of(), "TLSv1.3"))) {
            SSLContext ctx = pki.clientContext(null, "TLS");
            assertThat(get(ctx, r.base + "/v2/", HttpClient.Version.HTTP_1_1, "TLSv1.3").statusCode()).isEqualTo(200);
            assertThatThrownBy(() -> get(ctx, r.base + "/v2/", HttpClient.Version.HTTP_1_1, "TLSv1.2"))
                    .isInstanceOf(IOException.class);
        }
    }

    /**
     * http.tls.ciphersuites: a TLS 1.2 client offering only a suite not in the list is refused, one offering a listed
     * suite gets it, and TLS 1.3 works whatever the list says (as in distribution, whose Go cannot restrict it).
     * The list is honoured exactly: a CBC suite Jetty excludes by default is offered when named.
     */
    @Test
    void onlyTheListedTls12CipherSuitesAreOffered(@TempDir Path dir) throws Exception {
        TestPki pki = new TestPki("Lading Test CA");
        Path cert = dir.resolve("server.crt");
        Path key = dir.resolve("server.key");
        pki.issue("registry").write(cert, key);
        String listed = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";
        String cbc = "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"; // in Jetty's default exclusions (a _SHA suffix)
        List<String> suites = new java.util.ArrayList<>(List.of(listed, cbc, "TLS_AES_128_GCM_SHA256",
                "TLS_AES_256_GCM_SHA384"));
        try (TestRegistry r = new TestRegistry(new TlsSettings(cert, key, List.of(), "TLSv1.2", suites, true))) {
            SSLContext ctx = pki.clientContext(null, "TLS");
            for (String suite : List.of(listed, cbc)) {
                HttpResponse<String> ok = getWith(ctx, r.base + "/v2/", "TLSv1.2", suite);
                assertThat(ok.statusCode()).isEqualTo(200);
                assertThat(ok.sslSession().orElseThrow().getCipherSuite()).isEqualTo(suite);
            }
            assertThatThrownBy(() -> getWith(ctx, r.base + "/v2/", "TLSv1.2",
                    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")).as("not in the list").isInstanceOf(IOException.class);
            HttpResponse<String> tls13 = get(ctx, r.base + "/v2/", HttpClient.Version.HTTP_1_1, "TLSv1.3");
            assertThat(tls13.statusCode()).isEqualTo(200);
        }
    }

    /** http.http2.disabled: no ALPN, so a client that would speak HTTP/2 speaks HTTP/1.1. */
    @Test
    void http2CanBeTurnedOff(@TempDir Path dir) throws Exception {
        TestPki pki = new TestPki("Lading Test CA");
        Path cert = dir.resolve("server.crt");
        Path key = dir.resolve("server.key");
        pki.issue("registry").write(cert, key);
        SSLContext ctx = pki.clientContext(null, "TLS");
        try (TestRegistry r = new TestRegistry(new TlsSettings(cert, key, List.of(), "TLSv1.2", List.of(), false))) {
            HttpResponse<String> one = get(ctx, r.base + "/v2/", HttpClient.Version.HTTP_2);
            assertThat(one.statusCode()).isEqualTo(200);
            assertThat(one.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        }
        try (TestRegistry r = new TestRegistry(new TlsSettings(cert, key, List.of(), "TLSv1.2", List.of(), true))) {
            assertThat(get(ctx, r.base + "/v2/", HttpClient.Version.HTTP_2).version())
                    .isEqualTo(HttpClient.Version.HTTP_2);
        }
    }

    private static HttpResponse<String> getWith(SSLContext ctx, String url, String protocol, String suite)
            throws Exception {
        SSLParameters p = new SSLParameters(new String[]{suite}, new String[]{protocol});
        try (HttpClient c = HttpClient.newBuilder().sslContext(ctx).sslParameters(p)
                .version(HttpClient.Version.HTTP_1_1).build()) {
            return c.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    /** Over TLS every byte is encrypted in the process: large blobs from files are copied, not sent with sendfile. */
    @Test
    void largeBlobsFromFilesArriveIntactOverTls(@TempDir Path dir) throws Exception {
        TestPki pki = new TestPki("Lading Test CA");
        Path cert = dir.resolve("server.crt");
        Path key = dir.resolve("server.key");
        pki.issue("registry").write(cert, key);
        Path store = Files.createDirectory(dir.resolve("store"));
        try (TestRegistry r = new TestRegistry(new TlsSettings(cert, key, List.of(), "TLSv1.2"),
                new io.lading.storage.FileSystemDriver(store));
             HttpClient c = HttpClient.newBuilder().sslContext(pki.clientContext(null, "TLS"))
                     .version(HttpClient.Version.HTTP_1_1).build()) {
            byte[] content = new byte[2 << 20];
            new java.util.Random(7).nextBytes(content);
            Digest d = Digest.of(Digest.Algorithm.SHA256, content);
            HttpResponse<Void> put = c.send(HttpRequest.newBuilder(URI.create(r.base + "/v2/tls/blobs/uploads/?digest="
                    + d)).POST(HttpRequest.BodyPublishers.ofByteArray(content)).build(),
                    HttpResponse.BodyHandlers.discarding());
            assertThat(put.statusCode()).isEqualTo(201);
            HttpResponse<byte[]> got = c.send(HttpRequest.newBuilder(URI.create(r.base + "/v2/tls/blobs/" + d))
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(got.body()).isEqualTo(content);
            assertThat(r.server.zeroCopyBytes()).isZero();
        }
    }

    @Test
    void aTlsHandshakeOnThePlainPortGetsAClearPlainText400() throws Exception {
        try (TestRegistry r = new TestRegistry(); Socket s = new Socket("127.0.0.1", r.server.port())) {
            OutputStream out = s.getOutputStream();
            // The first bytes of a TLS 1.2 ClientHello record.
            out.write(new byte[]{0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01, 0x00, 0x00, (byte) 0xc4, 0x03, 0x03});
            out.flush();
            s.setSoTimeout(5000);
            InputStream in = s.getInputStream();
            String reply = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(reply).startsWith("HTTP/1.1 400 Bad Request\r\n").contains("Content-Type: text/plain")
                    .endsWith("This port speaks plain HTTP, and the client started a TLS handshake: use http:// (or"
                            + " configure http.tls).\n");
        }
        try (TestRegistry r = new TestRegistry()) {
            assertThat(r.send("GET", "/v2/", null).statusCode()).isEqualTo(200); // plain HTTP is untouched
        }
    }

    @Test
    void privateKeysInEachFormatOpenSslWritesAreRead(@TempDir Path dir) throws Exception {
        // PKCS#1 "RSA PRIVATE KEY" (openssl genrsa), SEC1 "EC PRIVATE KEY" with its curve (openssl ecparam -genkey).
        var rsaGen = java.security.KeyPairGenerator.getInstance("RSA");
        rsaGen.initialize(2048);
        java.security.KeyPair rsa = rsaGen.generateKeyPair();
        java.io.StringWriter w = new java.io.StringWriter();
        try (var pem = new org.bouncycastle.openssl.jcajce.JcaPEMWriter(w)) {
            pem.writeObject(rsa);
        }
        assertThat(w.toString()).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        Files.writeString(dir.resolve("rsa.key"), w.toString());
        assertThat(PemStores.privateKey(dir.resolve("rsa.key"))).isEqualTo(rsa.getPrivate());

        var ecGen = java.security.KeyPairGenerator.getInstance("EC");
        ecGen.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        java.security.KeyPair ec = ecGen.generateKeyPair();
        var priv = (java.security.interfaces.ECPrivateKey) ec.getPrivate();
        var pubInfo = org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(ec.getPublic().getEncoded());
        byte[] sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(256, priv.getS(), pubInfo.getPublicKeyData(),
                org.bouncycastle.asn1.sec.SECObjectIdentifiers.secp256r1).getEncoded();
        java.io.StringWriter e = new java.io.StringWriter();
        try (var pem = new org.bouncycastle.util.io.pem.PemWriter(e)) {
            pem.writeObject(new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", sec1));
        }
        Files.writeString(dir.resolve("ec.key"), e.toString());
        assertThat(((java.security.interfaces.ECPrivateKey) PemStores.privateKey(dir.resolve("ec.key"))).getS())
                .isEqualTo(priv.getS());

        Files.writeString(dir.resolve("junk.key"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> PemStores.privateKey(dir.resolve("junk.key"))).isInstanceOf(IOException.class)
                .hasMessageContaining("junk.key");
    }
}
