package io.lading.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The built-in issuer's key pair: read from a PEM file (a PKCS#8 {@code PRIVATE KEY} plus its {@code PUBLIC KEY}
 * or {@code CERTIFICATE}; for RSA the public key is derived), or generated (EC P-256) and kept in such a file,
 * readable by the owner only, so tokens stay valid across restarts.
 *
 * @param algorithm the JWS algorithm for the key: ES256, ES384, RS256 or EdDSA
 */
public record SigningKey(PrivateKey privateKey, PublicKey publicKey, String algorithm, String keyId) {
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z ]+)-----([^-]+)-----END \\1-----");

    /** Reads {@code file}, or creates it with a new EC P-256 key when it does not exist and {@code create} is set. */
    public static SigningKey load(Path file, boolean create) throws IOException {
        if (!Files.exists(file)) {
            if (!create) {
                throw new IOException("key file " + file + " does not exist");
            }
            return generate(file);
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        PrivateKey priv = null;
        PublicKey pub = null;
        Matcher m = PEM.matcher(text);
        try {
            while (m.find()) {
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                switch (m.group(1)) {
                    case "PRIVATE KEY" -> priv = privateKey(der);
                    case "PUBLIC KEY" -> pub = publicKey(der);
                    case "CERTIFICATE" -> pub = ((X509Certificate) CertificateFactory.getInstance("X.509")
                            .generateCertificate(new java.io.ByteArrayInputStream(der))).getPublicKey();
                    default -> throw new IOException(file + ": unsupported PEM block '" + m.group(1)
                            + "' (use PKCS#8: openssl pkcs8 -topk8 -nocrypt)");
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": unreadable key: " + e.getMessage(), e);
        }
        if (priv == null) {
            throw new IOException(file + " holds no PKCS#8 PRIVATE KEY block");
        }
        if (pub == null && priv instanceof RSAPrivateCrtKey rsa) {
            try {
                pub = KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(rsa.getModulus(),
                        rsa.getPublicExponent()));
            } catch (GeneralSecurityException e) {
                throw new IOException(e);
            }
        }
        if (pub == null) {
            throw new IOException(file + " needs the PUBLIC KEY (or CERTIFICATE) of its private key too");
        }
        return new SigningKey(priv, pub, algorithm(priv), KeyIds.libtrust(pub));
    }

    private static SigningKey generate(Path file) throws IOException {
        KeyPair pair;
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            pair = g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
        String pem = pem("PRIVATE KEY", pair.getPrivate().getEncoded()) + pem("PUBLIC KEY", pair.getPublic().getEncoded());
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp); // no POSIX permissions on this file system: the directory's access rules apply
        }
        Files.writeString(tmp, pem, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.SYNC);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return new SigningKey(pair.getPrivate(), pair.getPublic(), "ES256", KeyIds.libtrust(pair.getPublic()));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static PrivateKey privateKey(byte[] der) throws GeneralSecurityException {
        GeneralSecurityException last = null;
        for (String alg : new String[]{"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw last;
    }

    private static PublicKey publicKey(byte[] der) throws GeneralSecurityException {
        GeneralSecurityException last = null;
        for (String alg : new String[]{"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw last;
    }

    private static String algorithm(PrivateKey key) throws IOException {
        if (key instanceof ECPrivateKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            return bits <= 256 ? "ES256" : bits <= 384 ? "ES384" : "ES512";
        }
        if (key instanceof RSAPrivateCrtKey) {
            return "RS256";
        }
        if (key.getAlgorithm().equals("EdDSA") || key.getAlgorithm().equals("Ed25519")) {
            return "EdDSA";
        }
        throw new IOException("unsupported signing key type " + key.getAlgorithm());
    }
}
