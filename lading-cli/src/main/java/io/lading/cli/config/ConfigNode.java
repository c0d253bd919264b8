package io.lading.cli.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One value of the configuration tree with where it came from, so errors can name the file and line (or the
 * environment variable). A node is a mapping, a sequence or a scalar (kept as text; typed when read).
 */
final class ConfigNode {
    final Object value; // Map<String, ConfigNode> | List<ConfigNode> | String | null
    final String origin; // "config.yml line 12" or "environment variable REGISTRY_HTTP_ADDR"

    ConfigNode(Object value, String origin) {
        this.value = value;
        this.origin = origin;
    }

    static ConfigNode emptyMap(String origin) {
        return new ConfigNode(new LinkedHashMap<String, ConfigNode>(), origin);
    }

    boolean isMap() {
        return value instanceof Map;
    }

    boolean isList() {
        return value instanceof List;
    }

    @SuppressWarnings("unchecked")
    Map<String, ConfigNode> map() {
        return (Map<String, ConfigNode>) value;
    }

    @SuppressWarnings("unchecked")
    List<ConfigNode> list() {
        return (List<ConfigNode>) value;
    }

    String scalar() {
        return value instanceof String s ? s : null;
    }
}
