package io.lading.registry.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lading.core.Descriptor;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.TreeMap;

/**
 * One registry event in distribution's format (../shared/specs/docker/about-notifications.md), so that existing
 * receivers work unchanged.
 *
 * @param id     stable across delivery attempts: receivers deduplicate on it
 * @param action push, pull, delete or mount
 */
public record Event(String id, Instant timestamp, String action, Target target, RequestInfo request,
                    Source source) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static final String PUSH = "push";
    public static final String PULL = "pull";
    public static final String DELETE = "delete";
    public static final String MOUNT = "mount";

    /**
     * What the event is about. Delete events carry only digest (or tag) and repository, as distribution's do.
     *
     * @param mediaType      null for deletes
     * @param size           -1 when not reported
     * @param fromRepository the source of a mount, or null
     * @param references     what a manifest references, with notifications.events.includereferences (distribution
     *                       3): an image's config and layers, an index's manifests; empty otherwise, never null
     */
    public record Target(String mediaType, long size, String digest, String repository, String url, String tag,
                         String fromRepository, List<Descriptor> references) {
        public Target {
            references = references == null ? List.of() : List.copyOf(references);
        }
    }

    /** The registry node that generated the event. */
    public record Source(String addr, String instanceId) {
    }

    /** The event as distribution's JSON object (one element of an envelope's {@code events}). */
    public ObjectNode toJson() {
        ObjectNode e = JSON.createObjectNode();
        e.put("id", id);
        e.put("timestamp", DateTimeFormatter.ISO_INSTANT.format(timestamp));
        e.put("action", action);
        ObjectNode t = e.putObject("target");
        putIfSet(t, "mediaType", target.mediaType());
        if (target.size() >= 0) {
            t.put("size", target.size());
            t.put("length", target.size());
        }
        putIfSet(t, "digest", target.digest());
        t.put("repository", target.repository());
        putIfSet(t, "fromRepository", target.fromRepository());
        putIfSet(t, "url", target.url());
        putIfSet(t, "tag", target.tag());
        if (!target.references().isEmpty()) {
            ArrayNode refs = t.putArray("references");
            target.references().forEach(d -> refs.add(descriptor(d)));
        }
        ObjectNode r = e.putObject("request");
        r.put("id", request.id());
        r.put("addr", request.addr());
        r.put("host", request.host());
        r.put("method", request.method());
        r.put("useragent", request.userAgent());
        ObjectNode a = e.putObject("actor");
        putIfSet(a, "name", request.actor());
        ObjectNode s = e.putObject("source");
        s.put("addr", source.addr());
        s.put("instanceID", source.instanceId());
        return e;
    }

    /** A descriptor as distribution writes one: mediaType, digest, size, then what it has of the rest. */
    private static ObjectNode descriptor(Descriptor d) {
        ObjectNode o = JSON.createObjectNode();
        putIfSet(o, "mediaType", d.mediaType());
        o.put("digest", d.digest().toString());
        o.put("size", d.size());
        if (!d.urls().isEmpty()) {
            d.urls().forEach(o.putArray("urls")::add);
        }
        if (!d.annotations().isEmpty()) {
            ObjectNode a = o.putObject("annotations");
            new TreeMap<>(d.annotations()).forEach(a::put);
        }
        if (d.platform() != null) {
            ObjectNode p = o.putObject("platform");
            putIfSet(p, "architecture", d.platform().architecture());
            putIfSet(p, "os", d.platform().os());
            putIfSet(p, "variant", d.platform().variant());
        }
        putIfSet(o, "artifactType", d.artifactType());
        return o;
    }

    private static void putIfSet(ObjectNode node, String key, String value) {
        if (value != null && !value.isEmpty()) {
            node.put(key, value);
        }
    }
}
