package io.lading.http;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * PEM files (what distribution's http.tls takes) as the in-memory key stores Jetty wants. Bouncy Castle's PEM
 * parser reads every key format OpenSSL writes (PKCS#8, PKCS#1 RSA, SEC1 EC); errors name the file.
 */
final class PemStores {
    static final char[] PASSWORD = "lading".toCharArray();

    private PemStores() {
    }

    /** A key store holding the key with its certificate chain (alias "server"). */
    static KeyStore keyStore(Path certificate, Path key) throws IOException {
        List<X509Certificate> chain = certificates(certificate);
        PrivateKey privateKey = privateKey(key);
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", privateKey, PASSWORD, chain.toArray(Certificate[]::new));
            return ks;
        } catch (GeneralSecurityException e) {
            throw new IOException("http.tls: " + key + " does not match " + certificate + ": " + e.getMessage(), e);
        }
    }

    /** A trust store of every certificate in the files (client CAs). */
    static KeyStore trustStore(List<Path> files) throws IOException {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int n = 0;
            for (Path f : files) {
                for (X509Certificate c : certificates(f)) {
                    ks.setCertificateEntry("ca-" + n++, c);
                }
            }
            return ks;
        } catch (GeneralSecurityException e) {
            throw new IOException("http.tls.clientcas: " + e.getMessage(), e);
        }
    }

    static List<X509Certificate> certificates(Path file) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser pem = new PEMParser(r)) {
            JcaX509CertificateConverter convert = new JcaX509CertificateConverter();
            for (Object o; (o = pem.readObject()) != null; ) {
                if (o instanceof X509CertificateHolder h) {
                    out.add(convert.getCertificate(h));
                }
            }
        } catch (GeneralSecurityException | RuntimeException | org.bouncycastle.openssl.PEMException e) {
            throw new IOException("http.tls: " + file + ": not a PEM certificate file (" + e.getMessage() + ")", e);
        }
        if (out.isEmpty()) {
            throw new IOException("http.tls: " + file + ": no PEM certificate in it");
        }
        return out;
    }

    static PrivateKey privateKey(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser pem = new PEMParser(r)) {
            JcaPEMKeyConverter convert = new JcaPEMKeyConverter();
            for (Object o; (o = pem.readObject()) != null; ) {
                if (o instanceof PEMKeyPair pair) {
                    return convert.getPrivateKey(pair.getPrivateKeyInfo());
                }
                if (o instanceof PrivateKeyInfo info) {
                    return convert.getPrivateKey(info);
                }
            }
        } catch (RuntimeException | org.bouncycastle.openssl.PEMException e) {
            throw new IOException("http.tls: " + file + ": not a PEM private key (" + e.getMessage() + ")", e);
        }
        throw new IOException("http.tls: " + file + ": no unencrypted PEM private key in it");
    }
}
