package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.lading.auth.Htpasswd;
import io.lading.core.Digest;
import io.lading.registry.RegistryOptions;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** auth.htpasswd over real HTTP: every path needs credentials, and the challenge tells clients how to log in. */
class HtpasswdAuthTest {
    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void everyRequestNeedsValidCredentialsAndA401SaysHowToLogIn(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("htpasswd");
        Files.writeString(file, "ann:" + new String(BCrypt.with(BCrypt.Version.VERSION_2Y).hash(4, "s3cret".toCharArray()),
                StandardCharsets.UTF_8) + "\n");
        try (TestRegistry reg = new TestRegistry(RegistryOptions.defaults(),
                new Htpasswd(file, "Lading registry", Clock.systemUTC()))) {
            HttpResponse<byte[]> anonymous = reg.send("GET", "/v2/", null);
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"Lading registry\"");
            assertThat(anonymous.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");
            assertThat(TestRegistry.text(anonymous)).contains("\"code\":\"UNAUTHORIZED\"");
            assertThat(reg.send("GET", "/v2/", null, "Authorization", basic("ann", "wrong")).statusCode()).isEqualTo(401);
            assertThat(reg.send("GET", "/v2/", null, "Authorization", basic("bob", "s3cret")).statusCode()).isEqualTo(401);
            assertThat(reg.send("GET", "/lading/v1/usage", null).statusCode()).isEqualTo(401);
            assertThat(reg.send("POST", "/v2/app/blobs/uploads/?digest=sha256:" + "0".repeat(64), "x".getBytes())
                    .statusCode()).isEqualTo(401);

            String auth = basic("ann", "s3cret");
            assertThat(reg.send("GET", "/v2/", null, "Authorization", auth).statusCode()).isEqualTo(200);
            byte[] blob = "authenticated bytes".getBytes(StandardCharsets.UTF_8);
            Digest d = Digest.of(Digest.Algorithm.SHA256, blob);
            assertThat(reg.send("POST", "/v2/app/blobs/uploads/?digest=" + d, blob, "Authorization", auth)
                    .statusCode()).isEqualTo(201);
            assertThat(reg.send("GET", "/v2/app/blobs/" + d, null, "Authorization", auth).body()).isEqualTo(blob);
            assertThat(reg.send("GET", "/v2/app/blobs/" + d, null).statusCode()).isEqualTo(401);
            assertThat(reg.send("GET", "/lading/v1/usage", null, "Authorization", auth).statusCode()).isEqualTo(200);
        }
    }
}
