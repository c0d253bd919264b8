package io.lading.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lading.core.ByteSize;
import io.lading.core.ErrorCode;
import io.lading.core.JsonProblems;
import io.lading.core.RegistryException;
import io.lading.core.RepositoryName;
import io.lading.metadata.BlobUse;
import io.lading.metadata.DeadLetter;
import io.lading.metadata.GcRunRecord;
import io.lading.metadata.Usage;
import io.lading.registry.ContentCheck;
import io.lading.registry.MaintenanceService;
import io.lading.registry.events.Notifier;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * {@code /lading/v1}: Lading's own JSON API for operators.
 * <pre>
 *   GET  /lading/v1/readonly                      {"readOnly": false}
 *   PUT  /lading/v1/readonly   {"readOnly": true} switches read-only mode at runtime
 *   GET  /lading/v1/gc                            {"running": false, "last": {...}}
 *   POST /lading/v1/gc[?dryRun=true][&amp;deleteUntagged=true]   starts a collection (202), 409 if one runs
 *   GET  /lading/v1/check                         {"running": false, "progress": null, "last": {...findings}}
 *   POST /lading/v1/check[?verify=true][&amp;quarantine=true]  starts a content check (202), 409 if one runs
 *   GET  /lading/v1/usage                         storage used by the registry
 *   GET  /lading/v1/usage/&lt;repository&gt;            storage used by one repository
 *   GET  /lading/v1/notifications                 endpoints: backlog, dead letters, failures
 *   GET  /lading/v1/notifications/&lt;endpoint&gt;/deadletters[?last=&lt;seq&gt;][&amp;n=100]   a page of dead letters
 *   POST /lading/v1/notifications/&lt;endpoint&gt;/deadletters/replay[?seq=&lt;seq&gt;...]  requeues them (all without seq)
 * </pre>
 * Without access rules only clients on the loopback interface may call it (403 DENIED otherwise; with
 * authentication on they need credentials like every other path); with access rules ({@code lading.auth.acl}),
 * whoever a rule grants {@code admin: true}, from anywhere.
 */
public final class AdminHandler extends Handler.Abstract {
    static final String PREFIX = "/lading/v1/";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 4096;

    private static final int MAX_PAGE = 1000;

    private final MaintenanceService maintenance;
    private final Notifier notifier;
    private final boolean explicitRules;

    public AdminHandler(MaintenanceService maintenance) {
        this(maintenance, Notifier.none());
    }

    public AdminHandler(MaintenanceService maintenance, Notifier notifier) {
        this(maintenance, notifier, false);
    }

