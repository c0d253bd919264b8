package io.lading.http;

import io.lading.auth.Htpasswd;
import io.lading.core.ErrorCode;
import io.opentelemetry.api.OpenTelemetry;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;

/** The whole HTTP surface of one listener: {@code /lading/v1/...} goes to the admin API, everything else to /v2. */
public final class LadingHandler extends Handler.Wrapper {
    private final AdminHandler admin;
    private final Htpasswd htpasswd;
    private final RequestObserver observer;
    private final RequestTracing tracing;

    public LadingHandler(RegistryHandler registry, AdminHandler admin) {
        this(registry, admin, null, RequestObserver.NONE, OpenTelemetry.noop());
    }

    /**
     * @param htpasswd when not null, every request needs HTTP Basic credentials it accepts (auth.htpasswd)
     * @param observer sees every finished request (metrics)
     * @param otel     where request spans go ({@link OpenTelemetry#noop()} when tracing is off)
     */
    public LadingHandler(RegistryHandler registry, AdminHandler admin, Htpasswd htpasswd, RequestObserver observer,
                         OpenTelemetry otel) {
        super(registry);
        this.admin = admin;
        this.htpasswd = htpasswd;
        this.observer = observer;
        this.tracing = new RequestTracing(otel);
        installBean(admin);
    }

    @Override
    public void setServer(Server server) {
        super.setServer(server);
        admin.setServer(server);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        long started = System.nanoTime();
        String id = RequestContext.begin(request, response);
        String route = RequestContext.routeLabel(request.getHttpURI().getPath());
        RequestTracing.Active span = tracing.start(request, route, id);
        try {
            return route(request, response, callback);
        } finally {
            span.end(response.getStatus());
            observer.completed(route, request.getMethod(), response.getStatus(),
                    System.nanoTime() - started, Request.getContentBytesRead(request),
                    Response.getContentBytesWritten(response));
            RequestContext.accessLog(request, response, started);
            RequestContext.end();
        }
    }

    private boolean route(Request request, Response response, Callback callback) throws Exception {
        if (htpasswd != null) {
            var user = htpasswd.authenticate(request.getHeaders().get(HttpHeader.AUTHORIZATION));
            if (user.isEmpty()) {
                // As distribution: the challenge on every path, /v2/ included, so clients know to log in.
                response.getHeaders().put("Docker-Distribution-API-Version", "registry/2.0");
                response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, htpasswd.challenge());
                HttpOut.error(request, response, ErrorCode.UNAUTHORIZED.status(),
                        ErrorResponses.body(ErrorCode.UNAUTHORIZED, "authentication required", null));
                callback.succeeded();
                return true;
            }
            RequestContext.authenticated(request, user.get());
        }
        if (request.getHttpURI().getPath().startsWith(AdminHandler.PREFIX)) {
            return admin.handle(request, response, callback);
        }
        return super.handle(request, response, callback);
    }
}
