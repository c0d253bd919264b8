package io.lading.http;

import io.lading.registry.events.RequestInfo;
import java.util.UUID;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Per-request facts shared by the handlers: the request id (sent back as {@code X-Request-Id}, put in the log
 * MDC as {@code request_id}, and carried by the events the request causes), the authenticated user, and the
 * access log line.
 */
final class RequestContext {
    static final Logger ACCESS = LoggerFactory.getLogger("io.lading.access");
    private static final String ID = "io.lading.requestId";
    private static final String USER = "io.lading.user";
    private static final String INFO = "io.lading.requestInfo";
    static final String MDC_KEY = "request_id";

    private RequestContext() {
    }

    /** Gives the request its id (once), puts it in the response and the log MDC; returns it. */
    static String begin(Request request, Response response) {
        Object existing = request.getAttribute(ID);
        if (existing instanceof String id) {
            return id;
        }
        String id = newId();
        request.setAttribute(ID, id);
        response.getHeaders().put("X-Request-Id", id);
        MDC.put(MDC_KEY, id);
        return id;
    }

    /**
     * A random version-4 UUID from the thread's own generator: request ids need to be unique, not unpredictable,
     * and {@link UUID#randomUUID()} would make every request take a turn on one shared SecureRandom.
     */
    static String newId() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        long hi = (r.nextLong() & ~0xF000L) | 0x4000L;
        long lo = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(hi, lo).toString();
    }

    static void end() {
        MDC.remove(MDC_KEY);
    }

    static void authenticated(Request request, String user) {
        request.setAttribute(USER, user);
    }

    static String user(Request request) {
        return request.getAttribute(USER) instanceof String u ? u : null;
    }

    /** The request as events describe it. */
    static RequestInfo info(Request request) {
        if (request.getAttribute(INFO) instanceof RequestInfo info) {
            return info;
        }
        String id = request.getAttribute(ID) instanceof String s ? s : newId();
        RequestInfo info = new RequestInfo(id, Request.getRemoteAddr(request) + ":" + Request.getRemotePort(request),
                nonNull(request.getHeaders().get(HttpHeader.HOST)), request.getMethod(),
                nonNull(request.getHeaders().get(HttpHeader.USER_AGENT)), user(request));
        request.setAttribute(INFO, info);
        return info;
    }

    private static String nonNull(String s) {
        return s == null ? "" : s;
    }

    /**
     * One access log line with key-value pairs (the JSON formatter shows them as fields; the text formatter
     * appends them). The Authorization header is never logged.
     */
    static void accessLog(Request request, Response response, long startedNanos) {
        if (!ACCESS.isInfoEnabled()) {
            return;
        }
        long ms = (System.nanoTime() - startedNanos) / 1_000_000;
        String path = Request.unWrap(request).getHttpURI().getPath(); // as sent, with any http.prefix
        // request_id comes from the MDC (set for the whole request), so it is not repeated here.
        var line = ACCESS.atInfo()
                .addKeyValue("remote_addr", Request.getRemoteAddr(request))
                .addKeyValue("method", request.getMethod())
                .addKeyValue("path", path)
                .addKeyValue("status", response.getStatus())
                .addKeyValue("duration_ms", ms)
                .addKeyValue("bytes_in", Request.getContentBytesRead(request))
                .addKeyValue("bytes_out", Response.getContentBytesWritten(response))
                .addKeyValue("user_agent", request.getHeaders().get(HttpHeader.USER_AGENT));
        String user = user(request);
        if (user != null) {
            line = line.addKeyValue("user", user);
        }
        line.log("{} {} {} {}ms", request.getMethod(), path, response.getStatus(), ms);
    }

    /** A bounded route label for metrics (see {@link RequestObserver#completed}). */
    static String routeLabel(String path) {
        if (path.startsWith(AdminHandler.PREFIX)) {
            return "admin";
        }
        if (path.equals("/v2") || path.equals("/v2/")) {
            return "base";
        }
        if (!path.startsWith("/v2/")) {
            return path.equals("/token") ? "token" : "other";
        }
        if (path.equals("/v2/_catalog")) {
            return "catalog";
        }
        if (path.endsWith("/tags/list")) {
            return "tags";
        }
        if (path.contains("/manifests/")) {
            return "manifests";
        }
        if (path.contains("/blobs/uploads/")) {
            return path.endsWith("/blobs/uploads/") ? "upload_start" : "upload_session";
        }
        if (path.contains("/blobs/")) {
            return "blobs";
        }
        return path.contains("/referrers/") ? "referrers" : "other";
    }
}
