package io.lading.cli.config;

import io.lading.storage.s3.S3Settings;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** storage.s3, read by {@link ConfigLoader} with distribution's keys and defaults. */
final class S3Config {
    /** Storage classes S3 names; distribution's NONE leaves the class to the bucket. */
    private static final Set<String> STORAGE_CLASSES = Set.of("STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA",
            "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "OUTPOSTS", "EXPRESS_ONEZONE",
            "NONE");
    private static final Set<String> ACLS = Set.of("private", "public-read", "public-read-write", "authenticated-read",
            "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write");

    private S3Config() {
    }

    static S3Settings s3(ConfigLoader c, ConfigNode root, List<String> warnings) {
        String bucket = required(c, root, "bucket");
        String region = required(c, root, "region");
        URI endpoint = url(c, root, "regionendpoint", true);
        URI redirect = url(c, root, "redirectendpoint", false);
        long chunk = partSize(c, root, "chunksize", 10L * 1024 * 1024);
        long copyChunk = partSize(c, root, "multipartcopychunksize", 32L * 1024 * 1024);
        long copyThreshold = c.size(root, "storage.s3.multipartcopythresholdsize", 32L * 1024 * 1024);
        long copyConcurrency = c.integer(root, "storage.s3.multipartcopymaxconcurrency", 100, 1);
        if (copyThreshold > S3Settings.MAX_PUT) {
            throw new ConfigException(c.at(root, "storage.s3.multipartcopythresholdsize").origin
                    + ": storage.s3.multipartcopythresholdsize must be at most 5 GiB (S3's largest single copy)");
        }
        String storageClass = c.string(root, "storage.s3.storageclass", "STANDARD").toUpperCase(Locale.ROOT);
        if (!STORAGE_CLASSES.contains(storageClass)) {
            throw new ConfigException(c.at(root, "storage.s3.storageclass").origin + ": storage.s3.storageclass must"
                    + " be one of " + new java.util.TreeSet<>(STORAGE_CLASSES) + ", not '" + storageClass + "'");
        }
        String acl = c.string(root, "storage.s3.objectacl", "private");
        if (!ACLS.contains(acl)) {
            throw new ConfigException(c.at(root, "storage.s3.objectacl").origin + ": storage.s3.objectacl must be a"
                    + " canned ACL, one of " + new java.util.TreeSet<>(ACLS) + ", not '" + acl + "'");
        }
        if (!c.bool(root, "storage.s3.v4auth", true)) {
            warnings.add("storage.s3.v4auth: false (Lading always signs with AWS Signature Version 4)");
        }
        String logLevel = c.string(root, "storage.s3.loglevel", "off");
        if (!logLevel.equalsIgnoreCase("off")) {
            warnings.add("storage.s3.loglevel (the S3 client logs under the logger software.amazon.awssdk instead)");
        }
        boolean encrypt = c.bool(root, "storage.s3.encrypt", false);
        String keyId = c.string(root, "storage.s3.keyid", null);
        return new S3Settings(bucket, region, endpoint, redirect,
                c.bool(root, "storage.s3.forcepathstyle", false),
                blankToNull(c.string(root, "storage.s3.accesskey", null)),
                blankToNull(c.string(root, "storage.s3.secretkey", null)),
                c.string(root, "storage.s3.rootdirectory", ""), chunk, copyChunk, copyThreshold,
                (int) Math.min(copyConcurrency, 1000), storageClass.equals("NONE") ? null : storageClass, encrypt,
                encrypt ? blankToNull(keyId) : null, acl, c.bool(root, "storage.s3.secure", true),
                c.bool(root, "storage.s3.skipverify", false), blankToNull(c.string(root, "storage.s3.useragent", null)),
                c.bool(root, "storage.s3.usedualstack", false), c.bool(root, "storage.s3.accelerate", false),
                c.bool(root, "storage.s3.usefipsendpoint", false), Duration.ofMinutes(20));
    }

    /** A part size: at least S3's smallest part but for the last, at most its largest. */
    private static long partSize(ConfigLoader c, ConfigNode root, String key, long def) {
        long v = c.size(root, "storage.s3." + key, def);
        if (v < S3Settings.MIN_PART || v > S3Settings.MAX_PUT) {
            throw new ConfigException(c.at(root, "storage.s3." + key).origin + ": storage.s3." + key
                    + " must be between 5242880 (5 MiB, S3's smallest part) and 5 GiB, not " + v);
        }
        return v;
    }

    private static String required(ConfigLoader c, ConfigNode root, String key) {
        String v = c.string(root, "storage.s3." + key, null);
        if (v == null || v.isBlank()) {
            throw new ConfigException(c.at(root, "storage.s3").origin + ": storage.s3." + key + " is required");
        }
        return v;
    }

    /**
     * An endpoint URL. regionendpoint may also be a bare host[:port], taking https (http with {@code secure: false})
     * as in distribution; redirectendpoint must be a URL without path or query.
     */
    private static URI url(ConfigLoader c, ConfigNode root, String key, boolean bareHost) {
        String v = blankToNull(c.string(root, "storage.s3." + key, null));
        if (v == null) {
            return null;
        }
        boolean bare = bareHost && !v.contains("://");
        String full = bare ? (c.bool(root, "storage.s3.secure", true) ? "https://" : "http://") + v : v;
        try {
            URI u = new URI(full);
            if (u.getScheme() == null || !u.getScheme().matches("(?i)https?") || u.getHost() == null) {
                throw new java.net.URISyntaxException(v, "not an http or https URL");
            }
            if ((bare || !bareHost) && (u.getRawQuery() != null || !(u.getRawPath() == null
                    || u.getRawPath().isEmpty() || u.getRawPath().equals("/")))) {
                throw new java.net.URISyntaxException(v, "a path or query is not allowed");
            }
            return u;
        } catch (java.net.URISyntaxException e) {
            throw new ConfigException(c.at(root, "storage.s3." + key).origin + ": storage.s3." + key + " must be an"
                    + (bareHost ? " http(s) URL or a host[:port]" : " http(s) URL with no path or query") + ", not '"
                    + v + "'");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
