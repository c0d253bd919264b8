package io.lading.cli.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** health.* as distribution reads it, read by {@link ConfigLoader}. */
final class HealthConfig {
    private static final Duration CHECK_INTERVAL = Duration.ofSeconds(10);

    private HealthConfig() {
    }

    /** health.* as distribution reads it (intervals 10 s, threshold 1 unless given). */
    static LadingConfig.HealthChecks health(ConfigLoader c, ConfigNode root) {
        LadingConfig.Periodic storage = null;
        if (c.bool(root, "health.storagedriver.enabled", false)) {
            storage = new LadingConfig.Periodic(c.positive(root, "health.storagedriver.interval", CHECK_INTERVAL),
                    c.smallInteger(root, "health.storagedriver.threshold", 1, 1));
        }
        List<LadingConfig.FileCheck> files = new ArrayList<>();
        for (String p : c.items(root, "health.file", Set.of("file", "interval"))) {
            String file = c.string(root, p + ".file", null);
            if (file == null) {
                throw new ConfigException(c.at(root, p).origin + ": " + p + ".file is required");
            }
            files.add(new LadingConfig.FileCheck(Path.of(file), c.positive(root, p + ".interval", CHECK_INTERVAL)));
        }
        List<LadingConfig.HttpCheck> https = new ArrayList<>();
        for (String p : c.items(root, "health.http", Set.of("uri", "headers", "statuscode", "timeout", "interval",
                "threshold"))) {
            String uri = c.string(root, p + ".uri", null);
            if (uri == null || !uri.matches("https?://.+")) {
                throw new ConfigException(c.at(root, p).origin + ": " + p + ".uri must be an http(s) URL");
            }
            https.add(new LadingConfig.HttpCheck(java.net.URI.create(uri), c.headers(root, p + ".headers"),
                    c.smallInteger(root, p + ".statuscode", 200, 100), c.positive(root, p + ".timeout",
                    Duration.ofSeconds(3)), c.positive(root, p + ".interval", CHECK_INTERVAL),
                    c.smallInteger(root, p + ".threshold", 1, 1)));
        }
        List<LadingConfig.TcpCheck> tcps = new ArrayList<>();
        for (String p : c.items(root, "health.tcp", Set.of("addr", "timeout", "interval", "threshold"))) {
            String addr = c.string(root, p + ".addr", null);
            if (addr == null) {
                throw new ConfigException(c.at(root, p).origin + ": " + p + ".addr is required");
            }
            c.checkAddress(root, addr, p + ".addr");
            tcps.add(new LadingConfig.TcpCheck(addr, c.positive(root, p + ".timeout", Duration.ofSeconds(3)),
                    c.positive(root, p + ".interval", CHECK_INTERVAL), c.smallInteger(root, p + ".threshold", 1, 1)));
        }
        return new LadingConfig.HealthChecks(storage, files, https, tcps);
    }

}
