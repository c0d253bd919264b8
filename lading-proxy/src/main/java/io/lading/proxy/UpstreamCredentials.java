package io.lading.proxy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The credentials a pull-through cache gives the registry it mirrors: HTTP Basic's, or none. */
@FunctionalInterface
public interface UpstreamCredentials {
    /** The value of an {@code Authorization: Basic} header, or null to ask anonymously. */
    String basic() throws IOException;

    /** proxy.username and proxy.password; no credentials when {@code username} is null. */
    static UpstreamCredentials of(String username, String password) {
        String header = username == null ? null : header(username, password);
        return () -> header;
    }

    /** {@code Basic base64(username:password)}. */
    static String header(String username, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + (password == null ? "" : password))
                .getBytes(StandardCharsets.UTF_8));
    }
}
