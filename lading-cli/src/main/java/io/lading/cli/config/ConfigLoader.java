package io.lading.cli.config;

import io.lading.core.ByteSize;
import io.lading.core.Descriptor;
import io.lading.registry.MaintenanceService;
import io.lading.registry.RegistryOptions;
import io.lading.registry.StagedContent;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a distribution-format config.yml (plus Lading's {@code lading:} section), applies {@code REGISTRY_*}
 * environment overrides the way distribution does ({@code REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=/x} sets
 * {@code storage.filesystem.rootdirectory}), and builds a {@link LadingConfig}.
 *
 * <p>Every value is type-checked, and a mistake fails with a message naming the key and its file and line. Keys
 * that distribution has but Lading does not implement are collected into {@link LadingConfig#warnings()} (so an
 * existing distribution config starts unchanged); keys neither knows are errors (a typo must not pass silently).
 */
public final class ConfigLoader {
    /** Keys (and whole sections) of distribution's configuration that Lading accepts without implementing yet. */
    private static final List<String> KNOWN_UNIMPLEMENTED = List.of(
            "loglevel", "log.hooks", "log.reportcaller",
            "auth.silly", "middleware", "reporting", "redis", "compatibility",
            "http.tls.letsencrypt", "http.debug.tls",
            "storage.cache", "storage.filesystem.maxthreads", "storage.tag");
    /** Keys with an underscore in their name (storage.azure.*), which an environment variable names whole. */
    private static final Set<String> UNDERSCORE_KEYS = Set.of("max_retries", "retry_delay");
    /** The storage drivers Lading has. */
    private static final Set<String> DRIVERS = Set.of("filesystem", "inmemory", "s3", "azure");
    /** Storage drivers distribution has and Lading does not offer yet: starting with one would be a lie. */
    private static final Set<String> OTHER_DRIVERS = Set.of("gcs", "swift", "oss");

    private final String fileName;
    private final Set<String> used = new HashSet<>();

    private ConfigLoader(String fileName) {
        this.fileName = fileName;
    }

    /**
     * Loads the configuration.
     *
     * @param file the config file, or null for built-in defaults (embedded filesystem + SQLite)
     * @param env  the environment (for REGISTRY_* overrides)
     * @param dataDir the --data option, overriding the storage root, or null
     */
    public static LadingConfig load(Path file, Map<String, String> env, Path dataDir) {
        return load(file, env, dataDir, null);
    }

    /**
     * Loads the configuration of {@code lading serve}.
     *
     * @param listen the --listen option, overriding http.addr of the file and the environment, or null
     */
    public static LadingConfig load(Path file, Map<String, String> env, Path dataDir, String listen) {
        ConfigLoader loader = new ConfigLoader(file == null ? "built-in defaults" : file.toString());
        ConfigNode root = file == null ? ConfigNode.emptyMap("built-in defaults") : loader.parseFile(file);
        List<String> warnings = new ArrayList<>();
        loader.applyEnvironment(root, env, warnings);
        if (listen != null) {
            ConfigNode http = childForWrite(root, "http", false, "--listen");
            if (http == null || !http.isMap()) {
                throw new ConfigException(loader.at(root, "http").origin + ": http must be a mapping of keys");
            }
            http.map().put("addr", new ConfigNode(listen, "--listen"));
        }
        return loader.build(root, file != null, dataDir, warnings);
    }

    // ---- parsing ------------------------------------------------------------------------------------------------

    private ConfigNode parseFile(Path file) {
        Node node;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            LoaderOptions opts = new LoaderOptions();
            opts.setAllowDuplicateKeys(false);
            node = new Yaml(opts).compose(r);
        } catch (MarkedYAMLException e) {
            throw new ConfigException(fileName + " line " + (e.getProblemMark().getLine() + 1) + ": invalid YAML: "
                    + e.getProblem());
        } catch (YAMLException e) {
            throw new ConfigException(fileName + ": invalid YAML: " + e.getMessage());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException("cannot read config file " + fileName + ": no such file");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new ConfigException("cannot read config file " + fileName + ": permission denied");
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + fileName + ": " + e.getMessage());
        }
        if (node == null) {
            return ConfigNode.emptyMap(fileName);
        }
        ConfigNode root = convert(node);
        if (!root.isMap()) {
            throw new ConfigException(fileName + ": the top level must be a mapping of keys");
        }
        return root;
    }

    private ConfigNode convert(Node node) {
        String origin = fileName + " line " + (node.getStartMark().getLine() + 1);
        return switch (node) {
            case MappingNode m -> {
                Map<String, ConfigNode> map = new LinkedHashMap<>();
                for (NodeTuple t : m.getValue()) {
                    if (!(t.getKeyNode() instanceof ScalarNode k)) {
                        throw new ConfigException(origin + ": keys must be plain strings");
                    }
                    // A key's errors point at the key's own line, not at where its value starts.
                    ConfigNode v = convert(t.getValueNode());
                    map.put(k.getValue(), new ConfigNode(v.value, fileName + " line " + (k.getStartMark().getLine() + 1)));
                }
                yield new ConfigNode(map, origin);
            }
            case SequenceNode s -> new ConfigNode(new ArrayList<>(s.getValue().stream().map(this::convert).toList()),
                    origin);
            case ScalarNode s -> new ConfigNode(isNull(s) ? null : s.getValue(), origin);
            default -> throw new ConfigException(origin + ": unsupported YAML construct");
        };
    }

    private static boolean isNull(ScalarNode s) {
        return s.getTag().getValue().endsWith(":null") || (s.getValue().isEmpty() && s.getScalarStyle().getChar() == null);
    }

    /**
     * The config path an environment variable's name (after REGISTRY_, lower case) stands for: each underscore a
     * level, but for the keys whose own names hold one ({@link #UNDERSCORE_KEYS}), which stay one part.
     */
    private static String[] envPath(String name) {
        String[] split = name.split("_");
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < split.length; i++) {
            if (i + 1 < split.length && UNDERSCORE_KEYS.contains(split[i] + "_" + split[i + 1])) {
                parts.add(split[i] + "_" + split[++i]);
            } else {
                parts.add(split[i]);
            }
        }
        return parts.toArray(String[]::new);
    }

    /** REGISTRY_A_B_C=value sets a.b.c; a numeric part indexes a list. Unknown paths are warned about, not fatal. */
    private void applyEnvironment(ConfigNode root, Map<String, String> env, List<String> warnings) {
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            if (!e.getKey().startsWith("REGISTRY_") || e.getKey().length() <= "REGISTRY_".length()) {
                continue;
            }
            String[] parts = envPath(e.getKey().substring("REGISTRY_".length()).toLowerCase(Locale.ROOT));
            String origin = "environment variable " + e.getKey();
            ConfigNode node = root;
            for (int i = 0; i < parts.length - 1; i++) {
                node = childForWrite(node, parts[i], parts[i + 1].matches("\\d+"), origin);
                if (node == null) {
                    break;
                }
            }
            if (node == null) {
                warnings.add(e.getKey() + " (cannot be applied: its path crosses a scalar value)");
                continue;
            }
            String last = parts[parts.length - 1];
            ConfigNode value = new ConfigNode(e.getValue(), origin);
            if (parts.length == 1 && last.equals("storage")) {
                // REGISTRY_STORAGE=s3, as distribution reads it: the storage section becomes that driver's, with
                // no parameters yet (REGISTRY_STORAGE_S3_* set them); the file's driver and settings are dropped.
                value = driverSection(e.getValue(), origin);
            }
            if (node.isMap()) {
                node.map().put(last, value);
            } else if (node.isList() && last.matches("\\d+")) {
                int idx = Integer.parseInt(last);
                while (node.list().size() <= idx) {
                    node.list().add(new ConfigNode(null, origin));
                }
                node.list().set(idx, value);
            } else {
                warnings.add(e.getKey() + " (cannot be applied: its path crosses a scalar value)");
            }
        }
    }

    /** A storage section naming only {@code driver}: {@code storage: inmemory} written as distribution allows. */
    private static ConfigNode driverSection(String driver, String origin) {
        ConfigNode section = ConfigNode.emptyMap(origin);
        section.map().put(driver.toLowerCase(Locale.ROOT), ConfigNode.emptyMap(origin));
        return section;
    }

    /** The child to write below, created when missing: a list when the next part is an index, else a map. */
    private static ConfigNode childForWrite(ConfigNode node, String part, boolean nextIsIndex, String origin) {
        if (node.isMap()) {
            ConfigNode c = node.map().get(part);
            if (c == null || c.value == null) {
                c = nextIsIndex ? new ConfigNode(new ArrayList<ConfigNode>(), origin) : ConfigNode.emptyMap(origin);
                node.map().put(part, c);
            }
            return c.isMap() || c.isList() ? c : null;
        }
        if (node.isList() && part.matches("\\d+")) {
            int idx = Integer.parseInt(part);
            while (node.list().size() <= idx) {
                node.list().add(ConfigNode.emptyMap(origin));
            }
            return node.list().get(idx);
        }
        return null;
    }

    // ---- typed reads --------------------------------------------------------------------------------------------

    ConfigNode at(ConfigNode root, String path) {
        ConfigNode node = root;
        for (String part : path.split("\\.")) {
            if (node != null && node.isList() && part.matches("\\d{1,6}")) {
                int i = Integer.parseInt(part);
                node = i < node.list().size() ? node.list().get(i) : null;
                continue;
            }
            if (node == null || !node.isMap()) {
                return null;
            }
            node = node.map().get(part);
        }
        if (node != null) {
            used.add(path);
        }
        return node;
    }

    String string(ConfigNode root, String path, String def) {
        ConfigNode n = at(root, path);
        if (n == null || n.value == null) {
            return def;
        }
        if (n.scalar() == null) {
            throw new ConfigException(n.origin + ": " + path + " must be a single value");
        }
        return n.scalar();
    }

    boolean bool(ConfigNode root, String path, boolean def) {
        ConfigNode n = at(root, path);
        String s = n == null ? null : string(root, path, null);
        if (s == null) {
            return def;
        }
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new ConfigException(n.origin + ": " + path + " must be true or false, not '" + s + "'");
        };
    }

    /** lading.storage.staging.*: at most 1 MiB per blob, since a staged push holds the blob in memory. */
    private StagedContent.Settings staging(ConfigNode root) {
        StagedContent.Settings d = StagedContent.Settings.DEFAULTS;
        long maxSize = integer(root, "lading.storage.staging.maxsize", d.maxSize(), 0);
        if (maxSize > StagedContent.Settings.LIMIT) {
            throw new ConfigException(at(root, "lading.storage.staging.maxsize").origin
                    + ": lading.storage.staging.maxsize must be at most " + StagedContent.Settings.LIMIT + " bytes");
        }
        return new StagedContent.Settings(maxSize, integer(root, "lading.storage.staging.maxbacklog", d.maxBacklog(), 0));
    }

    /**
     * As {@link #integer}, for a setting held in an {@code int}: a value past {@link Integer#MAX_VALUE} is an error
     * naming the key, not a number cut to 32 bits.
     */
    int smallInteger(ConfigNode root, String path, int def, int min) {
        long v = integer(root, path, def, min);
        if (v > Integer.MAX_VALUE) {
            throw new ConfigException(at(root, path).origin + ": " + path + " must be at most " + Integer.MAX_VALUE
                    + ", not " + v);
        }
        return (int) v;
    }

    long integer(ConfigNode root, String path, long def, long min) {
        ConfigNode n = at(root, path);
        String s = n == null ? null : string(root, path, null);
        if (s == null) {
            return def;
        }
        try {
            long v = Long.parseLong(s);
            if (v < min) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new ConfigException(n.origin + ": " + path + " must be an integer >= " + min + ", not '" + s + "'");
        }
    }

    /** A number of bytes, plain or with a unit ({@link ByteSize}: {@code 1073741824}, {@code 1GiB}, {@code 500MB}). */
    long size(ConfigNode root, String path, long def) {
        ConfigNode n = at(root, path);
        String s = n == null ? null : string(root, path, null);
        if (s == null) {
            return def;
        }
        try {
            return ByteSize.parse(s);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(n.origin + ": " + path + ": " + e.getMessage());
        }
    }

    Duration duration(ConfigNode root, String path, Duration def) {
        ConfigNode n = at(root, path);
        String s = n == null ? null : string(root, path, null);
        if (s == null) {
            return def;
        }
        Duration d = Durations.parse(s);
        if (d == null) {
            throw new ConfigException(n.origin + ": " + path + " must be a duration such as 30s, 5m or 168h, not '"
                    + s + "'");
        }
        return d;
    }

    <E extends Enum<E>> E choice(ConfigNode root, String path, Class<E> type, E def) {
        ConfigNode n = at(root, path);
        String s = n == null ? null : string(root, path, null);
        if (s == null) {
            return def;
        }
        try {
            return Enum.valueOf(type, s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(n.origin + ": " + path + " must be one of "
                    + java.util.Arrays.stream(type.getEnumConstants()).map(x -> x.name().toLowerCase(Locale.ROOT)).toList()
                    + ", not '" + s + "'");
        }
    }

    private enum LogLevel { ERROR, WARN, INFO, DEBUG, TRACE }

    private enum LogFormatter { TEXT, JSON, LOGSTASH }

    // ---- building -----------------------------------------------------------------------------------------------

    private LadingConfig build(ConfigNode root, boolean fromFile, Path dataDir, List<String> warnings) {
        used.addAll(List.of("version", "log", "http", "storage", "validation", "catalog", "lading"));
        String version = string(root, "version", null);
        if (fromFile && version == null) {
            throw new ConfigException(fileName + ": version is required (use version: 0.1)");
        }
        if (version != null && !version.equals("0.1")) {
            throw new ConfigException(at(root, "version").origin + ": version must be 0.1, not '" + version + "'");
        }

        LadingConfig.Log log = new LadingConfig.Log(
                choice(root, "log.level", LogLevel.class, LogLevel.INFO).name().toLowerCase(Locale.ROOT),
                choice(root, "log.formatter", LogFormatter.class, LogFormatter.TEXT).name().toLowerCase(Locale.ROOT),
                bool(root, "log.accesslog.disabled", false), logFields(root));

        String net = string(root, "http.net", "tcp");
        if (!net.equals("tcp")) {
            throw new ConfigException(at(root, "http.net").origin + ": http.net must be tcp (unix sockets are not"
                    + " supported yet), not '" + net + "'");
        }
        String addr = string(root, "http.addr", ":5000");
        checkAddress(root, addr, "http.addr");
        String host = string(root, "http.host", "");
        if (!host.isEmpty() && !host.matches("https?://[^/\\s]+(/.*)?")) {
            throw new ConfigException(at(root, "http.host").origin + ": http.host must be an absolute http(s) URL, not '"
                    + host + "'");
        }
        boolean relativeUrls = bool(root, "http.relativeurls", false);
        String prefix = prefix(root);
        LadingConfig.Debug debug = null;
        String debugAddr = string(root, "http.debug.addr", null);
        boolean prometheus = bool(root, "http.debug.prometheus.enabled", false);
        String prometheusPath = string(root, "http.debug.prometheus.path", "/metrics");
        if (debugAddr != null) {
            checkAddress(root, debugAddr, "http.debug.addr");
            if (!prometheusPath.startsWith("/")) {
                throw new ConfigException(at(root, "http.debug.prometheus.path").origin
                        + ": http.debug.prometheus.path must start with /, not '" + prometheusPath + "'");
            }
            debug = new LadingConfig.Debug(debugAddr, prometheus, prometheusPath);
        }
        LadingConfig.Http http = new LadingConfig.Http(addr, prefix, host, relativeUrls,
                string(root, "http.secret", ""), headers(root), duration(root, "http.draintimeout",
                Duration.ofSeconds(30)), debug, tls(root, warnings), bool(root, "http.h2c.enabled", false));

        LadingConfig.Storage storage = storage(root, fromFile, dataDir, warnings);
        LadingConfig.Validation validation = validation(root);
        int catalogMax = smallInteger(root, "catalog.maxentries", 1000, 1);

        Path metadataPath = null;
        String mp = string(root, "lading.metadata.path", null);
        if (mp != null) {
            metadataPath = Path.of(mp);
        }
        MaintenanceService.GcSettings gcDefaults = MaintenanceService.GcSettings.defaults();
        MaintenanceService.GcSettings gc = new MaintenanceService.GcSettings(
                bool(root, "lading.gc.enabled", gcDefaults.enabled()),
                duration(root, "lading.gc.interval", gcDefaults.interval()),
                duration(root, "lading.gc.grace", gcDefaults.grace()),
                bool(root, "lading.gc.deleteuntagged", gcDefaults.deleteUntagged()));
        if (gc.interval().isZero() || gc.interval().isNegative()) {
            throw new ConfigException(at(root, "lading.gc.interval").origin + ": lading.gc.interval must be positive");
        }
        if (gc.grace().isNegative()) {
            throw new ConfigException(at(root, "lading.gc.grace").origin + ": lading.gc.grace must not be negative");
        }
        MaintenanceService.CheckSettings checkDefaults = MaintenanceService.CheckSettings.defaults();
        MaintenanceService.CheckSettings check = new MaintenanceService.CheckSettings(
                bool(root, "lading.check.enabled", checkDefaults.enabled()),
                duration(root, "lading.check.interval", checkDefaults.interval()),
                bool(root, "lading.check.verify", checkDefaults.verify()),
                bool(root, "lading.check.quarantine", checkDefaults.quarantine()),
                size(root, "lading.check.verifyrate", checkDefaults.verifyRate()));
        if (check.interval().isZero() || check.interval().isNegative()) {
            throw new ConfigException(at(root, "lading.check.interval").origin
                    + ": lading.check.interval must be positive");
        }
        LadingConfig.Lading lading = new LadingConfig.Lading(metadataPath,
                integer(root, "lading.uploads.chunkminlength", 0, 0),
                bool(root, "lading.storage.directio", true), bool(root, "lading.storage.sendfile", false), gc,
                choice(root, "lading.deletes.referrers", RegistryOptions.ReferrersOnDelete.class,
                        RegistryOptions.ReferrersOnDelete.REFUSE), staging(root),
                size(root, "lading.storage.reserve", RegistryOptions.DEFAULT_RESERVE), check,
                smallInteger(root, "lading.http.maxconnections", 0, 0));

        LadingConfig.Auth auth = AuthConfig.auth(this, root, storage);

        LadingConfig.Notifications notifications = new LadingConfig.Notifications(NotificationsConfig.notificationEndpoints(this, root),
                bool(root, "lading.notifications.pullevents", true),
                bool(root, "notifications.events.includereferences", false));

        LadingConfig.HealthChecks health = HealthConfig.health(this, root);

        LadingConfig.Proxy proxy = proxy(root);

        collectUnknown(root, "", warnings);
        return new LadingConfig(log, http, storage, validation, catalogMax, lading, auth, notifications, health,
                proxy, List.copyOf(warnings));
    }

    /**
     * proxy.{remoteurl,username,password,ttl,exec}, or null without proxy.remoteurl. The URL is a registry's root, as
     * distribution's mirror recipe requires (a path, query or fragment is an error).
     */
    LadingConfig.Proxy proxy(ConfigNode root) {
        String url = string(root, "proxy.remoteurl", null);
        String username = string(root, "proxy.username", null);
        String password = string(root, "proxy.password", null);
        if (url == null) {
            ConfigNode section = at(root, "proxy");
            if (section != null && section.isMap() && !section.map().isEmpty()) {
                throw new ConfigException(section.origin + ": proxy needs proxy.remoteurl, the registry to mirror");
            }
            return null;
        }
        java.net.URI uri;
        try {
            uri = new java.net.URI(url);
        } catch (java.net.URISyntaxException e) {
            uri = null;
        }
        String path = uri == null ? null : uri.getRawPath();
        if (uri == null || uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null
                || uri.getRawQuery() != null || uri.getRawFragment() != null
                || path != null && !path.isEmpty() && !path.equals("/")) {
            throw new ConfigException(at(root, "proxy.remoteurl").origin + ": proxy.remoteurl must be the root URL of"
                    + " a registry, http(s)://host[:port] (no path, query or fragment), not '" + url + "'");
        }
        if (password != null && username == null) {
            throw new ConfigException(at(root, "proxy.password").origin + ": proxy.password needs proxy.username");
        }
        Duration ttl = duration(root, "proxy.ttl", Duration.ofHours(168));
        if (ttl.isNegative()) {
            throw new ConfigException(at(root, "proxy.ttl").origin + ": proxy.ttl must not be negative");
        }
        LadingConfig.Exec exec = null;
        ConfigNode execNode = at(root, "proxy.exec");
        if (execNode != null && execNode.value != null) {
            String command = string(root, "proxy.exec.command", null);
            if (command == null || command.isBlank()) {
                throw new ConfigException(execNode.origin + ": proxy.exec needs proxy.exec.command, the credential"
                        + " helper to run");
            }
            if (username != null) {
                throw new ConfigException(execNode.origin + ": proxy.exec and proxy.username are two ways to give"
                        + " upstream credentials; keep one");
            }
            exec = new LadingConfig.Exec(command, duration(root, "proxy.exec.lifetime", null)); // null: run once
        }
        return new LadingConfig.Proxy(java.net.URI.create(url.replaceAll("/+$", "")), username, password, ttl, exec);
    }

    /**
     * http.tls.{certificate,key,clientcas,minimumtls,ciphersuites} and http.http2.disabled; null without a
     * certificate (http.http2 is then ignored, as distribution ignores it without TLS).
     */
    private io.lading.http.TlsSettings tls(ConfigNode root, List<String> warnings) {
        String cert = string(root, "http.tls.certificate", null);
        String key = string(root, "http.tls.key", null);
        List<String> cas = strings(root, "http.tls.clientcas");
        String minimum = string(root, "http.tls.minimumtls", "tls1.2");
        boolean http2 = !bool(root, "http.http2.disabled", false); // read (and checked) with or without TLS
        if (cert == null && key == null) {
            if (!cas.isEmpty()) {
                throw new ConfigException(at(root, "http.tls.clientcas").origin + ": http.tls.clientcas needs"
                        + " http.tls.certificate and http.tls.key");
            }
            return null;
        }
        if (cert == null || key == null) {
            throw new ConfigException(at(root, "http.tls").origin + ": http.tls needs both certificate and key");
        }
        String protocol = switch (minimum.toLowerCase(Locale.ROOT)) {
            case "tls1.2" -> "TLSv1.2";
            case "tls1.3" -> "TLSv1.3";
            case "tls1.0", "tls1.1" -> throw new ConfigException(at(root, "http.tls.minimumtls").origin
                    + ": http.tls.minimumtls " + minimum + " is not offered (the JDK disables TLS below 1.2); use"
                    + " tls1.2 or tls1.3");
            default -> throw new ConfigException(at(root, "http.tls.minimumtls").origin
                    + ": http.tls.minimumtls must be tls1.2 or tls1.3, not '" + minimum + "'");
        };
        List<String[]> files = new ArrayList<>(List.of(new String[]{"http.tls.certificate", cert},
                new String[]{"http.tls.key", key}));
        cas.forEach(ca -> files.add(new String[]{"http.tls.clientcas", ca}));
        for (String[] f : files) {
            if (!java.nio.file.Files.isReadable(Path.of(f[1]))) {
                throw new ConfigException(at(root, f[0]).origin + ": " + f[0] + " " + f[1] + " cannot be read");
            }
        }
        return new io.lading.http.TlsSettings(Path.of(cert), Path.of(key), cas.stream().map(Path::of).toList(),
                protocol, cipherSuites(root, protocol, warnings), http2);
    }

    /** The cipher suites distribution accepts in http.tls.ciphersuites (its configuration reference). */
    private static final Set<String> DISTRIBUTION_SUITES = Set.of(
            "TLS_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA",
            "TLS_RSA_WITH_AES_256_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
            "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");

    /**
     * http.tls.ciphersuites, as distribution reads it: the TLS 1.2 suites offered, by their standard names (the
     * JDK's are the same). TLS 1.3 suites cannot be chosen in Go's crypto/tls, so they stay on, and naming them
     * changes nothing. A name distribution does not know is an error; one it knows that this JDK does not offer
     * (RC4, 3DES) is left out with a warning, so that a distribution config still starts. Empty: the defaults.
     */
    private List<String> cipherSuites(ConfigNode root, String minimum, List<String> warnings) {
        List<String> names = strings(root, "http.tls.ciphersuites");
        if (names.isEmpty()) {
            return List.of();
        }
        String origin = at(root, "http.tls.ciphersuites").origin;
        List<String> offered;
        try {
            offered = List.of(javax.net.ssl.SSLContext.getDefault().getDefaultSSLParameters().getCipherSuites());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new ConfigException(origin + ": http.tls.ciphersuites: the JDK offers no TLS (" + e.getMessage()
                    + ")");
        }
        List<String> suites = new ArrayList<>();
        for (String name : names) {
            if (!DISTRIBUTION_SUITES.contains(name)) {
                throw new ConfigException(origin + ": http.tls.ciphersuites: unknown cipher suite '" + name + "'");
            }
            if (tls13(name)) {
                continue;
            }
            if (offered.contains(name)) {
                suites.add(name);
            } else {
                warnings.add("http.tls.ciphersuites " + name + " (not offered by this JDK; left out)");
            }
        }
        if (suites.isEmpty() && minimum.equals("TLSv1.2")) {
            throw new ConfigException(origin + ": http.tls.ciphersuites leaves no TLS 1.2 cipher suite this JDK"
                    + " offers; name one it does (for example TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) or set"
                    + " http.tls.minimumtls to tls1.3");
        }
        offered.stream().filter(ConfigLoader::tls13).forEach(suites::add);
        return suites;
    }

    private static boolean tls13(String suite) {
        return suite.startsWith("TLS_AES_") || suite.startsWith("TLS_CHACHA20_");
    }

    /**
     * http.prefix without its trailing slash, or "" at the root. Distribution's documentation asks for both
     * slashes ({@code /path/}) and its router works without the trailing one, so both are taken; each segment
     * must be a plain path segment, as the prefix is compared with the raw request path.
     */
    String prefix(ConfigNode root) {
        String value = string(root, "http.prefix", "");
        String trimmed = value.replaceAll("/+$", "");
        if (value.isEmpty() || trimmed.isEmpty() && value.startsWith("/")) {
            return "";
        }
        String problem = null;
        if (!value.startsWith("/")) {
            problem = "must start with /";
        } else {
            for (String segment : trimmed.substring(1).split("/", -1)) {
                if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                    problem = "has an empty, . or .. segment";
                } else if (!segment.matches("[A-Za-z0-9._~!$&'()*+,;=:@-]+")) {
                    problem = "may only hold letters, digits and -._~!$&'()*+,;=:@ between its slashes";
                }
            }
        }
        if (problem != null) {
            throw new ConfigException(at(root, "http.prefix").origin + ": http.prefix " + problem + " (like /path/),"
                    + " not '" + value + "'");
        }
        return trimmed;
    }

    void checkAddress(ConfigNode root, String addr, String key) {
        int colon = addr.lastIndexOf(':');
        boolean ok = colon >= 0;
        if (ok) {
            try {
                int port = Integer.parseInt(addr.substring(colon + 1));
                ok = port >= 0 && port <= 65535;
            } catch (NumberFormatException e) {
                ok = false;
            }
        }
        if (!ok) {
            ConfigNode n = at(root, key);
            throw new ConfigException((n == null ? fileName : n.origin) + ": " + key
                    + " must be host:port or :port, not '" + addr + "'");
        }
    }

    Map<String, List<String>> headers(ConfigNode root) {
        return headers(root, "http.headers");
    }

    Map<String, List<String>> headers(ConfigNode root, String path) {
        ConfigNode n = at(root, path);
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (n == null || n.value == null) {
            return out;
        }
        if (!n.isMap()) {
            throw new ConfigException(n.origin + ": " + path + " must map header names to lists of values");
        }
        markUsedBelow(n, path);
        for (Map.Entry<String, ConfigNode> e : n.map().entrySet()) {
            ConfigNode v = e.getValue();
            List<String> values = new ArrayList<>();
            if (v.isList()) {
                for (ConfigNode item : v.list()) {
                    if (item.scalar() == null) {
                        throw new ConfigException(item.origin + ": " + path + "." + e.getKey() + " values must be strings");
                    }
                    values.add(item.scalar());
                }
            } else if (v.scalar() != null) {
                values.add(v.scalar());
            } else {
                throw new ConfigException(v.origin + ": " + path + "." + e.getKey() + " must be a list of strings");
            }
            out.put(e.getKey(), values);
        }
        return out;
    }

    private Map<String, String> logFields(ConfigNode root) {
        ConfigNode n = at(root, "log.fields");
        Map<String, String> out = new LinkedHashMap<>();
        if (n == null || n.value == null) {
            return out;
        }
        if (!n.isMap()) {
            throw new ConfigException(n.origin + ": log.fields must map field names to values");
        }
        for (Map.Entry<String, ConfigNode> e : n.map().entrySet()) {
            String v = string(root, "log.fields." + e.getKey(), "");
            out.put(e.getKey(), v);
        }
        return out;
    }

    /** The paths of a list of mappings ({@code path.0}, {@code path.1}, ...), each checked for unknown keys. */
    List<String> items(ConfigNode root, String path, Set<String> keys) {
        ConfigNode list = at(root, path);
        List<String> out = new ArrayList<>();
        if (list == null || list.value == null) {
            return out;
        }
        if (!list.isList()) {
            throw new ConfigException(list.origin + ": " + path + " must be a list");
        }
        for (int i = 0; i < list.list().size(); i++) {
            ConfigNode item = list.list().get(i);
            if (!item.isMap()) {
                throw new ConfigException(item.origin + ": " + path + "." + i + " must be a mapping");
            }
            for (Map.Entry<String, ConfigNode> k : item.map().entrySet()) {
                if (!keys.contains(k.getKey())) {
                    throw new ConfigException(k.getValue().origin + ": unknown configuration key " + path + "." + i
                            + "." + k.getKey());
                }
            }
            out.add(path + "." + i);
        }
        return out;
    }

    Duration positive(ConfigNode root, String path, Duration def) {
        Duration d = duration(root, path, def);
        if (d.isZero() || d.isNegative()) {
            throw new ConfigException(at(root, path).origin + ": " + path + " must be greater than 0");
        }
        return d;
    }

    List<String> strings(ConfigNode root, String path) {
        ConfigNode n = at(root, path);
        if (n == null || n.value == null) {
            return List.of();
        }
        if (!n.isList()) {
            throw new ConfigException(n.origin + ": " + path + " must be a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (ConfigNode item : n.list()) {
            if (item.scalar() == null) {
                throw new ConfigException(item.origin + ": " + path + " must be a list of strings");
            }
            out.add(item.scalar());
        }
        markUsedBelow(n, path);
        return out;
    }

    private LadingConfig.Storage storage(ConfigNode root, boolean fromFile, Path dataDir, List<String> warnings) {
        ConfigNode s = at(root, "storage");
        if (s != null && s.scalar() != null && root.isMap()) { // storage: inmemory (a driver without parameters)
            s = driverSection(s.scalar(), s.origin);
            root.map().put("storage", s);
        }
        List<String> drivers = new ArrayList<>();
        if (s != null && s.isMap()) {
            for (String k : s.map().keySet()) {
                if (DRIVERS.contains(k) || OTHER_DRIVERS.contains(k)) {
                    drivers.add(k);
                }
            }
        } else if (s != null && s.value != null) {
            throw new ConfigException(s.origin + ": storage must be a mapping");
        }
        for (String d : drivers) {
            if (OTHER_DRIVERS.contains(d)) {
                throw new ConfigException(at(root, "storage." + d).origin + ": storage." + d + ": the " + d
                        + " storage driver is not available in Lading yet (filesystem, s3, azure and inmemory are)");
            }
        }
        if (drivers.size() > 1) {
            throw new ConfigException(s.origin + ": storage must name exactly one driver, found " + drivers);
        }
        String driver = drivers.isEmpty() ? "filesystem" : drivers.get(0);
        if (fromFile && drivers.isEmpty() && dataDir == null) {
            throw new ConfigException(fileName + ": storage must name a driver (storage.filesystem.rootdirectory)");
        }
        Path rootDir = null;
        io.lading.storage.s3.S3Settings s3 = null;
        io.lading.storage.azure.AzureSettings azure = null;
        if (driver.equals("s3") || driver.equals("azure")) {
            if (driver.equals("s3")) {
                s3 = S3Config.s3(this, root, warnings);
            } else {
                azure = AzureConfig.azure(this, root);
            }
            rootDir = dataDir != null ? dataDir : Path.of("data"); // the metadata database and keys, on local disk
        } else if (driver.equals("filesystem")) {
            at(root, "storage.filesystem");
            String dir = string(root, "storage.filesystem.rootdirectory", "/var/lib/registry");
            rootDir = dataDir != null ? dataDir : fromFile || drivers.contains("filesystem") ? Path.of(dir) : Path.of("data");
        } else {
            at(root, "storage.inmemory");
            markUsedBelow(at(root, "storage.inmemory"), "storage.inmemory");
        }
        boolean delete = bool(root, "storage.delete.enabled", false);
        boolean readOnly = bool(root, "storage.maintenance.readonly.enabled", false);
        RegistryOptions.UploadPurging defaults = RegistryOptions.UploadPurging.defaults();
        RegistryOptions.UploadPurging purging = new RegistryOptions.UploadPurging(
                bool(root, "storage.maintenance.uploadpurging.enabled", defaults.enabled()),
                duration(root, "storage.maintenance.uploadpurging.age", defaults.age()),
                duration(root, "storage.maintenance.uploadpurging.interval", defaults.interval()),
                bool(root, "storage.maintenance.uploadpurging.dryrun", defaults.dryRun()));
        if (purging.enabled() && purging.interval().isZero()) {
            throw new ConfigException(at(root, "storage.maintenance.uploadpurging.interval").origin
                    + ": storage.maintenance.uploadpurging.interval must be greater than 0");
        }
        boolean redirectDisabled = bool(root, "storage.redirect.disable", false);
        return new LadingConfig.Storage(driver, rootDir, delete, readOnly, purging, redirectDisabled, s3, azure);
    }

    private LadingConfig.Validation validation(ConfigNode root) {
        RegistryOptions.IndexValidation mode = choice(root, "validation.manifests.indexes.platforms",
                RegistryOptions.IndexValidation.class, RegistryOptions.IndexValidation.ALL);
        List<Descriptor.Platform> platforms = new ArrayList<>();
        ConfigNode list = at(root, "validation.manifests.indexes.platformlist");
        if (list != null && list.value != null) {
            if (!list.isList()) {
                throw new ConfigException(list.origin + ": validation.manifests.indexes.platformlist must be a list");
            }
            markUsedBelow(list, "validation.manifests.indexes.platformlist");
            for (ConfigNode item : list.list()) {
                if (!item.isMap() || item.map().get("os") == null || item.map().get("architecture") == null
                        || item.map().get("os").scalar() == null || item.map().get("architecture").scalar() == null) {
                    throw new ConfigException(item.origin + ": each platformlist entry needs os and architecture");
                }
                platforms.add(new Descriptor.Platform(item.map().get("os").scalar(),
                        item.map().get("architecture").scalar(), null));
            }
        }
        if (mode == RegistryOptions.IndexValidation.LIST && platforms.isEmpty()) {
            throw new ConfigException(at(root, "validation.manifests.indexes.platforms").origin
                    + ": validation.manifests.indexes.platforms is list but platformlist is empty");
        }
        java.util.regex.Pattern allow = patterns(root, "validation.manifests.urls.allow");
        java.util.regex.Pattern deny = patterns(root, "validation.manifests.urls.deny");
        // validation.disabled turns the other options off; validation.enabled is its deprecated opposite.
        boolean disabled = bool(root, "validation.disabled", false) || !bool(root, "validation.enabled", true);
        if (disabled) {
            return new LadingConfig.Validation(RegistryOptions.IndexValidation.NONE, List.of(),
                    RegistryOptions.ManifestUrls.UNCHECKED);
        }
        return new LadingConfig.Validation(mode, platforms, new RegistryOptions.ManifestUrls(true, allow, deny));
    }

    /** A list of regular expressions, as one that matches where any of them does; null when the list is unset. */
    private java.util.regex.Pattern patterns(ConfigNode root, String path) {
        List<String> list = strings(root, path);
        if (list.isEmpty()) {
            return null;
        }
        List<String> groups = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            try {
                java.util.regex.Pattern.compile(list.get(i));
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new ConfigException(at(root, path + "." + i).origin + ": " + path + ": '" + list.get(i)
                        + "' is not a regular expression (" + e.getDescription() + ")");
            }
            groups.add("(?:" + list.get(i) + ")");
        }
        return java.util.regex.Pattern.compile(String.join("|", groups));
    }

    private void markUsedBelow(ConfigNode node, String path) {
        if (node == null) {
            return;
        }
        used.add(path);
        if (node.isMap()) {
            node.map().forEach((k, v) -> markUsedBelow(v, path + "." + k));
        } else if (node.isList()) {
            for (int i = 0; i < node.list().size(); i++) {
                markUsedBelow(node.list().get(i), path + "." + i);
            }
        }
    }

    /** Every key not read above: a warning when distribution knows it, an error when nobody does. */
    private void collectUnknown(ConfigNode node, String path, List<String> warnings) {
        if (!node.isMap()) {
            return;
        }
        for (Map.Entry<String, ConfigNode> e : node.map().entrySet()) {
            String key = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            boolean usedHere = used.contains(key);
            boolean usedBelow = used.stream().anyMatch(u -> u.startsWith(key + "."));
            if (usedHere || usedBelow) {
                collectUnknown(e.getValue(), key, warnings);
                continue;
            }
            if (KNOWN_UNIMPLEMENTED.stream().anyMatch(k -> key.equals(k) || key.startsWith(k + "."))) {
                warnings.add(key);
                continue;
            }
            throw new ConfigException(e.getValue().origin + ": unknown configuration key " + key);
        }
    }
}
