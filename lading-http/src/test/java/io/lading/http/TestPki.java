package io.lading.http;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throwaway certificate authority for tests: a CA, server and client certificates, as PEM files. */
public final class TestPki {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    /** A key pair and its certificate. */
    public record Issued(KeyPair keys, X509Certificate certificate) {
        /** Writes the certificate (followed by {@code chain}) and the key as PEM; the key in OpenSSL's own format. */
        public void write(Path certificateFile, Path keyFile, X509Certificate... chain) throws IOException {
            StringWriter c = new StringWriter();
            try (JcaPEMWriter w = new JcaPEMWriter(c)) {
                w.writeObject(certificate);
                for (X509Certificate x : chain) {
                    w.writeObject(x);
                }
            }
            Files.writeString(certificateFile, c.toString());
            StringWriter k = new StringWriter();
            try (JcaPEMWriter w = new JcaPEMWriter(k)) {
                w.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(keys.getPrivate(), null));
            }
            Files.writeString(keyFile, k.toString());
        }
    }

    public final Issued ca;

    public TestPki(String name) throws Exception {
        KeyPair keys = ec();
        X500Name subject = new X500Name("CN=" + name);
        var b = new JcaX509v3CertificateBuilder(subject, serial(), from(), until(), subject, keys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        ca = new Issued(keys, sign(b, keys));
    }

    /** A certificate for {@code cn}, valid for 127.0.0.1 and localhost. */
    public Issued issue(String cn) throws Exception {
        KeyPair keys = ec();
        var b = new JcaX509v3CertificateBuilder(new X500Name(ca.certificate().getSubjectX500Principal().getName()),
                serial(), from(), until(), new X500Name("CN=" + cn), keys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[]{
                        new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                        new GeneralName(GeneralName.dNSName, "localhost")}));
        return new Issued(keys, sign(b, ca.keys()));
    }

    public void writeCa(Path file) throws IOException {
        StringWriter c = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(c)) {
            w.writeObject(ca.certificate());
        }
        Files.writeString(file, c.toString());
    }

    /** A client TLS context that trusts this CA, presenting {@code client} when not null. */
    public SSLContext clientContext(Issued client, String protocol) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (client != null) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("client", client.keys().getPrivate(), "x".toCharArray(),
                    new java.security.cert.Certificate[]{client.certificate(), ca.certificate()});
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, "x".toCharArray());
        }
        SSLContext ctx = SSLContext.getInstance(protocol);
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    private static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509Certificate sign(org.bouncycastle.cert.X509v3CertificateBuilder b, KeyPair issuer) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA")
                .build(issuer.getPrivate())));
    }

    private static BigInteger serial() {
        return BigInteger.valueOf(SERIAL.incrementAndGet());
    }

    private static Date from() {
        return Date.from(Instant.now().minus(Duration.ofMinutes(5)));
    }

    private static Date until() {
        return Date.from(Instant.now().plus(Duration.ofDays(2)));
    }
}
