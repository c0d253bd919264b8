package io.lading.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP Basic authentication against an htpasswd file, as distribution's {@code auth.htpasswd}: one
 * {@code user:hash} per line, bcrypt hashes only ({@code $2y$}, {@code $2a$}, {@code $2b$}). The file is re-read
 * when it changes (checked at most once a second). A bcrypt check costs tens of milliseconds by design, so a
 * successful check is remembered for five minutes as a salted SHA-256 of the password, tied to the user's current
 * hash (changing the password in the file invalidates it). Unknown users are checked against a dummy hash, so
 * timing does not reveal which users exist.
 */
public final class Htpasswd {
    private static final Logger LOG = LoggerFactory.getLogger(Htpasswd.class);
    private static final Duration REMEMBER = Duration.ofMinutes(5);
    private static final long RECHECK_MS = 1000;
    private static final byte[] DUMMY = BCrypt.withDefaults().hash(10, "no such user".toCharArray());

    private final Path file;
    private final String realm;
    private final Clock clock;
    private final ReentrantLock reload = new ReentrantLock();
    private final byte[] salt = new byte[16];
    private final Map<String, Remembered> verified = new ConcurrentHashMap<>();
    private volatile Map<String, String> users = Map.of();
    private volatile String stamp = "";
    private volatile long checkedAt;

    private record Remembered(String hash, byte[] secret, long until) {
    }

    /**
     * Reads the file. Like distribution, a file that cannot be read (missing, a directory) or holds no bcrypt entry
     * does not stop the registry: every request is refused (401) and the problem logged, until the file is fixed,
     * which is picked up without a restart. Failing closed keeps an existing configuration starting unchanged.
     */
    public Htpasswd(Path file, String realm, Clock clock) {
        this.file = file;
        this.realm = realm;
        this.clock = clock;
        new SecureRandom().nextBytes(salt);
        try {
            load();
        } catch (IOException e) {
            LOG.error("htpasswd file {} cannot be read ({}): every request is refused until it can", file,
                    e.getMessage());
        }
        if (users.isEmpty()) {
            LOG.error("htpasswd file {} has no bcrypt entry (user:$2y$...): every request is refused", file);
        }
    }

    public String realm() {
        return realm;
    }

    /** The value of the WWW-Authenticate header a 401 carries. */
    public String challenge() {
        return "Basic realm=\"" + realm.replace("\"", "") + "\"";
    }

    /**
     * The user an {@code Authorization} header authenticates, or empty (missing, malformed, unknown user, wrong
     * password).
     */
    public Optional<String> authenticate(String authorization) {
        Optional<Credentials> c = credentials(authorization);
        return c.isPresent() && verify(c.get().user(), c.get().password()) ? Optional.of(c.get().user())
                : Optional.empty();
    }

    /**
     * The user an {@code Authorization} header authenticates, answered from memory alone: a password that
     * {@link #authenticate} verified lately, while the file was checked for changes within the last second (as
     * {@code authenticate} would check it). Reads no file and runs no bcrypt, so it may be called where blocking
     * is not allowed. Empty means only that memory cannot tell: {@link #authenticate} decides.
     */
    public Optional<String> remembered(String authorization) {
        long now = clock.millis();
        if (now - checkedAt >= RECHECK_MS) {
            return Optional.empty();
        }
        Optional<Credentials> c = credentials(authorization);
        return c.isPresent() && remembered(c.get().user(), c.get().password(), now) ? Optional.of(c.get().user())
                : Optional.empty();
    }

    private record Credentials(String user, String password) {
    }

    private static Optional<Credentials> credentials(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return Optional.empty();
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0) {
            return Optional.empty();
        }
        return Optional.of(new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1)));
    }

    /** True when the file (as re-read if it changed) has the user. */
    public boolean exists(String user) {
        reloadIfChanged();
        return users.containsKey(user);
    }

    /** True when the file has the user and the password matches its hash. */
    public boolean verify(String user, String password) {
        reloadIfChanged();
        long now = clock.millis();
        if (remembered(user, password, now)) {
            return true;
        }
        String hash = users.get(user);
        boolean ok = BCrypt.verifyer().verify(password.toCharArray(),
                hash == null ? DUMMY : hash.getBytes(StandardCharsets.UTF_8)).verified;
        if (ok && hash != null) {
            verified.put(user, new Remembered(hash, secret(password), now + REMEMBER.toMillis()));
            return true;
        }
        return false;
    }

    /** Whether the user's current hash was verified with this password lately. */
    private boolean remembered(String user, String password, long now) {
        String hash = users.get(user);
        Remembered r = hash == null ? null : verified.get(user);
        return r != null && r.hash().equals(hash) && r.until() > now && MessageDigest.isEqual(r.secret(),
                secret(password));
    }

    private byte[] secret(String password) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(salt);
            return sha.digest(password.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void reloadIfChanged() {
        long now = clock.millis();
        if (now - checkedAt < RECHECK_MS || !reload.tryLock()) {
            return;
        }
        try {
            checkedAt = now;
            load();
        } catch (IOException e) {
            LOG.warn("htpasswd file {} cannot be read ({}); keeping the users read before", file, e.getMessage());
        } finally {
            reload.unlock();
        }
    }

    private void load() throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        if (a.isDirectory()) {
            throw new IOException(file + " is a directory, not an htpasswd file");
        }
        String now = a.lastModifiedTime().toMillis() + "/" + a.size();
        if (now.equals(stamp)) {
            return;
        }
        Map<String, String> read = new HashMap<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int colon = l.indexOf(':');
            String hash = colon > 0 ? l.substring(colon + 1) : "";
            if (!hash.startsWith("$2y$") && !hash.startsWith("$2a$") && !hash.startsWith("$2b$")) {
                LOG.warn("htpasswd {} line {}: not a bcrypt entry (user:$2y$...), ignored", file, lineNo);
                continue;
            }
            read.put(l.substring(0, colon), hash);
        }
        boolean first = stamp.isEmpty();
        users = Map.copyOf(read);
        stamp = now;
        verified.clear();
        if (!first) {
            LOG.info("htpasswd file {} changed: {} user(s)", file, read.size());
        }
    }
}
