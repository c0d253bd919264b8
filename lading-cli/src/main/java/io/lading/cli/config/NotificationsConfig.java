package io.lading.cli.config;

import io.lading.registry.events.Endpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** notifications.endpoints (distribution's keys) and lading.notifications (Lading's additions), read by {@link ConfigLoader}. */
final class NotificationsConfig {
    private static final Set<String> ENDPOINT_KEYS = Set.of("name", "disabled", "url", "headers", "timeout",
            "threshold", "backoff", "ignoredmediatypes", "ignore");
    private static final Set<String> ACTIONS = Set.of("push", "pull", "delete", "mount");

    private NotificationsConfig() {
    }

    /** notifications.endpoints (distribution's keys) with lading.notifications.* (Lading's additions). */
    static List<Endpoint> notificationEndpoints(ConfigLoader c, ConfigNode root) {
        Duration deadLetterAfter = c.duration(root, "lading.notifications.deadletterafter", Duration.ofHours(24));
        Duration maxBackoff = c.duration(root, "lading.notifications.maxbackoff", Duration.ofMinutes(5));
        ConfigNode list = c.at(root, "notifications.endpoints");
        List<Endpoint> out = new ArrayList<>();
        if (list == null || list.value == null) {
            ConfigNode extra = c.at(root, "lading.notifications.endpoints");
            if (extra != null && extra.isMap() && !extra.map().isEmpty()) {
                throw new ConfigException(extra.origin + ": lading.notifications.endpoints names endpoints that"
                        + " notifications.endpoints does not have: " + extra.map().keySet());
            }
            return out;
        }
        if (!list.isList()) {
            throw new ConfigException(list.origin + ": notifications.endpoints must be a list of endpoints");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < list.list().size(); i++) {
            String p = "notifications.endpoints." + i;
            ConfigNode item = list.list().get(i);
            if (!item.isMap()) {
                throw new ConfigException(item.origin + ": " + p + " must be a mapping (name, url, timeout, ...)");
            }
            for (Map.Entry<String, ConfigNode> k : item.map().entrySet()) {
                if (!ENDPOINT_KEYS.contains(k.getKey())) {
                    throw new ConfigException(k.getValue().origin + ": unknown configuration key " + p + "."
                            + k.getKey());
                }
            }
            String name = c.string(root, p + ".name", null);
            if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new ConfigException(item.origin + ": " + p + ".name is required: letters, digits, '.', '_'"
                        + " or '-' (it names the endpoint in the admin API)" + (name == null ? "" : ", not '" + name + "'"));
            }
            if (!names.add(name)) {
                throw new ConfigException(c.at(root, p + ".name").origin + ": " + p + ".name '" + name
                        + "' is used by another endpoint");
            }
            String url = c.string(root, p + ".url", null);
            java.net.URI uri = null;
            try {
                uri = url == null ? null : new java.net.URI(url);
            } catch (java.net.URISyntaxException e) {
                // reported below
            }
            if (uri == null || uri.getHost() == null
                    || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw new ConfigException((url == null ? item.origin : c.at(root, p + ".url").origin) + ": " + p
                        + ".url must be an absolute http(s) URL" + (url == null ? "" : ", not '" + url + "'"));
            }
            Duration timeout = c.duration(root, p + ".timeout", Duration.ofSeconds(1));
            Duration backoff = c.duration(root, p + ".backoff", Duration.ofSeconds(1));
            if (timeout.isZero() || backoff.isZero()) {
                throw new ConfigException(c.at(root, p + (timeout.isZero() ? ".timeout" : ".backoff")).origin + ": " + p
                        + (timeout.isZero() ? ".timeout" : ".backoff") + " must be greater than 0");
            }
            Set<String> mediaTypes = new java.util.LinkedHashSet<>(c.strings(root, p + ".ignoredmediatypes"));
            mediaTypes.addAll(c.strings(root, p + ".ignore.mediatypes"));
            Set<String> actions = new java.util.LinkedHashSet<>(c.strings(root, p + ".ignore.actions"));
            for (String a : actions) {
                if (!ACTIONS.contains(a)) {
                    throw new ConfigException(c.at(root, p + ".ignore.actions").origin + ": " + p + ".ignore.actions"
                            + " may hold push, pull, delete and mount, not '" + a + "'");
                }
            }
            String extra = "lading.notifications.endpoints." + name;
            Endpoint.Format format = c.choice(root, extra + ".format", Endpoint.Format.class, Endpoint.Format.DISTRIBUTION);
            int maxBatch = c.smallInteger(root, extra + ".maxbatch",
                    format == Endpoint.Format.CLOUDEVENTS ? 1 : 16, 1);
            if (maxBatch > 1000) {
                throw new ConfigException(c.at(root, extra + ".maxbatch").origin + ": " + extra
                        + ".maxbatch must be at most 1000");
            }
            Map<String, List<String>> endpointHeaders = c.headers(root, p + ".headers");
            for (String h : endpointHeaders.keySet()) {
                if (Set.of("connection", "content-length", "expect", "host", "upgrade")
                        .contains(h.toLowerCase(Locale.ROOT))) {
                    throw new ConfigException(c.at(root, p + ".headers." + h).origin + ": " + p + ".headers." + h
                            + ": this header is set by the HTTP client and cannot be configured");
                }
            }
            out.add(new Endpoint(name, uri, endpointHeaders, timeout,
                    c.smallInteger(root, p + ".threshold", 10, 1), backoff, mediaTypes, actions,
                    c.bool(root, p + ".disabled", false), format, maxBatch, deadLetterAfter,
                    maxBackoff.compareTo(backoff) < 0 ? backoff : maxBackoff));
        }
        ConfigNode extra = c.at(root, "lading.notifications.endpoints");
        if (extra != null && extra.isMap()) {
            for (Map.Entry<String, ConfigNode> e : extra.map().entrySet()) {
                if (!names.contains(e.getKey())) {
                    throw new ConfigException(e.getValue().origin + ": lading.notifications.endpoints." + e.getKey()
                            + " names no endpoint of notifications.endpoints");
                }
            }
        }
        return out;
    }

}