    /**
     * @param explicitRules access rules are configured: then the admin API answers whoever they grant
     *                      {@code registry:admin:*}, from anywhere, and nobody else; otherwise loopback clients
     */
    public AdminHandler(MaintenanceService maintenance, Notifier notifier, boolean explicitRules) {
        this.maintenance = maintenance;
        this.notifier = notifier;
        this.explicitRules = explicitRules;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String method = request.getMethod();
        String path = request.getHttpURI().getPath();
        try {
            if (!AuthGate.adminGranted(request) && !(fromLoopback(request) && !explicitRules)) {
                throw new RegistryException(ErrorCode.DENIED, explicitRules ? "the admin API needs the admin grant"
                        + " (an access rule with admin: true)" : "the admin API only answers clients on this host"
                        + " until access rules grant it");
            }
            Fields query = Request.extractQueryParameters(request);
            String rest = path.substring(PREFIX.length());
            JsonNode body = dispatch(request, method, rest, query);
            // A collection or a check runs on after the reply.
            int status = method.equals("POST") && (rest.equals("gc") || rest.equals("check")) ? 202 : 200;
            HttpOut.json(response, status, JSON.writeValueAsBytes(body), false);
        } catch (Throwable failure) {
            ErrorResponses.Rendered r = failure instanceof IllegalArgumentException iae
                    ? new ErrorResponses.Rendered(400, ErrorResponses.body(ErrorCode.UNSUPPORTED, iae.getMessage(), null))
                    : ErrorResponses.render(failure, method, path);
            if (failure instanceof MethodNotAllowed m) {
                response.getHeaders().put(HttpHeader.ALLOW, m.allow);
            }
            HttpOut.error(request, response, r.status(), r.body());
        }
        callback.succeeded();
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
                } else {
                    require(method, "GET", "GET, PUT");
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
                require(method, "GET", "GET, POST");
                MaintenanceService.GcStatus status = maintenance.gcStatus();
                ObjectNode out = JSON.createObjectNode().put("running", status.running());
                MaintenanceService.GcSettings s = maintenance.gcSettings();
                out.putObject("settings").put("enabled", s.enabled()).put("interval", s.interval().toString())
                        .put("grace", s.grace().toString()).put("deleteUntagged", s.deleteUntagged());
                out.set("last", status.last().map(AdminHandler::run).orElse(JSON.nullNode()));
                return out;
            }
            case "check" -> {
                if (method.equals("POST")) {
                    String rate = query.getValue("verifyRate");
                    ContentCheck.Options o = new ContentCheck.Options(bool(query, "verify"), bool(query, "quarantine"),
                            rate == null ? maintenance.checkSettings().verifyRate() : size("verifyRate", rate));
                    if (!maintenance.startCheck(o)) {
                        throw new RegistryException(ErrorCode.CONFLICT, "a content check is already running");
                    }
                    return JSON.createObjectNode().put("started", true).put("verify", o.verify())
                            .put("quarantine", o.quarantine()).put("verifyRate", o.verifyRate());
                }
                require(method, "GET", "GET, POST");
                MaintenanceService.CheckStatus status = maintenance.checkStatus();
                ObjectNode out = JSON.createObjectNode().put("running", status.running().isPresent());
                MaintenanceService.CheckSettings s = maintenance.checkSettings();
                out.putObject("settings").put("enabled", s.enabled()).put("interval", s.interval().toString())
                        .put("verify", s.verify()).put("quarantine", s.quarantine())
                        .put("verifyRate", s.verifyRate());
                out.set("progress", status.running().<JsonNode>map(p -> JSON.createObjectNode()
                        .put("blobs", p.blobs()).put("totalBlobs", p.totalBlobs()).put("bytes", p.bytes())
                        .put("totalBytes", p.totalBytes()).put("problems", p.problems())).orElse(JSON.nullNode()));
                out.set("last", status.last().map(AdminHandler::check).orElse(JSON.nullNode()));
                out.put("lastFailure", status.failure().orElse(null));
                return out;
            }
            case "usage" -> {
                requireGet(method);
                return usage(maintenance.usage(), false);
            }
            case "notifications" -> {
                requireGet(method);
                return notifications();
            }
            default -> {
                if (rest.startsWith("notifications/")) {
                    return deadLetters(method, rest.substring("notifications/".length()), query);
                }
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

    private JsonNode notifications() {
        ObjectNode out = JSON.createObjectNode();
        var arr = out.putArray("endpoints");
        for (Notifier.EndpointStatus s : notifier.status()) {
            arr.addObject().put("name", s.name()).put("url", s.url()).put("configured", s.configured())
                    .put("disabled", s.disabled()).put("backlog", s.backlog()).put("deadLetters", s.deadLetters())
                    .put("consecutiveFailures", s.consecutiveFailures()).put("lastError", s.lastError());
        }
        return out;
    }

    /** {@code <endpoint>/deadletters} and {@code <endpoint>/deadletters/replay}. */
    private JsonNode deadLetters(String method, String rest, Fields query) throws IOException {
        boolean replay = rest.endsWith("/deadletters/replay");
        String endpoint = replay ? rest.substring(0, rest.length() - "/deadletters/replay".length())
                : rest.endsWith("/deadletters") ? rest.substring(0, rest.length() - "/deadletters".length()) : null;
        if (endpoint == null || endpoint.isEmpty() || endpoint.contains("/")) {
            throw new RegistryException(ErrorCode.NAME_UNKNOWN, "no such admin endpoint: /lading/v1/notifications/"
                    + rest);
        }
        if (!notifier.knows(endpoint)) {
            throw new RegistryException(ErrorCode.NAME_UNKNOWN, "no notification endpoint named '" + endpoint + "'");
        }
        if (replay) {
            require(method, "POST", "POST");
            List<Long> seqs = new ArrayList<>();
            for (String v : query.getValuesOrEmpty("seq")) {
                seqs.add(number(v, "seq"));
            }
            return JSON.createObjectNode().put("endpoint", endpoint).put("replayed", notifier.replay(endpoint, seqs));
        }
        requireGet(method);
        long after = query.getValue("last") == null ? 0 : number(query.getValue("last"), "last");
        long n = query.getValue("n") == null ? 100 : number(query.getValue("n"), "n");
        if (n < 1 || n > MAX_PAGE) {
            throw new IllegalArgumentException("n must be between 1 and " + MAX_PAGE);
        }
        List<DeadLetter> page = notifier.deadLetters(endpoint, after, (int) n);
        ObjectNode out = JSON.createObjectNode().put("endpoint", endpoint);
        var arr = out.putArray("deadLetters");
        for (DeadLetter l : page) {
            ObjectNode o = arr.addObject().put("seq", l.event().seq()).put("id", l.event().id())
                    .put("repository", l.event().repository()).put("action", l.event().action())
                    .put("createdAt", l.event().createdAt().toString()).put("deadAt", l.deadAt().toString())
                    .put("failures", l.failures()).put("error", l.error());
            o.set("event", JSON.readTree(l.event().payload()));
        }
        out.put("next", page.size() == n ? page.get(page.size() - 1).event().seq() : null);
        return out;
    }

    private static long number(String v, String name) {
        try {
            long x = Long.parseLong(v);
            if (x < 0) {
                throw new NumberFormatException();
            }
            return x;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a non-negative integer, not '" + v + "'");
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

    private static JsonNode check(ContentCheck.Result r) {
        ObjectNode out = JSON.createObjectNode().put("started", r.started().toString())
                .put("tookMillis", r.took().toMillis()).put("verify", r.options().verify())
                .put("quarantine", r.options().quarantine()).put("verifyRate", r.options().verifyRate())
                .put("blobs", r.blobs()).put("bytes", r.bytes())
                .put("bytesRead", r.bytesRead()).put("problems", r.problems())
                .put("findingsTruncated", r.problems() > r.findings().size());
        r.metadataProblems().forEach(out.putArray("metadataProblems")::add);
        var findings = out.putArray("findings");
        for (ContentCheck.Finding f : r.findings()) {
            ObjectNode o = findings.addObject().put("digest", f.digest().toString()).put("size", f.size())
                    .put("problem", f.problem().name()).put("detail", f.detail()).put("movedTo", f.movedTo());
            var uses = o.putArray("usedBy");
            for (BlobUse u : f.uses()) {
                ObjectNode use = uses.addObject().put("repository", u.repository().value())
                        .put("manifest", u.manifest() == null ? null : u.manifest().toString());
                u.tags().forEach(use.putArray("tags")::add);
            }
        }
        return out;
    }

    /** A size parameter ({@link ByteSize}); a bad one is the client's error. */
    private static long size(String name, String value) {
        try {
            return ByteSize.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage());
        }
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
                throw new IllegalArgumentException("body is not valid JSON: " + JsonProblems.describe(e));
            }
        }
    }

    private static void requireGet(String method) {
        require(method, "GET", "GET");
    }

    /** Refuses any method but {@code wanted} with a 405 whose Allow is {@code allow}, the endpoint's methods. */
    private static void require(String method, String wanted, String allow) {
        if (!method.equals(wanted)) {
            throw new MethodNotAllowed(method, allow);
        }
    }

    /** A method the endpoint does not have; {@code allow} lists those it has, for the 405's Allow header. */
    private static final class MethodNotAllowed extends RegistryException {
        private final String allow;

        MethodNotAllowed(String method, String allow) {
            super(ErrorCode.UNSUPPORTED, "method " + method + " is not allowed here");
            this.allow = allow;
        }
    }
}
