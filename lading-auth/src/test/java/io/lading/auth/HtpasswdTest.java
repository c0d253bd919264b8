package io.lading.auth;

import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtpasswdTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now.get());
        }
    };

    private static String hash(BCrypt.Version version, String password) {
        return new String(BCrypt.with(version).hash(4, password.toCharArray()), StandardCharsets.UTF_8);
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void acceptsEveryBcryptVariantAndNothingElse(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("htpasswd");
        Files.writeString(file, "# users\nann:" + hash(BCrypt.Version.VERSION_2Y, "a-secret") + "\n"
                + "bob:" + hash(BCrypt.Version.VERSION_2A, "b-secret") + "\n"
                + "cid:" + hash(BCrypt.Version.VERSION_2B, "c-secret") + "\n"
                + "old:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n");
        Htpasswd h = new Htpasswd(file, "Lading", clock);
        assertThat(h.authenticate(basic("ann", "a-secret"))).hasValue("ann");
        assertThat(h.authenticate(basic("bob", "b-secret"))).hasValue("bob");
        assertThat(h.authenticate(basic("cid", "c-secret"))).hasValue("cid");
        assertThat(h.authenticate(basic("ann", "a-secret"))).hasValue("ann"); // remembered
        assertThat(h.authenticate(basic("ann", "wrong"))).isEmpty();
        assertThat(h.authenticate(basic("old", "password"))).isEmpty(); // SHA1 entries are not accepted
        assertThat(h.authenticate(basic("nobody", "x"))).isEmpty();
        assertThat(h.authenticate(null)).isEmpty();
        assertThat(h.authenticate("Bearer abc")).isEmpty();
        assertThat(h.authenticate("Basic !!!")).isEmpty();
        assertThat(h.authenticate("Basic " + Base64.getEncoder().encodeToString("nocolon".getBytes()))).isEmpty();
        assertThat(h.challenge()).isEqualTo("Basic realm=\"Lading\"");
    }

    @Test
    void answersFromMemoryOnlyWhatWasVerifiedLatelyWhileTheFileWasCheckedLately(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("htpasswd");
        Files.writeString(file, "ann:" + hash(BCrypt.Version.VERSION_2Y, "a-secret") + "\n");
        Htpasswd h = new Htpasswd(file, "r", clock);
        assertThat(h.remembered(basic("ann", "a-secret"))).as("never verified").isEmpty();
        assertThat(h.authenticate(basic("ann", "a-secret"))).hasValue("ann");
        assertThat(h.remembered(basic("ann", "a-secret"))).hasValue("ann");
        assertThat(h.remembered(basic("ann", "wrong"))).isEmpty();
        assertThat(h.remembered(basic("nobody", "a-secret"))).isEmpty();
        assertThat(h.remembered("Basic !!!")).isEmpty();

        // Past the file's recheck interval memory cannot tell (the file may have changed); authenticate rechecks it.
        now.addAndGet(1500);
        assertThat(h.remembered(basic("ann", "a-secret"))).isEmpty();
        assertThat(h.authenticate(basic("ann", "a-secret"))).hasValue("ann");
        assertThat(h.remembered(basic("ann", "a-secret"))).hasValue("ann");

        // A changed password, once the file is read again, is not answered from memory.
        Files.writeString(file, "ann:" + hash(BCrypt.Version.VERSION_2Y, "new-secret") + "\n");
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 5000));
        now.addAndGet(1500);
        assertThat(h.authenticate(basic("ann", "a-secret"))).isEmpty();
        assertThat(h.remembered(basic("ann", "a-secret"))).isEmpty();

        // Five minutes after its check a password is verified again, not remembered.
        assertThat(h.authenticate(basic("ann", "new-secret"))).hasValue("ann");
        now.addAndGet(5 * 60_000 + 1);
        h.authenticate(basic("someone", "else")); // a request that rechecks the file
        assertThat(h.remembered(basic("ann", "new-secret"))).isEmpty();
    }

    @Test
    void picksUpChangesToTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("htpasswd");
        Files.writeString(file, "ann:" + hash(BCrypt.Version.VERSION_2Y, "first") + "\n");
        Htpasswd h = new Htpasswd(file, "r", clock);
        assertThat(h.authenticate(basic("ann", "first"))).isPresent();

        Files.writeString(file, "ann:" + hash(BCrypt.Version.VERSION_2Y, "second") + "\ndan:"
                + hash(BCrypt.Version.VERSION_2Y, "d") + "\n");
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 5000));
        now.addAndGet(1500);
        assertThat(h.authenticate(basic("ann", "first"))).isEmpty(); // the remembered check died with the old hash
        assertThat(h.authenticate(basic("ann", "second"))).isPresent();
        assertThat(h.authenticate(basic("dan", "d"))).isPresent();
    }

    @Test
    void aFileThatCannotBeReadRefusesEveryoneUntilItCan(@TempDir Path dir) throws Exception {
        Htpasswd directory = new Htpasswd(dir, "r", clock); // distribution's Debian config points at a directory
        assertThat(directory.authenticate(basic("ann", "x"))).isEmpty();
        Path later = dir.resolve("later");
        Htpasswd missing = new Htpasswd(later, "r", clock);
        assertThat(missing.authenticate(basic("ann", "pw"))).isEmpty();
        Files.writeString(later, "ann:" + hash(BCrypt.Version.VERSION_2Y, "pw") + "\n");
        now.addAndGet(1500);
        assertThat(missing.authenticate(basic("ann", "pw"))).hasValue("ann");
        Path plain = dir.resolve("plain");
        Files.writeString(plain, "someone:plaintext\n");
        assertThat(new Htpasswd(plain, "r", clock).authenticate(basic("someone", "plaintext"))).isEmpty();
    }
}
