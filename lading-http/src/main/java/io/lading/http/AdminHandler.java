package io.lading.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lading.core.ErrorCode;
import io.lading.core.RegistryException;
import io.lading.core.RepositoryName;
import io.lading.metadata.GcRunRecord;
import io.lading.metadata.Usage;
import io.lading.registry.MaintenanceService;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /lading/v1}: Lading's own JSON API for operators.
 * <pre>
 *   GET  /lading/v1/readonly                      {"readOnly": false}
 *   PUT  /lading/v1/readonly   {"readOnly": true} switches read-only mode at runtime
 *   GET  /lading/v1/gc                            {"running": false, "last": {...}}
 *   POST /lading/v1/gc[?dryRun=true][&amp;deleteUntagged=true]   starts a collection (202), 409 if one runs
 *   GET  /lading/v1/usage                         storage used by the registry
 *   GET  /lading/v1/usage/&lt;repository&gt;            storage used by one repository
 * </pre>
 * Only clients on the loopback interface may call it (403 DENIED otherwise), and with htpasswd on they need
 * credentials like every other path; a proper admin grant comes with access rules.
 */
public final class AdminHandler extends Handler.Abstract {
    static final String PREFIX = "/lading/v1/";
    private static final Logger ACCESS = LoggerFactory.getLogger("io.lading.access");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 4096;

    private final MaintenanceService maintenance;

    public AdminHandler(MaintenanceService maintenance) {
        this.maintenance = maintenance;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String method = request.getMethod();
        String path = request.getHttpURI().getPath();
        try {
            if (!fromLoopback(request)) {
                throw new RegistryException(ErrorCode.DENIED, "the admin API only answers clients on this host"
                        + " until authentication is configured");
            }
            Fields query = Request.extractQueryParameters(request);
            JsonNode body = dispatch(request, method, path.substring(PREFIX.length()), query);
            int status = method.equals("POST") ? 202 : 200;
            HttpOut.json(response, status, JSON.writeValueAsBytes(body), false);
        } catch (Throwable failure) {
            ErrorResponses.Rendered r = failure instanceof IllegalArgumentException iae
                    ? new ErrorResponses.Rendered(400, ErrorResponses.body(ErrorCode.UNSUPPORTED, iae.getMessage(), null))
                    : ErrorResponses.render(failure, method, path);
            HttpOut.error(request, response, r.status(), r.body());
        }
        callback.succeeded();
        ACCESS.info("{} {} {} {}", Request.getRemoteAddr(request), method, path, response.getStatus());
        return true;
    }

    private static boolean fromLoopback(Request request) {
        SocketAddress remote = request.getConnectionMetaData().getRemoteSocketAddress();
        if (remote instanceof InetSocketAddress inet) {
            InetAddress a = inet.getAddress();
            return a != null && a.isLoopbackAddress();
        }
        return false;
    }

    private JsonNode dispatch(Request request, String method, String rest, Fields query) throws IOException {
        switch (rest) {
            case "readonly" -> {
                if (method.equals("PUT")) {
                    JsonNode in = readBody(request);
                    JsonNode flag = in.get("readOnly");
                    if (flag == null || !flag.isBoolean()) {
                        throw new IllegalArgumentException("body must be {\"readOnly\": true|false}");
                    }
                    maintenance.setReadOnly(flag.booleanValue());
                } else if (!method.equals("GET")) {
                    throw notAllowed(method);
                }
                return JSON.createObjectNode().put("readOnly", maintenance.readOnly());
            }
            case "gc" -> {
                if (method.equals("POST")) {
                    boolean dryRun = bool(query, "dryRun");
                    Boolean deleteUntagged = query.getValue("deleteUntagged") == null ? null : bool(query, "deleteUntagged");
                    if (!maintenance.startGc(dryRun, deleteUntagged)) {
                        throw new RegistryException(ErrorCode.CONFLICT, "a garbage collection is already running");
                    }
                    return JSON.createObjectNode().put("started", true).put("dryRun", dryRun);
                }
                if (!method.equals("GET")) {
                    throw notAllowed(method);
                }
                MaintenanceService.GcStatus status = maintenance.gcStatus();
                ObjectNode out = JSON.createObjectNode().put("running", status.running());
                MaintenanceService.GcSettings s = maintenance.gcSettings();
                out.putObject("settings").put("enabled", s.enabled()).put("interval", s.interval().toString())
                        .put("grace", s.grace().toString()).put("deleteUntagged", s.deleteUntagged());
                out.set("last", status.last().map(AdminHandler::run).orElse(JSON.nullNode()));
                return out;
            }
            case "usage" -> {
                requireGet(method);
                return usage(maintenance.usage(), false);
            }
            default -> {
                if (rest.startsWith("usage/")) {
                    requireGet(method);
                    String name = rest.substring("usage/".length());
                    if (!RepositoryName.isValid(name)) {
                        throw new RegistryException(ErrorCode.NAME_INVALID, "invalid repository name");
                    }
                    ObjectNode out = usage(maintenance.usage(RepositoryName.of(name)), true);
                    out.put("repository", name);
                    return out;
                }
                throw new RegistryException(ErrorCode.NAME_UNKNOWN, "no such admin endpoint: /lading/v1/" + rest);
            }
        }
    }

    private static ObjectNode usage(Usage u, boolean repository) {
        ObjectNode out = JSON.createObjectNode().put("blobs", u.blobs()).put("bytes", u.bytes());
        if (repository) {
            out.put("uniqueBlobs", u.uniqueBlobs()).put("uniqueBytes", u.uniqueBytes());
        }
        return out;
    }

    private static JsonNode run(GcRunRecord r) {
        ObjectNode out = JSON.createObjectNode().put("id", r.id()).put("started", r.started().toString());
        out.put("finished", r.finished() == null ? null : r.finished().toString());
        out.put("dryRun", r.dryRun()).put("manifestsDeleted", r.manifestsDeleted())
                .put("linksRemoved", r.linksRemoved()).put("blobsDeleted", r.blobsDeleted())
                .put("bytesReclaimed", r.bytesReclaimed()).put("error", r.error());
        return out;
    }

    private static boolean bool(Fields query, String name) {
        String v = query.getValue(name);
        if (v == null) {
            return false;
        }
        return switch (v) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw new IllegalArgumentException(name + " must be true or false, not '" + v + "'");
        };
    }

    private static JsonNode readBody(Request request) throws IOException {
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] bytes = in.readNBytes(MAX_BODY + 1);
            if (bytes.length > MAX_BODY) {
                throw new IllegalArgumentException("body larger than " + MAX_BODY + " bytes");
            }
            try {
                JsonNode node = JSON.readTree(bytes);
                if (node == null || !node.isObject()) {
                    throw new IllegalArgumentException("body must be a JSON object");
                }
                return node;
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException("body is not valid JSON: " + e.getOriginalMessage());
            }
        }
    }

    private static void requireGet(String method) {
        if (!method.equals("GET")) {
            throw notAllowed(method);
        }
    }

    private static RegistryException notAllowed(String method) {
        return new RegistryException(ErrorCode.UNSUPPORTED, "method " + method + " is not allowed here");
    }
}
