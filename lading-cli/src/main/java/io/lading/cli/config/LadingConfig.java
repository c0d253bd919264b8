package io.lading.cli.config;

import io.lading.core.Descriptor;
import io.lading.registry.MaintenanceService;
import io.lading.registry.RegistryOptions;
import io.lading.registry.StagedContent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The whole configuration as typed values: distribution's config.yml keys that Lading implements, plus Lading's
 * own settings under {@code lading:}. Built by {@link ConfigLoader}; defaults are those of distribution unless
 * noted, so an existing distribution config means the same thing here.
 *
 * @param warnings keys that distribution knows and Lading does not implement yet (reported once at start-up)
 */
public record LadingConfig(Log log, Http http, Storage storage, Validation validation, int catalogMaxEntries,
                           Lading lading, Auth auth, Notifications notifications, HealthChecks health, Proxy proxy,
                           List<String> warnings) {

    /**
     * proxy.*: this registry is a pull-through cache of another one.
     *
     * @param remoteUrl proxy.remoteurl: the mirrored registry's root URL
     * @param username  proxy.username, or null to ask it anonymously
     * @param password  proxy.password, or null
     * @param ttl       proxy.ttl: how long cached content is kept (168h); zero keeps it for good
     */
    public record Proxy(java.net.URI remoteUrl, String username, String password, Duration ttl, Exec exec) {
        @Override
        public String toString() { // never the password, in a log line or an exception
            return "Proxy[" + remoteUrl + (username == null ? "" : ", user " + username) + (exec == null ? ""
                    : ", credentials from " + exec.command()) + ", ttl " + ttl + "]";
        }
    }

    /**
     * proxy.exec: a Docker credential helper gives the upstream credentials.
     *
     * @param command  the helper, run as {@code command get}
     * @param lifetime how long its answer is used (0: it runs for every request), or null to run it once
     */
    public record Exec(String command, Duration lifetime) {
    }

    /**
     * health.*: distribution's periodic checks.
     *
     * @param storageDriver health.storagedriver when enabled, else null (then storage is checked per request)
     */
    public record HealthChecks(Periodic storageDriver, List<FileCheck> files, List<HttpCheck> http,
                               List<TcpCheck> tcp) {
        public static HealthChecks none() {
            return new HealthChecks(null, List.of(), List.of(), List.of());
        }
    }

    /** A periodic check's schedule: every {@code interval}, unhealthy after {@code threshold} failures in a row. */
    public record Periodic(Duration interval, int threshold) {
    }

    /** health.file[]: unhealthy while {@code path} exists. */
    public record FileCheck(Path path, Duration interval) {
    }

    /** health.http[]: a HEAD of {@code uri} must answer {@code statusCode}. */
    public record HttpCheck(java.net.URI uri, Map<String, List<String>> headers, int statusCode, Duration timeout,
                            Duration interval, int threshold) {
    }

    /** health.tcp[]: {@code addr} must accept a connection. */
    public record TcpCheck(String addr, Duration timeout, Duration interval, int threshold) {
    }

    /**
     * notifications.endpoints plus lading.notifications.*.
     *
     * @param pullEvents        lading.notifications.pullevents: record pull events (default true)
     * @param includeReferences notifications.events.includereferences: manifest events list what the manifest
     *                          references (default false)
     */
    public record Notifications(List<io.lading.registry.events.Endpoint> endpoints, boolean pullEvents,
                                boolean includeReferences) {
    }

    /**
     * auth.* and lading.auth.*.
     *
     * @param htpasswdPath  auth.htpasswd.path, or null when no htpasswd authentication is configured
     * @param htpasswdRealm auth.htpasswd.realm
     * @param token         auth.token, or null
     * @param issuer        lading.auth.issuer (the built-in token server), or null when off
     * @param rules         lading.auth.groups + lading.auth.acl, or null when no rules are configured
     * @param loginLimit    lading.auth.loginlimit: failed logins allowed per client and window
     */
    public record Auth(Path htpasswdPath, String htpasswdRealm, Token token, Issuer issuer,
                       io.lading.auth.AccessRules rules, int loginFailures, Duration loginWindow) {
        public static Auth none() {
            return new Auth(null, null, null, null, null, 10, Duration.ofMinutes(1));
        }
    }

    /**
     * auth.token.* (distribution's keys).
     *
     * @param autoRedirectPath auth.token.autoredirectpath when auth.token.autoredirect is on (the challenge's realm
     *                         is then this path on the host the client asked), else null
     */
    public record Token(String realm, String service, String issuer, Path rootCertBundle, Path jwks,
                        java.util.Set<String> algorithms, String autoRedirectPath) {
    }

    /**
     * lading.auth.issuer.*
     *
     * @param users      htpasswd file of the accounts that may log in
     * @param key        PEM file of the signing key (created if missing)
     * @param expiration lifetime of access tokens
     * @param refresh    lifetime of refresh tokens
     */
    public record Issuer(Path users, Path key, Duration expiration, Duration refresh) {
    }

    /**
     * log.*
     *
     * @param formatter text, json or logstash
     * @param fields    log.fields: added to every line
     */
    public record Log(String level, String formatter, boolean accessLogDisabled, Map<String, String> fields) {
    }

    /**
     * http.*
     *
     * @param addr         host:port to listen on (":5000" means all interfaces)
     * @param prefix       http.prefix without its trailing slash ({@code /my/registry}), or "" at the root
     * @param host         external base URL for Location headers, or "" for relative locations
     * @param relativeUrls http.relativeurls: Location and Link headers without scheme and host even when http.host
     *                     is set
     * @param headers      extra response headers
     * @param debug        http.debug: the operators' listener, or null when http.debug.addr is not set
     * @param tls          http.tls, or null for plain HTTP
     */
    public record Http(String addr, String prefix, String host, boolean relativeUrls, String secret,
                       Map<String, List<String>> headers, Duration drainTimeout, Debug debug,
                       io.lading.http.TlsSettings tls, boolean h2c) {
        /**
         * What the URLs the registry hands out (Location, Link, event targets) start with, before {@code /v2/}: the
         * path is http.host's own when it has one (as distribution roots its URLs there), else http.prefix; the
         * scheme and host are http.host's unless relative URLs are asked for or no host is set. So
         * {@code https://r.example/my/registry}, or {@code /my/registry}, or "" for relative URLs at the root.
         */
        public String urlBase() {
            if (host.isEmpty()) {
                return prefix;
            }
            java.net.URI uri = java.net.URI.create(host);
            String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
            String root = path.isEmpty() ? prefix : path;
            return relativeUrls ? root : uri.getScheme() + "://" + uri.getRawAuthority() + root;
        }
    }

    /**
     * http.debug.*
     *
     * @param addr           host:port of the debug listener
     * @param prometheus     http.debug.prometheus.enabled: serve metrics in the Prometheus text format
     * @param prometheusPath http.debug.prometheus.path (/metrics)
     */
    public record Debug(String addr, boolean prometheus, String prometheusPath) {
    }

    /**
     * storage.*
     *
     * @param driver        "filesystem", "s3", "azure" or "inmemory"
     * @param rootDirectory storage.filesystem.rootdirectory; for s3 and azure the local directory of the metadata
     *                      database and keys (--data, else ./data); null for inmemory
     * @param s3            storage.s3, with the s3 driver
     * @param azure         storage.azure, with the azure driver
     */
    public record Storage(String driver, Path rootDirectory, boolean deleteEnabled, boolean readOnly,
                          RegistryOptions.UploadPurging uploadPurging, boolean redirectDisabled,
                          io.lading.storage.s3.S3Settings s3, io.lading.storage.azure.AzureSettings azure) {

        /** Whether the driver keeps blobs in an object store (s3, azure), the metadata on local disk. */
        public boolean objectStore() {
            return s3 != null || azure != null;
        }

        /**
         * Whether blob GETs are redirected to the store: with s3, or azure when it can sign URLs, unless
         * storage.redirect.disable (no other driver offers redirects).
         */
        public boolean redirects() {
            return !redirectDisabled && (s3 != null || azure != null && azure.signsUrls());
        }

        /** Where an object store keeps the blobs, for logs and messages ("bucket b below root"). */
        public String objectStoreLocation() {
            String where = s3 != null ? "bucket " + s3.bucket() : "container " + azure.container();
            String root = s3 != null ? s3.rootDirectory() : azure.rootDirectory();
            return where + (root.isEmpty() ? "" : " below " + root);
        }
    }

    /** validation.manifests.indexes.* and validation.manifests.urls.*, both off with validation.disabled. */
    public record Validation(RegistryOptions.IndexValidation indexes, List<Descriptor.Platform> platforms,
                             RegistryOptions.ManifestUrls urls) {
    }

    /**
     * lading.*
     *
     * @param metadataPath   lading.metadata.path: the SQLite file (default: metadata.db in the storage root)
     * @param chunkMinLength lading.uploads.chunkminlength: advertised OCI-Chunk-Min-Length (0: none)
     * @param directIo       lading.storage.directio: filesystem driver writes and reads large blobs with O_DIRECT
     *                       (default true)
     * @param sendfile       lading.storage.sendfile: large blob GETs over plain HTTP go out with sendfile
     * @param gc             lading.gc.*: the online garbage collector
     * @param referrers      lading.deletes.referrers: refuse (default) or cascade when a deleted manifest has referrers
     * @param staging        lading.storage.staging.*: small content pushed with one fsync (see StagedContent)
     * @param reserve        lading.storage.reserve: bytes of the storage's file system pushes leave free
     * @param check          lading.check.*: the scheduled content check
     * @param maxConnections lading.http.maxconnections: client connections served at once (0, the default: no limit)
     */
    public record Lading(Path metadataPath, long chunkMinLength, boolean directIo, boolean sendfile,
                         MaintenanceService.GcSettings gc, RegistryOptions.ReferrersOnDelete referrers,
                         StagedContent.Settings staging, long reserve, MaintenanceService.CheckSettings check,
                         int maxConnections) {
    }
}
