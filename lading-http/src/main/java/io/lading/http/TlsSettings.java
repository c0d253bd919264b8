package io.lading.http;

import java.nio.file.Path;
import java.util.List;

/**
 * http.tls: the listener speaks HTTPS (HTTP/2 and HTTP/1.1, chosen by ALPN).
 *
 * @param certificate PEM: the server certificate, followed by its intermediates
 * @param key         PEM: its private key (PKCS#8, PKCS#1 RSA or SEC1 EC)
 * @param clientCas   PEM files of the CAs client certificates must chain to; empty: no client certificates (mTLS)
 * @param minimum     the oldest TLS version accepted: TLSv1.2 (distribution's default) or TLSv1.3
 * @param cipherSuites the only cipher suites offered, by their standard names; empty for the JDK's and Jetty's
 *                     defaults
 * @param http2       offer HTTP/2 by ALPN (http.http2.disabled turns it off: HTTP/1.1 only)
 */
public record TlsSettings(Path certificate, Path key, List<Path> clientCas, String minimum,
                          List<String> cipherSuites, boolean http2) {
    public TlsSettings {
        clientCas = List.copyOf(clientCas);
        cipherSuites = List.copyOf(cipherSuites);
    }

    /** With the default cipher suites, and HTTP/2. */
    public TlsSettings(Path certificate, Path key, List<Path> clientCas, String minimum) {
        this(certificate, key, clientCas, minimum, List.of(), true);
    }
}
