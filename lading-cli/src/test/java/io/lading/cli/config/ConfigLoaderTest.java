package io.lading.cli.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lading.registry.RegistryOptions;
import io.lading.storage.azure.AzureSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    /**
     * http.tls.ciphersuites as distribution reads it: its names, the TLS 1.2 ones offered; TLS 1.3 suites stay on
     * (Go's crypto/tls cannot turn them off); a suite this JDK does not offer is left out with a warning, so a
     * distribution config still starts; an unknown name, or a list that leaves TLS 1.2 nothing, is an error.
     */
    @Test
    void cipherSuitesAreDistributionsNamesWithTls13AlwaysOnAndUnofferedOnesLeftOut() throws Exception {
        Path cert = Files.writeString(dir.resolve("c.pem"), "not parsed here");
        Path key = Files.writeString(dir.resolve("k.pem"), "not parsed here");
        Path data = dir.resolve("data");
        String tls = "version: 0.1\nhttp:\n  tls:\n    certificate: " + cert + "\n    key: " + key + "\n";
        LadingConfig c = ConfigLoader.load(write(tls + "    ciphersuites:\n"
                + "      - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n      - TLS_RSA_WITH_RC4_128_SHA\n"
                + "      - TLS_AES_128_GCM_SHA256\n"), Map.of(), data);
        assertThat(c.http().tls().cipherSuites()).startsWith("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")
                .contains("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")
                .doesNotContain("TLS_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
        assertThat(c.warnings()).contains("http.tls.ciphersuites TLS_RSA_WITH_RC4_128_SHA (not offered by this JDK;"
                + " left out)").noneMatch(w -> w.equals("http.tls.ciphersuites"));
        assertThat(ConfigLoader.load(write(tls), Map.of(), data).http().tls().cipherSuites())
                .as("not set: the defaults").isEmpty();
        assertThat(ConfigLoader.load(write(tls), Map.of(), data).http().tls().http2()).isTrue();
        assertThat(ConfigLoader.load(write(tls + "  http2:\n    disabled: true\n"), Map.of(), data).http().tls()
                .http2()).isFalse();
        LadingConfig plain = ConfigLoader.load(write("version: 0.1\nhttp:\n  http2:\n    disabled: true\n"), Map.of(),
                data);
        assertThat(plain.http().tls()).as("http.http2 without TLS is ignored, as by distribution").isNull();
        assertThat(plain.warnings()).noneMatch(w -> w.startsWith("http.http2"));

        Path unknown = write(tls + "    ciphersuites:\n      - TLS_MADE_UP_WITH_ROT13\n");
        assertThatThrownBy(() -> ConfigLoader.load(unknown, Map.of(), data)).hasMessageContaining("line 6")
                .hasMessageContaining("unknown cipher suite 'TLS_MADE_UP_WITH_ROT13'");
        Path rc4 = write(tls + "    ciphersuites: [TLS_RSA_WITH_RC4_128_SHA]\n");
        assertThatThrownBy(() -> ConfigLoader.load(rc4, Map.of(), data))
                .hasMessageContaining("leaves no TLS 1.2 cipher suite this JDK offers");
        Path only13 = write(tls + "    minimumtls: tls1.3\n    ciphersuites: [TLS_RSA_WITH_RC4_128_SHA]\n");
        assertThat(ConfigLoader.load(only13, Map.of(), data).http().tls().cipherSuites())
                .allMatch(suite -> suite.startsWith("TLS_AES_") || suite.startsWith("TLS_CHACHA20_")).isNotEmpty();
    }

    /** validation.manifests.urls.{allow,deny} and validation.disabled / enabled, as distribution reads them. */
    @Test
    void manifestUrlPatternsAndValidationDisabled() throws Exception {
        Path data = dir.resolve("data");
        RegistryOptions.ManifestUrls urls = ConfigLoader.load(write("version: 0.1\nvalidation:\n  manifests:\n"
                + "    urls:\n      allow:\n        - ^https?://([^/]+\\.)*example\\.com/\n        - ^https://mirror\\.test/\n"
                + "      deny:\n        - ^https?://www\\.example\\.com/\n"), Map.of(), data).validation().urls();
        assertThat(urls.refusal("https://cdn.example.com/l")).isEmpty();
        assertThat(urls.refusal("https://mirror.test/l")).as("the second allow pattern").isEmpty();
        assertThat(urls.refusal("https://www.example.com/l")).hasValueSatisfying(w -> assertThat(w).contains("deny"));
        assertThat(urls.refusal("https://other.test/l")).isPresent();

        RegistryOptions.ManifestUrls none = ConfigLoader.load(null, Map.of(), data).validation().urls();
        assertThat(none.refusal("https://cdn.example.com/l")).as("no allow list: no URL").isPresent();

        Path bad = write("version: 0.1\nvalidation:\n  manifests:\n    urls:\n      allow:\n        - ok\n"
                + "        - (unclosed\n");
        assertThatThrownBy(() -> ConfigLoader.load(bad, Map.of(), data)).hasMessageContaining("line 7")
                .hasMessageContaining("validation.manifests.urls.allow: '(unclosed' is not a regular expression");

        for (String off : new String[] {"validation:\n  disabled: true\n", "validation:\n  enabled: false\n"}) {
            LadingConfig c = ConfigLoader.load(write("version: 0.1\n" + off), Map.of(), data);
            assertThat(c.validation().urls().refusal("ftp://anything")).as(off).isEmpty();
            assertThat(c.validation().indexes()).as(off).isEqualTo(RegistryOptions.IndexValidation.NONE);
            assertThat(c.warnings()).as(off).isEmpty();
        }
    }

    private Path write(String yaml) throws Exception {
        Path p = dir.resolve("config.yml");
        Files.writeString(p, yaml);
        return p;
    }

    @Test
    void builtInDefaultsServeFromDataOnPort5000() {
        LadingConfig c = ConfigLoader.load(null, Map.of(), null);
        assertThat(c.http().addr()).isEqualTo(":5000");
        assertThat(c.storage().driver()).isEqualTo("filesystem");
        assertThat(c.storage().rootDirectory()).isEqualTo(Path.of("data"));
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void listenOverridesTheFileAndTheEnvironmentAndAMistakeNamesTheOption() throws Exception {
        Path data = dir.resolve("data");
        Path p = write("version: 0.1\nhttp:\n  addr: :5001\n");
        Map<String, String> env = Map.of("REGISTRY_HTTP_ADDR", ":5002");
        assertThat(ConfigLoader.load(p, env, data).http().addr()).isEqualTo(":5002");
        assertThat(ConfigLoader.load(p, env, data, "127.0.0.1:5003").http().addr()).isEqualTo("127.0.0.1:5003");
        assertThat(ConfigLoader.load(null, Map.of(), data, ":5004").http().addr()).isEqualTo(":5004");
        assertThatThrownBy(() -> ConfigLoader.load(p, env, data, "nohost:abc"))
                .hasMessage("--listen: http.addr must be host:port or :port, not 'nohost:abc'");
        assertThatThrownBy(() -> ConfigLoader.load(p, Map.of("REGISTRY_HTTP_ADDR", "bad"), data))
                .hasMessageStartingWith("environment variable REGISTRY_HTTP_ADDR: http.addr must be");
        assertThatThrownBy(() -> ConfigLoader.load(write("version: 0.1\nhttp: on\n"), Map.of(), data, ":5005"))
                .hasMessageContaining("line 2").hasMessageContaining("http must be a mapping");
    }

    @Test
    void aMissingConfigFileIsSaidOnce() {
        Path missing = dir.resolve("missing.yml");
        assertThatThrownBy(() -> ConfigLoader.load(missing, Map.of(), null))
                .hasMessage("cannot read config file " + missing + ": no such file");
    }

    /**
     * http.prefix, http.host and http.relativeurls together decide what the URLs the registry hands out start
     * with: http.host's path when it has one (where distribution roots its URLs), else the prefix; no scheme and
     * host with relative URLs or without http.host.
     */
    @Test
    void prefixHostAndRelativeUrlsMakeTheBaseOfHandedOutUrls() throws Exception {
        Path data = dir.resolve("data");
        java.util.function.Function<String, LadingConfig.Http> http = yaml -> {
            try {
                return ConfigLoader.load(write("version: 0.1\nhttp:\n" + yaml), Map.of(), data).http();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        assertThat(http.apply("  addr: :5000\n").urlBase()).as("nothing set: relative, at the root").isEmpty();
        assertThat(http.apply("  prefix: /my/registry/\n").prefix()).isEqualTo("/my/registry");
        assertThat(http.apply("  prefix: /my/registry\n").prefix()).as("the trailing slash may be left out")
                .isEqualTo("/my/registry");
        assertThat(http.apply("  prefix: /\n").prefix()).as("the root").isEmpty();
        assertThat(http.apply("  prefix: /my/registry/\n").urlBase()).isEqualTo("/my/registry");
        assertThat(http.apply("  prefix: /r/\n  host: https://r.example:5443\n").urlBase())
                .isEqualTo("https://r.example:5443/r");
        assertThat(http.apply("  prefix: /r/\n  host: https://r.example/elsewhere/\n").urlBase())
                .as("http.host's own path wins, as in distribution").isEqualTo("https://r.example/elsewhere");
        assertThat(http.apply("  prefix: /r/\n  host: https://r.example\n  relativeurls: true\n").urlBase())
                .isEqualTo("/r");
        assertThat(http.apply("  host: https://r.example/\n").urlBase()).isEqualTo("https://r.example");
        assertThat(http.apply("  host: https://r.example\n  relativeurls: true\n").urlBase()).isEmpty();
        assertThat(ConfigLoader.load(write("version: 0.1\nhttp:\n  prefix: /r/\n"), Map.of(), data).warnings())
                .as("no longer only accepted").doesNotContain("http.prefix");
        assertThat(ConfigLoader.load(null, Map.of("REGISTRY_HTTP_PREFIX", "/env/"), data).http().prefix())
                .isEqualTo("/env");

        for (String bad : new String[] {"registry/", "/a//b/", "/a/../b/", "/a b/", "/a?x/", "/%2e%2e/"}) {
            Path p = write("version: 0.1\nhttp:\n  addr: :5000\n  prefix: \"" + bad + "\"\n");
            assertThatThrownBy(() -> ConfigLoader.load(p, Map.of(), data)).as(bad)
                    .hasMessageContaining("config.yml line 4: http.prefix").hasMessageContaining("'" + bad + "'");
        }
    }

    /** proxy.* as distribution's mirror recipe and configuration reference write it. */
    @Test
    void proxyMakesAPullThroughCacheOfARegistrysRootUrl() throws Exception {
        Path data = dir.resolve("data");
        LadingConfig c = ConfigLoader.load(write("""
                version: 0.1
                proxy:
                  remoteurl: https://registry-1.docker.io/
                  username: ann
                  password: s3cret
                  ttl: 72h
                """), Map.of(), data);
        assertThat(c.proxy().remoteUrl()).hasToString("https://registry-1.docker.io");
        assertThat(c.proxy().username()).isEqualTo("ann");
        assertThat(c.proxy().password()).isEqualTo("s3cret");
        assertThat(c.proxy().toString()).doesNotContain("s3cret");
        assertThat(c.proxy().ttl()).isEqualTo(Duration.ofHours(72));
        assertThat(c.proxy().exec()).isNull();
        assertThat(c.warnings()).doesNotContain("proxy", "proxy.remoteurl", "proxy.ttl");
        LadingConfig.Exec exec = ConfigLoader.load(write("""
                version: 0.1
                proxy:
                  remoteurl: https://registry.example
                  exec:
                    command: docker-credential-ecr-login
                    lifetime: 1h
                """), Map.of(), data).proxy().exec();
        assertThat(exec).isEqualTo(new LadingConfig.Exec("docker-credential-ecr-login", Duration.ofHours(1)));
        assertThat(ConfigLoader.load(write("version: 0.1\nproxy:\n  remoteurl: https://r.example\n  exec:\n"
                + "    command: helper\n"), Map.of(), data).proxy().exec().lifetime()).as("run once").isNull();
        for (String[] bad : new String[][] {
            {"  username: ann\n  exec:\n    command: helper\n", "proxy.exec and proxy.username are two ways"},
            {"  exec:\n    lifetime: 1h\n", "proxy.exec needs proxy.exec.command"},
            {"  exec:\n    command: helper\n    lifetime: soon\n", "line 6: proxy.exec.lifetime must be a duration"}}) {
            Path p = write("version: 0.1\nproxy:\n  remoteurl: https://r.example\n" + bad[0]);
            assertThatThrownBy(() -> ConfigLoader.load(p, Map.of(), data)).as(bad[1]).hasMessageContaining(bad[1]);
        }
        assertThat(ConfigLoader.load(null, Map.of(), data).proxy()).as("not a cache by default").isNull();
        LadingConfig.Proxy fromEnv = ConfigLoader.load(null, Map.of("REGISTRY_PROXY_REMOTEURL",
                "http://upstream:5000"), data).proxy();
        assertThat(fromEnv.remoteUrl()).hasToString("http://upstream:5000");
        assertThat(fromEnv.ttl()).as("distribution's default").isEqualTo(Duration.ofHours(168));

        for (String bad : new String[] {"registry-1.docker.io", "ftp://x", "https://x/foo", "https://x?y=1",
            "https://x#z"}) {
            Path p = write("version: 0.1\nproxy:\n  remoteurl: \"" + bad + "\"\n");
            assertThatThrownBy(() -> ConfigLoader.load(p, Map.of(), data)).as(bad)
                    .hasMessageContaining("config.yml line 3: proxy.remoteurl must be the root URL of a registry");
        }
        for (String without : new String[] {"  username: ann\n", "  ttl: 1h\n"}) {
            Path noUrl = write("version: 0.1\nproxy:\n" + without);
            assertThatThrownBy(() -> ConfigLoader.load(noUrl, Map.of(), data))
                    .hasMessageContaining("line 2: proxy needs proxy.remoteurl");
        }
    }

    @Test
    void debianDistributionConfigStartsUnchangedWithOneWarningList() throws Exception {
        Path p = write("""
                version: 0.1
                log:
                  fields:
                    service: registry
                storage:
                  cache:
                    blobdescriptor: inmemory
                  filesystem:
                    rootdirectory: /var/lib/docker-registry
                  delete:
                    enabled: true
                http:
                  addr: :5000
                  headers:
                    X-Content-Type-Options: [nosniff]
                auth:
                  htpasswd:
                    realm: basic-realm
                    path: /etc/docker/registry/htpasswd
                health:
                  storagedriver:
                    enabled: true
                    interval: 10s
                    threshold: 3
                """);
        LadingConfig c = ConfigLoader.load(p, Map.of(), null);
        assertThat(c.storage().rootDirectory()).isEqualTo(Path.of("/var/lib/docker-registry"));
        assertThat(c.storage().deleteEnabled()).isTrue();
        assertThat(c.http().headers()).containsEntry("X-Content-Type-Options", java.util.List.of("nosniff"));
        assertThat(c.warnings()).contains("storage.cache").doesNotContain("auth", "log.fields", "health");
        assertThat(c.log().fields()).containsEntry("service", "registry");
        assertThat(c.health().storageDriver()).isEqualTo(new LadingConfig.Periodic(Duration.ofSeconds(10), 3));
        assertThat(c.auth().htpasswdPath()).isEqualTo(Path.of("/etc/docker/registry/htpasswd"));
        assertThat(c.auth().htpasswdRealm()).isEqualTo("basic-realm");
        assertThat(c.auth().token()).isNull();
        assertThat(c.auth().rules()).isNull();
    }

    @Test
    void typoIsAnErrorNamingKeyAndLine() throws Exception {
        Path p = write("version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /x\nhttp:\n  adr: :5000\n");
        assertThatThrownBy(() -> ConfigLoader.load(p, Map.of(), null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 6").hasMessageContaining("http.adr");
    }

    @Test
    void wrongTypeIsAnErrorNamingKeyAndLine() throws Exception {
        Path p = write("version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /x\n  delete:\n    enabled: maybe\n");
        assertThatThrownBy(() -> ConfigLoader.load(p, Map.of(), null))
                .hasMessageContaining("line 6").hasMessageContaining("storage.delete.enabled");
        Path q = write("version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /x\n"
                + "  maintenance:\n    uploadpurging:\n      age: forever\n");
        assertThatThrownBy(() -> ConfigLoader.load(q, Map.of(), null))
                .hasMessageContaining("line 7").hasMessageContaining("uploadpurging.age");
    }

    @Test
    void ladingSectionConfiguresTheCollectorAndDeleteRules() throws Exception {
        Path p = write("""
                version: 0.1
                storage:
                  filesystem:
                    rootdirectory: /x
                lading:
                  gc:
                    interval: 10m
                    grace: 2h
                    deleteuntagged: true
                  deletes:
                    referrers: cascade
                  storage:
                    directio: true
                    reserve: 0
                    staging:
                      maxsize: 4096
                      maxbacklog: 1048576
                """);
        LadingConfig c = ConfigLoader.load(p, Map.of(), null);
        assertThat(c.lading().staging()).isEqualTo(new io.lading.registry.StagedContent.Settings(4096, 1 << 20));
        assertThat(ConfigLoader.load(null, Map.of(), null).lading().staging())
                .isEqualTo(io.lading.registry.StagedContent.Settings.DEFAULTS);
        assertThat(ConfigLoader.load(null, Map.of(), null).lading().directIo()).isTrue();
        assertThat(ConfigLoader.load(null, Map.of("REGISTRY_LADING_STORAGE_DIRECTIO", "false"), null).lading()
                .directIo()).isFalse();
        assertThat(ConfigLoader.load(null, Map.of(), null).lading().sendfile()).isFalse();
        assertThat(ConfigLoader.load(null, Map.of("REGISTRY_LADING_STORAGE_SENDFILE", "true"), null).lading()
                .sendfile()).isTrue();
        Path tooLarge = write("version: 0.1\nlading:\n  storage:\n    staging:\n      maxsize: 4194304\n");
        assertThatThrownBy(() -> ConfigLoader.load(tooLarge, Map.of(), Path.of("/x")))
                .hasMessageContaining("line 5").hasMessageContaining("lading.storage.staging.maxsize");
        assertThat(c.lading().gc()).isEqualTo(new io.lading.registry.MaintenanceService.GcSettings(true,
                Duration.ofMinutes(10), Duration.ofHours(2), true));
        assertThat(c.lading().referrers()).isEqualTo(io.lading.registry.RegistryOptions.ReferrersOnDelete.CASCADE);
        assertThat(c.lading().directIo()).isTrue();
        assertThat(c.lading().reserve()).isZero();
        assertThat(ConfigLoader.load(null, Map.of(), null).lading().reserve()).isEqualTo(1L << 30);
        Path negative = write("version: 0.1\nlading:\n  storage:\n    reserve: -1\n");
        assertThatThrownBy(() -> ConfigLoader.load(negative, Map.of(), Path.of("/x")))
                .hasMessageContaining("line 4").hasMessageContaining("lading.storage.reserve");
        assertThat(ConfigLoader.load(null, Map.of(), null).lading().gc())
                .isEqualTo(io.lading.registry.MaintenanceService.GcSettings.defaults());

        assertThat(ConfigLoader.load(null, Map.of(), null).lading().check())
                .isEqualTo(io.lading.registry.MaintenanceService.CheckSettings.defaults());
        Path checks = write("version: 0.1\nlading:\n  check:\n    interval: 6h\n    verify: true\n"
                + "    quarantine: true\n    verifyrate: 50MiB\n");
        assertThat(ConfigLoader.load(checks, Map.of(), Path.of("/x")).lading().check()).isEqualTo(
                new io.lading.registry.MaintenanceService.CheckSettings(true, Duration.ofHours(6), true, true,
                        50L << 20));
        assertThat(ConfigLoader.load(null, Map.of("REGISTRY_LADING_CHECK_VERIFYRATE", "1000000"), null).lading()
                .check().verifyRate()).isEqualTo(1_000_000);
        Path fast = write("version: 0.1\nlading:\n  check:\n    verify: true\n    verifyrate: fast\n");
        assertThatThrownBy(() -> ConfigLoader.load(fast, Map.of(), Path.of("/x")))
                .hasMessageContaining("line 5").hasMessageContaining("lading.check.verifyrate")
                .hasMessageContaining("'fast' is not a size");
        Path reserve = write("version: 0.1\nlading:\n  storage:\n    reserve: 2GiB\n");
        assertThat(ConfigLoader.load(reserve, Map.of(), Path.of("/x")).lading().reserve()).isEqualTo(2L << 30);
        assertThat(ConfigLoader.load(null, Map.of("REGISTRY_LADING_CHECK_ENABLED", "false"), null).lading().check()
                .enabled()).isFalse();
        Path never = write("version: 0.1\nlading:\n  check:\n    interval: 0s\n");
        assertThatThrownBy(() -> ConfigLoader.load(never, Map.of(), Path.of("/x")))
                .hasMessageContaining("line 4").hasMessageContaining("lading.check.interval");

        Path bad = write("version: 0.1\nlading:\n  gc:\n    interval: 0s\n");
        assertThatThrownBy(() -> ConfigLoader.load(bad, Map.of(), Path.of("/x")))
                .hasMessageContaining("line 4").hasMessageContaining("lading.gc.interval");
        Path rule = write("version: 0.1\nlading:\n  deletes:\n    referrers: sometimes\n");
        assertThatThrownBy(() -> ConfigLoader.load(rule, Map.of(), Path.of("/x")))
                .hasMessageContaining("lading.deletes.referrers").hasMessageContaining("cascade");
    }

    @Test
    void theConnectionLimitIsOffUnlessSetAndANonsenseLimitNamesTheKeyAndLine() throws Exception {
        assertThat(ConfigLoader.load(null, Map.of(), null).lading().maxConnections()).isZero();
        Path limited = write("version: 0.1\nlading:\n  http:\n    maxconnections: 2000\n");
        assertThat(ConfigLoader.load(limited, Map.of(), Path.of("/x")).lading().maxConnections()).isEqualTo(2000);
        assertThat(ConfigLoader.load(null, Map.of("REGISTRY_LADING_HTTP_MAXCONNECTIONS", "64"), null).lading()
                .maxConnections()).isEqualTo(64);
        Path negative = write("version: 0.1\nlading:\n  http:\n    maxconnections: -5\n");
        assertThatThrownBy(() -> ConfigLoader.load(negative, Map.of(), Path.of("/x")))
                .hasMessageContaining("line 4").hasMessageContaining("lading.http.maxconnections")
                .hasMessageContaining("integer >= 0");
        Path huge = write("version: 0.1\nlading:\n  http:\n    maxconnections: 9999999999\n");
        assertThatThrownBy(() -> ConfigLoader.load(huge, Map.of(), Path.of("/x")))
                .hasMessageContaining("line 4").hasMessageContaining("lading.http.maxconnections")
                .hasMessageContaining("at most 2147483647");
        Path catalog = write("version: 0.1\ncatalog:\n  maxentries: 4294967296\n");
        assertThatThrownBy(() -> ConfigLoader.load(catalog, Map.of(), Path.of("/x")))
                .hasMessageContaining("line 3").hasMessageContaining("catalog.maxentries")
                .hasMessageContaining("at most 2147483647");
    }

    @Test
    void debugListenerKeysAreUsedAndItsOtherKeysStillWarn() throws Exception {
        Path p = write("version: 0.1\nstorage:\n  inmemory: {}\nhttp:\n  debug:\n    addr: :5001\n"
                + "    prometheus:\n      enabled: true\n    tls:\n      certificate: /c.pem\n");
        LadingConfig c = ConfigLoader.load(p, Map.of(), null);
        assertThat(c.http().debug()).isEqualTo(new LadingConfig.Debug(":5001", true, "/metrics"));
        assertThat(c.warnings()).containsExactly("http.debug.tls");
    }

    @Test
    void environmentOverridesFileTheWayDistributionDoes() throws Exception {
        Path p = write("version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /x\n");
        LadingConfig c = ConfigLoader.load(p, Map.of("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", "/somewhere",
                "REGISTRY_HTTP_ADDR", "127.0.0.1:6000", "REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_AGE", "2h",
                "REGISTRY_STORAGE_DELETE_ENABLED", "true"), null);
        assertThat(c.storage().rootDirectory()).isEqualTo(Path.of("/somewhere"));
        assertThat(c.http().addr()).isEqualTo("127.0.0.1:6000");
        assertThat(c.storage().uploadPurging().age()).isEqualTo(Duration.ofHours(2));
        assertThat(c.storage().deleteEnabled()).isTrue();
    }

    @Test
    void badEnvironmentValueNamesTheVariable() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("REGISTRY_STORAGE_DELETE_ENABLED", "sometimes"), null))
                .hasMessageContaining("REGISTRY_STORAGE_DELETE_ENABLED");
    }

    @Test
    void unavailableStorageDriverIsAnError() throws Exception {
        Path p = write("version: 0.1\nstorage:\n  gcs:\n    bucket: b\n");
        assertThatThrownBy(() -> ConfigLoader.load(p, Map.of(), null))
                .hasMessageContaining("storage.gcs").hasMessageContaining("line 3")
                .hasMessageContaining("not available in Lading yet");
    }

    /** distribution's storage.s3 section, every key of its configuration reference. */
    @Test
    void s3SectionAsDistributionDocumentsIt() throws Exception {
        LadingConfig c = ConfigLoader.load(write("""
                version: 0.1
                storage:
                  s3:
                    accesskey: awsaccesskey
                    secretkey: awssecretkey
                    region: us-west-1
                    regionendpoint: myobjects.local:9000
                    redirectendpoint: https://cdn.example.com
                    forcepathstyle: true
                    accelerate: false
                    bucket: bucketname
                    encrypt: true
                    keyid: mykeyid
                    secure: false
                    skipverify: false
                    v4auth: true
                    chunksize: 5242880
                    multipartcopychunksize: 33554432
                    multipartcopymaxconcurrency: 100
                    multipartcopythresholdsize: 33554432
                    rootdirectory: /s3/object/name/prefix
                    storageclass: REDUCED_REDUNDANCY
                    objectacl: bucket-owner-full-control
                    useragent: lading-test
                    usedualstack: false
                    usefipsendpoint: false
                    loglevel: debug
                  redirect:
                    disable: true
                """), Map.of(), null);
        var s3 = c.storage().s3();
        assertThat(c.storage().driver()).isEqualTo("s3");
        assertThat(s3.bucket()).isEqualTo("bucketname");
        assertThat(s3.region()).isEqualTo("us-west-1");
        assertThat(s3.endpoint()).as("a bare host, with secure: false").hasToString("http://myobjects.local:9000");
        assertThat(s3.redirectEndpoint()).hasToString("https://cdn.example.com");
        assertThat(s3.forcePathStyle()).isTrue();
        assertThat(s3.rootDirectory()).isEqualTo("s3/object/name/prefix");
        assertThat(s3.chunkSize()).isEqualTo(5242880);
        assertThat(s3.encrypt()).isTrue();
        assertThat(s3.keyId()).isEqualTo("mykeyid");
        assertThat(s3.storageClass()).isEqualTo("REDUCED_REDUNDANCY");
        assertThat(s3.objectAcl()).isEqualTo("bucket-owner-full-control");
        assertThat(s3.userAgent()).isEqualTo("lading-test");
        assertThat(c.storage().redirectDisabled()).isTrue();
        assertThat(c.storage().rootDirectory()).as("the metadata database's directory").isEqualTo(Path.of("data"));
        assertThat(c.warnings()).containsExactly("storage.s3.loglevel (the S3 client logs under the logger"
                + " software.amazon.awssdk instead)");

        LadingConfig minimal = ConfigLoader.load(write("""
                version: 0.1
                storage:
                  s3:
                    region: eu-central-1
                    bucket: b
                """), Map.of("REGISTRY_STORAGE_S3_ROOTDIRECTORY", "/from/env"), dir.resolve("local"));
        assertThat(minimal.storage().s3().endpoint()).as("Amazon S3 itself").isNull();
        assertThat(minimal.storage().s3().accessKey()).as("the SDK's default credentials").isNull();
        assertThat(minimal.storage().s3().chunkSize()).isEqualTo(10L << 20);
        assertThat(minimal.storage().s3().rootDirectory()).isEqualTo("from/env");
        assertThat(minimal.storage().rootDirectory()).isEqualTo(dir.resolve("local"));
    }

    /** docker run -e REGISTRY_STORAGE=s3 -e REGISTRY_STORAGE_S3_...: distribution's way of choosing a driver. */
    @Test
    void environmentChoosesTheStorageDriverAsDistributionLetsIt() throws Exception {
        Path file = write("version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n");
        LadingConfig c = ConfigLoader.load(file, Map.of("REGISTRY_STORAGE", "s3", "REGISTRY_STORAGE_S3_BUCKET", "b",
                "REGISTRY_STORAGE_S3_REGION", "eu-west-1", "REGISTRY_STORAGE_DELETE_ENABLED", "true"), null);
        assertThat(c.storage().driver()).isEqualTo("s3");
        assertThat(c.storage().s3().bucket()).isEqualTo("b");
        assertThat(c.storage().s3().region()).isEqualTo("eu-west-1");
        assertThat(c.storage().deleteEnabled()).isTrue();
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of("REGISTRY_STORAGE", "s3"), null))
                .hasMessageContaining("environment variable REGISTRY_STORAGE: storage.s3.bucket is required");
        assertThat(ConfigLoader.load(write("version: 0.1\nstorage: inmemory\n"), Map.of(), null).storage().driver())
                .isEqualTo("inmemory");
    }

    @Test
    void s3MistakesNameTheKeyAndLine() throws Exception {
        String head = "version: 0.1\nstorage:\n  s3:\n    region: us-east-1\n";
        Object[][] cases = {
            {head, "line 3: storage.s3.bucket is required"},
            {head + "    bucket: b\n    chunksize: 1048576\n", "line 6: storage.s3.chunksize must be between 5242880"},
            {head + "    bucket: b\n    storageclass: COLD\n", "line 6: storage.s3.storageclass must be one of"},
            {head + "    bucket: b\n    objectacl: everyone\n", "line 6: storage.s3.objectacl must be a canned ACL"},
            {head + "    bucket: b\n    regionendpoint: ftp://x\n", "line 6: storage.s3.regionendpoint must be"},
            {head + "    bucket: b\n    redirectendpoint: https://cdn/x\n", "line 6: storage.s3.redirectendpoint"},
            {head + "    bucket: b\n    secure: sometimes\n", "line 6: storage.s3.secure must be true or false"},
            {head + "    bucket: b\n    buckett: c\n", "line 6: unknown configuration key storage.s3.buckett"},
        };
        for (Object[] c : cases) {
            Path p = write((String) c[0]);
            assertThatThrownBy(() -> ConfigLoader.load(p, Map.of(), null)).as((String) c[1])
                    .isInstanceOf(ConfigException.class).hasMessageContaining((String) c[1]);
        }
    }

    /** distribution's storage.azure section as its configuration reference writes it, and its driver's defaults. */
    @Test
    void azureSectionAsDistributionDocumentsIt() throws Exception {
        LadingConfig c = ConfigLoader.load(write("""
                version: 0.1
                storage:
                  azure:
                    accountname: accountname
                    accountkey: base64encodedaccountkey
                    container: containername
                    rootdirectory: /az/object/name/prefix
                    credentials:
                      type: client_secret
                      clientid: client_id_string
                      tenantid: tenant_id_string
                      secret: secret_string
                    max_retries: 10
                    retry_delay: 100ms
                """), Map.of(), dir.resolve("local"));
        var azure = c.storage().azure();
        assertThat(c.storage().driver()).isEqualTo("azure");
        assertThat(c.storage().rootDirectory()).as("metadata on local disk").isEqualTo(dir.resolve("local"));
        assertThat(azure.accountName()).isEqualTo("accountname");
        assertThat(azure.container()).isEqualTo("containername");
        assertThat(azure.rootDirectory()).isEqualTo("az/object/name/prefix");
        assertThat(azure.credentials()).isEqualTo(new AzureSettings.Credentials(
                AzureSettings.CredentialType.CLIENT_SECRET, "client_id_string", "tenant_id_string", "secret_string"));
        assertThat(azure.serviceUrl()).hasToString("https://accountname.blob.core.windows.net");
        assertThat(azure.maxRetries()).isEqualTo(10);
        assertThat(azure.retryDelay()).isEqualTo(Duration.ofMillis(100));
        assertThat(azure.signsUrls()).as("with a user delegation key").isTrue();
        assertThat(c.warnings()).isEmpty();

        LadingConfig keyed = ConfigLoader.load(write("""
                version: 0.1
                storage:
                  azure:
                    accountname: acct
                    accountkey: a2V5
                    container: c
                    realm: core.chinacloudapi.cn
                """), Map.of("REGISTRY_STORAGE_AZURE_ROOTDIRECTORY", "/from/env",
                "REGISTRY_STORAGE_AZURE_MAX_RETRIES", "2", "REGISTRY_STORAGE_AZURE_RETRY_DELAY", "1s"), null);
        assertThat(keyed.storage().azure().credentials().type()).isEqualTo(AzureSettings.CredentialType.SHARED_KEY);
        assertThat(keyed.storage().azure().serviceUrl()).hasToString("https://acct.blob.core.chinacloudapi.cn");
        assertThat(keyed.storage().azure().rootDirectory()).isEqualTo("from/env");
        assertThat(keyed.storage().azure().maxRetries()).as("keys with an underscore, from the environment")
                .isEqualTo(2);
        assertThat(keyed.storage().azure().retryDelay()).isEqualTo(Duration.ofSeconds(1));
        assertThat(keyed.storage().azure().signsUrls()).isTrue();

        LadingConfig emulator = ConfigLoader.load(write("""
                version: 0.1
                storage:
                  azure:
                    accountname: devstoreaccount1
                    accountkey: a2V5
                    container: c
                    serviceurl: http://127.0.0.1:10000/devstoreaccount1
                    credentials:
                      type: shared_key
                """), Map.of("REGISTRY_STORAGE", "azure", "REGISTRY_STORAGE_AZURE_ACCOUNTNAME", "devstoreaccount1",
                "REGISTRY_STORAGE_AZURE_ACCOUNTKEY", "a2V5", "REGISTRY_STORAGE_AZURE_CONTAINER", "env"), null);
        assertThat(emulator.storage().azure().container()).as("REGISTRY_STORAGE replaces the section").isEqualTo("env");
        assertThat(emulator.storage().azure().serviceUrl()).isEqualTo(AzureSettings.serviceUrl("devstoreaccount1",
                "core.windows.net"));
    }

    @Test
    void azureMistakesNameTheKeyAndLine() throws Exception {
        String head = "version: 0.1\nstorage:\n  azure:\n    accountname: a\n";
        Object[][] cases = {
            {head + "    accountkey: k\n", "line 3: storage.azure.container is required"},
            {"version: 0.1\nstorage:\n  azure:\n    container: c\n", "line 3: storage.azure.accountname is required"},
            {head + "    container: c\n", "line 3: storage.azure.accountkey is required with shared_key credentials"},
            {head + "    container: c\n    credentials:\n      type: password\n",
                "line 7: storage.azure.credentials.type must be one of [shared_key, client_secret"},
            {head + "    container: c\n    credentials:\n      type: client_secret\n      clientid: x\n",
                "line 6: storage.azure.credentials.tenantid is required with client_secret credentials"},
            {head + "    accountkey: k\n    container: c\n    serviceurl: ftp://x\n",
                "line 7: storage.azure.serviceurl must be an http(s) URL"},
            {head + "    container: c\n    serviceurl: http://127.0.0.1:10000/a\n    credentials:\n"
                + "      type: default_credentials\n", "line 6: storage.azure.serviceurl must be https with"
                + " default_credentials credentials"},
            {head + "    accountkey: k\n    container: c\n    max_retries: -2\n",
                "line 7: storage.azure.max_retries must be an integer >= -1"},
            {head + "    accountkey: k\n    container: c\n    retry_delay: soon\n",
                "line 7: storage.azure.retry_delay must be a duration"},
            {head + "    accountkey: k\n    container: c\n    containr: d\n",
                "line 7: unknown configuration key storage.azure.containr"},
        };
        for (Object[] c : cases) {
            Path p = write((String) c[0]);
            assertThatThrownBy(() -> ConfigLoader.load(p, Map.of(), null)).as((String) c[1])
                    .isInstanceOf(ConfigException.class).hasMessageContaining((String) c[1]);
        }
        LadingConfig workload = ConfigLoader.load(write(head + "    container: c\n    credentials:\n"
                + "      type: default\n"), Map.of(), null);
        assertThat(workload.storage().azure().credentials().type())
                .as("type: default, as distribution's managed identity example writes it")
                .isEqualTo(AzureSettings.CredentialType.DEFAULT_CREDENTIALS);
    }

    @Test
    void ladingSectionAndValidationAreRead() throws Exception {
        Path p = write("""
                version: 0.1
                storage:
                  inmemory:
                  maintenance:
                    readonly:
                      enabled: true
                validation:
                  manifests:
                    indexes:
                      platforms: list
                      platformlist:
                        - os: linux
                          architecture: amd64
                catalog:
                  maxentries: 50
                lading:
                  uploads:
                    chunkminlength: 1048576
                """);
        LadingConfig c = ConfigLoader.load(p, Map.of(), null);
        assertThat(c.storage().driver()).isEqualTo("inmemory");
        assertThat(c.storage().readOnly()).isTrue();
        assertThat(c.validation().indexes()).isEqualTo(RegistryOptions.IndexValidation.LIST);
        assertThat(c.validation().platforms()).hasSize(1);
        assertThat(c.catalogMaxEntries()).isEqualTo(50);
        assertThat(c.lading().chunkMinLength()).isEqualTo(1048576);
    }

    @Test
    void invalidYamlNamesTheLine() throws Exception {
        Path p = write("version: 0.1\nhttp:\n  addr: [unclosed\n");
        assertThatThrownBy(() -> ConfigLoader.load(p, Map.of(), null)).hasMessageContaining("invalid YAML");
    }

    @Test
    void goDurationsParse() {
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("300ms")).isEqualTo(Duration.ofMillis(300));
        assertThat(Durations.parse("168h")).isEqualTo(Duration.ofDays(7));
        assertThat(Durations.parse("soon")).isNull();
    }

    @Test
    void notificationEndpointsReadDistributionsKeysAndLadingsAdditions() throws Exception {
        Path p = write("""
                version: 0.1
                storage:
                  inmemory: {}
                notifications:
                  events:
                    includereferences: true
                  endpoints:
                    - name: audit
                      url: https://hooks.example.com/registry
                      headers:
                        Authorization: [Bearer abc]
                      timeout: 500ms
                      threshold: 5
                      backoff: 2s
                      ignoredmediatypes: [application/octet-stream]
                      ignore:
                        actions: [pull]
                    - name: ce
                      disabled: true
                      url: http://127.0.0.1:9000/ce
                lading:
                  notifications:
                    deadletterafter: 2h
                    pullevents: false
                    endpoints:
                      ce:
                        format: cloudevents
                """);
        LadingConfig c = ConfigLoader.load(p, Map.of(), null);
        var audit = c.notifications().endpoints().get(0);
        assertThat(audit.name()).isEqualTo("audit");
        assertThat(audit.url().toString()).isEqualTo("https://hooks.example.com/registry");
        assertThat(audit.headers()).containsEntry("Authorization", java.util.List.of("Bearer abc"));
        assertThat(audit.timeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(audit.threshold()).isEqualTo(5);
        assertThat(audit.backoff()).isEqualTo(Duration.ofSeconds(2));
        assertThat(audit.ignoredMediaTypes()).containsExactly("application/octet-stream");
        assertThat(audit.ignoredActions()).containsExactly("pull");
        assertThat(audit.maxBatch()).isEqualTo(16);
        assertThat(audit.deadLetterAfter()).isEqualTo(Duration.ofHours(2));
        var ce = c.notifications().endpoints().get(1);
        assertThat(ce.disabled()).isTrue();
        assertThat(ce.format()).isEqualTo(io.lading.registry.events.Endpoint.Format.CLOUDEVENTS);
        assertThat(ce.maxBatch()).isEqualTo(1);
        assertThat(c.notifications().pullEvents()).isFalse();
        assertThat(c.notifications().includeReferences()).isTrue();
        assertThat(c.warnings()).isEmpty();
        assertThat(ConfigLoader.load(null, Map.of(), null).notifications().includeReferences()).isFalse();
        assertThatThrownBy(() -> ConfigLoader.load(write("version: 0.1\nstorage:\n  inmemory: {}\nnotifications:\n"
                + "  events:\n    includereferences: always\n"), Map.of(), null))
                .hasMessageContaining("line 6").hasMessageContaining("notifications.events.includereferences");
    }

    @Test
    void notificationMistakesNameTheKeyAndLine() throws Exception {
        String head = "version: 0.1\nstorage:\n  inmemory: {}\nnotifications:\n  endpoints:\n";
        assertThatThrownBy(() -> ConfigLoader.load(write(head + "    - name: a\n      url: ftp://x/y\n"), Map.of(), null))
                .hasMessageContaining("line 7").hasMessageContaining("notifications.endpoints.0.url must be an absolute"
                        + " http(s) URL, not 'ftp://x/y'");
        assertThatThrownBy(() -> ConfigLoader.load(write(head + "    - name: a\n      url: http://x/\n      retries: 3\n"),
                Map.of(), null)).hasMessageContaining("line 8").hasMessageContaining("unknown configuration key"
                + " notifications.endpoints.0.retries");
        assertThatThrownBy(() -> ConfigLoader.load(write(head + "    - name: a\n      url: http://x/\n      ignore:\n"
                + "        actions: [push, fetch]\n"), Map.of(), null))
                .hasMessageContaining("ignore.actions may hold push, pull, delete and mount, not 'fetch'");
        assertThatThrownBy(() -> ConfigLoader.load(write(head + "    - name: a\n      url: http://x/\n"
                + "lading:\n  notifications:\n    endpoints:\n      b:\n        maxbatch: 2\n"), Map.of(), null))
                .hasMessageContaining("lading.notifications.endpoints.b names no endpoint");
        assertThatThrownBy(() -> ConfigLoader.load(write(head + "    - name: a\n      url: http://x/\n"
                + "    - name: a\n      url: http://y/\n"), Map.of(), null))
                .hasMessageContaining("notifications.endpoints.1.name 'a' is used by another endpoint");
        assertThatThrownBy(() -> ConfigLoader.load(write(head + "    - name: a\n      url: http://x/\n      headers:\n"
                + "        Host: [evil]\n"), Map.of(), null)).hasMessageContaining("notifications.endpoints.0.headers.Host");
        assertThatThrownBy(() -> ConfigLoader.load(write(head + "    - name: a\n      url: http://x/\n      timeout: soon\n"),
                Map.of(), null)).hasMessageContaining("notifications.endpoints.0.timeout must be a duration");
    }

    @Test
    void healthChecksAreReadAsDistributionDefinesThem() throws Exception {
        Path p = write("""
                version: 0.1
                storage:
                  inmemory: {}
                health:
                  file:
                    - file: /tmp/drain
                  http:
                    - uri: http://127.0.0.1:9/ping
                      statuscode: 204
                      timeout: 1s
                      threshold: 2
                  tcp:
                    - addr: 127.0.0.1:6379
                """);
        LadingConfig c = ConfigLoader.load(p, Map.of(), null);
        assertThat(c.health().storageDriver()).isNull();
        assertThat(c.health().files()).containsExactly(new LadingConfig.FileCheck(Path.of("/tmp/drain"),
                Duration.ofSeconds(10)));
        assertThat(c.health().http().get(0).statusCode()).isEqualTo(204);
        assertThat(c.health().http().get(0).threshold()).isEqualTo(2);
        assertThat(c.health().tcp().get(0).addr()).isEqualTo("127.0.0.1:6379");
        assertThatThrownBy(() -> ConfigLoader.load(write("version: 0.1\nstorage:\n  inmemory: {}\nhealth:\n  tcp:\n"
                + "    - addr: 127.0.0.1:1\n      every: 5s\n"), Map.of(), null))
                .hasMessageContaining("unknown configuration key health.tcp.0.every");
    }

    @Test
    void environmentCanAddANotificationEndpoint() {
        LadingConfig c = ConfigLoader.load(null, Map.of("REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME", "hook",
                "REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL", "http://127.0.0.1:1/e"), null);
        assertThat(c.notifications().endpoints()).singleElement()
                .satisfies(e -> assertThat(e.name()).isEqualTo("hook"));
    }

    @Test
    void tokenAuthTheBuiltInIssuerAndAccessRulesAreRead() throws Exception {
        Path p = write("""
                version: 0.1
                storage:
                  filesystem:
                    rootdirectory: /srv/registry
                auth:
                  token:
                    realm: https://registry.example.com/token
                    service: registry.example.com
                    issuer: lading
                    signingalgorithms: [ES256, EdDSA]
                    autoredirect: true
                    autoredirectpath: /token
                lading:
                  auth:
                    issuer:
                      enabled: true
                      users: /etc/registry/htpasswd
                      expiration: 10m
                    groups:
                      devs: [alice, bob]
                    acl:
                      - groups: [devs]
                        repositories: ["team/**"]
                        actions: [pull, push]
                      - anonymous: true
                        repositories: ["public/**"]
                        actions: [pull]
                      - accounts: [root]
                        repositories: ["**"]
                        actions: ["*"]
                        catalog: true
                        admin: true
                    loginlimit:
                      failures: 5
                      window: 5m
                """);
        LadingConfig c = ConfigLoader.load(p, Map.of(), null);
        assertThat(c.auth().token().service()).isEqualTo("registry.example.com");
        assertThat(c.auth().token().algorithms()).containsExactlyInAnyOrder("ES256", "EdDSA");
        assertThat(c.auth().token().autoRedirectPath()).isEqualTo("/token");
        Path off = write("version: 0.1\nstorage:\n  inmemory: {}\nauth:\n  token:\n    realm: r\n    service: s\n"
                + "    issuer: i\n    jwks: /j\n    autoredirectpath: /token\n");
        assertThat(ConfigLoader.load(off, Map.of(), null).auth().token().autoRedirectPath()).as("autoredirect off")
                .isNull();
        assertThat(c.auth().issuer().key()).isEqualTo(Path.of("/srv/registry/auth/issuer-key.pem"));
        assertThat(c.auth().issuer().expiration()).isEqualTo(Duration.ofMinutes(10));
        var rules = c.auth().rules();
        assertThat(rules.grant(rules.identity("bob"), io.lading.auth.Access.parse("repository:team/x:pull,delete"))
                .actions()).containsExactly("pull");
        assertThat(c.auth().loginFailures()).isEqualTo(5);
        assertThat(c.auth().loginWindow()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void authAndTlsMistakesNameTheKey() throws Exception {
        String head = "version: 0.1\nstorage:\n  inmemory: {}\n";
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("auth:\n  token:\n    realm: r\n    issuer: i\n    rootcertbundle: /x\n", "auth.token.service is required");
        cases.put("auth:\n  token:\n    realm: r\n    service: s\n    issuer: i\n",
                "auth.token needs rootcertbundle or jwks");
        cases.put("auth:\n  token:\n    realm: r\n    service: s\n    issuer: i\n    jwks: /j\n"
                + "    signingalgorithms: [HS256]\n", "HS256 needs a shared secret");
        cases.put("auth:\n  htpasswd:\n    realm: r\n    path: /p\n  token:\n    realm: r\n    service: s\n"
                + "    issuer: i\n    jwks: /j\n", "configure one of auth.htpasswd and auth.token");
        cases.put("lading:\n  auth:\n    acl:\n      - accounts: [a]\n        repositories: [x]\n        actions: [pull]\n",
                "lading.auth.acl needs authentication");
        cases.put("auth:\n  htpasswd:\n    realm: r\n    path: /p\nlading:\n  auth:\n    acl:\n      - groups: [ops]\n"
                + "        repositories: [x]\n        actions: [pull]\n", "names 'ops', which lading.auth.groups does not define");
        cases.put("auth:\n  htpasswd:\n    realm: r\n    path: /p\nlading:\n  auth:\n    acl:\n      - accounts: [a]\n"
                + "        repositories: [x]\n        actions: [read]\n", "actions may hold pull, push, delete and *, not 'read'");
        cases.put("auth:\n  htpasswd:\n    realm: r\n    path: /p\nlading:\n  auth:\n    acl:\n      - repositories: [x]\n"
                + "        actions: [pull]\n", "applies to nobody");
        cases.put("lading:\n  auth:\n    issuer:\n      enabled: true\n", "lading.auth.issuer needs auth.token");
        cases.put("auth:\n  token:\n    realm: r\n    service: s\n    issuer: i\n    jwks: /j\n    autoredirect: true\n"
                + "    autoredirectpath: token\n", "auth.token.autoredirectpath must be a URL path starting with /");
        cases.put("auth:\n  token:\n    realm: r\n    service: s\n    issuer: i\n    jwks: /j\n    autoredirect: maybe\n",
                "auth.token.autoredirect");
        cases.put("http:\n  tls:\n    certificate: /c.pem\n", "http.tls needs both certificate and key");
        cases.put("http:\n  tls:\n    certificate: /c.pem\n    key: /k.pem\n    minimumtls: tls1.0\n",
                "http.tls.minimumtls tls1.0 is not offered");
        for (var e : cases.entrySet()) {
            Path p = write(head + e.getKey());
            assertThatThrownBy(() -> ConfigLoader.load(p, Map.of(), null)).as(e.getKey())
                    .isInstanceOf(ConfigException.class).hasMessageContaining(e.getValue())
                    .hasMessageContaining("config.yml");
        }
    }
}
