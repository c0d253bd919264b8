package io.lading.http;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.Map;
import org.eclipse.jetty.server.Request;

/**
 * One server span per request, named by route template ({@code PUT /v2/{name}/manifests/{reference}}), child of
 * the caller's trace when the request carries W3C {@code traceparent}, and current while the request is handled
 * so that storage and metadata spans attach to it. With {@link OpenTelemetry#noop()} (the default) this costs a
 * few no-op calls.
 */
final class RequestTracing {
    private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
    private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
    private static final AttributeKey<String> PATH = AttributeKey.stringKey("url.path");
    private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
    private static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("lading.request_id");
    private static final Map<String, String> TEMPLATES = Map.of(
            "base", "/v2/", "catalog", "/v2/_catalog", "tags", "/v2/{name}/tags/list",
            "manifests", "/v2/{name}/manifests/{reference}", "blobs", "/v2/{name}/blobs/{digest}",
            "upload_start", "/v2/{name}/blobs/uploads/", "upload_session", "/v2/{name}/blobs/uploads/{uuid}",
            "referrers", "/v2/{name}/referrers/{digest}", "admin", "/lading/v1/*", "token", "/token");

    private static final TextMapGetter<Request> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Request carrier) {
            return carrier.getHeaders().getFieldNamesCollection();
        }

        @Override
        public String get(Request carrier, String key) {
            return carrier == null ? null : carrier.getHeaders().get(key);
        }
    };

    private final OpenTelemetry otel;
    private final Tracer tracer;

    RequestTracing(OpenTelemetry otel) {
        this.otel = otel;
        this.tracer = otel.getTracer("io.lading.http");
    }

    /** A started span for the request, made current until {@link Active#end}. */
    Active start(Request request, String route, String requestId) {
        Context parent = otel.getPropagators().getTextMapPropagator().extract(Context.root(), request, HEADERS);
        String template = TEMPLATES.getOrDefault(route, "other");
        Span span = tracer.spanBuilder(request.getMethod() + " " + template).setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute(METHOD, request.getMethod())
                .setAttribute(ROUTE, template)
                .setAttribute(PATH, Request.unWrap(request).getHttpURI().getPath())
                .setAttribute(REQUEST_ID, requestId)
                .startSpan();
        return new Active(span, span.makeCurrent());
    }

    /** A request's span while it is current. */
    record Active(Span span, Scope scope) {
        void end(int status) {
            span.setAttribute(STATUS, (long) status);
            if (status >= 500) {
                span.setStatus(StatusCode.ERROR);
            }
            scope.close();
            span.end();
        }
    }
}
