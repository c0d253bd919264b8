package io.lading.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lading.http.DebugServer;
import io.lading.metadata.MetadataStore;
import io.lading.storage.PathNotFoundException;
import io.lading.storage.StorageDriver;

/**
 * {@code /debug/health} on the debug listener: checks, on each request, that the storage driver answers (a stat
 * of its root) and that the metadata store answers (a one-row query). 200 with {@code "ok"} for each when both
 * do, 503 naming what failed otherwise. {@code GET /v2/} stays a constant answer that checks nothing.
 */
final class Health {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StorageDriver storage;
    private final MetadataStore metadata;

    Health(StorageDriver storage, MetadataStore metadata) {
        this.storage = storage;
        this.metadata = metadata;
    }

    DebugServer.Rendered render() {
        ObjectNode out = JSON.createObjectNode();
        boolean ok = check(out, "storage", () -> {
            try {
                storage.stat("/");
            } catch (PathNotFoundException e) {
                // an empty store has no root entry yet; the driver answered
            }
        });
        ok &= check(out, "metadata", metadata::ping);
        return new DebugServer.Rendered(ok ? 200 : 503, out.toString());
    }

    private interface Check {
        void run() throws Exception;
    }

    private static boolean check(ObjectNode out, String name, Check check) {
        try {
            check.run();
            out.put(name, "ok");
            return true;
        } catch (Exception e) {
            out.put(name, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            return false;
        }
    }
}
