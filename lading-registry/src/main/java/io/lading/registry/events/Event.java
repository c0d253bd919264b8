package io.lading.registry.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeFormatter;

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
     */
    public record Target(String mediaType, long size, String digest, String repository, String url, String tag,
                         String fromRepository) {
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

    private static void putIfSet(ObjectNode node, String key, String value) {
        if (value != null && !value.isEmpty()) {
            node.put(key, value);
        }
    }
}
