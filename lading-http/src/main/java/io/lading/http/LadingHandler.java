package io.lading.http;

import io.opentelemetry.api.OpenTelemetry;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;

/** The whole HTTP surface of one listener: {@code /lading/v1/...} goes to the admin API, everything else to /v2. */
public final class LadingHandler extends Handler.Wrapper {
    private final AdminHandler admin;
    private final AuthGate gate;
    private final TokenHandler tokens;
    private final RequestObserver observer;
    private final RequestTracing tracing;

    public LadingHandler(RegistryHandler registry, AdminHandler admin) {
        this(registry, admin, AuthGate.open(), null, RequestObserver.NONE, OpenTelemetry.noop());
    }

    /**
     * @param gate     who may make which request (authentication and access rules)
     * @param tokens   the built-in token server for {@code /token}, or null when it is off
     * @param observer sees every request begin and finish (metrics, the staged-content writer)
     * @param otel     where request spans go ({@link OpenTelemetry#noop()} when tracing is off)
     */
    public LadingHandler(RegistryHandler registry, AdminHandler admin, AuthGate gate, TokenHandler tokens,
                         RequestObserver observer, OpenTelemetry otel) {
        super(registry);
        this.admin = admin;
        this.gate = gate;
        this.tokens = tokens;
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
        observer.started();
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
        String path = request.getHttpURI().getPath();
        if (tokens != null && path.equals(TokenHandler.PATH)) {
            tokens.handle(request, response);
            callback.succeeded();
            return true;
        }
        // As distribution: the challenge on every path, /v2/ included, so clients know to log in.
        if (!gate.admit(request, response)) {
            callback.succeeded();
            return true;
        }
        if (path.startsWith(AdminHandler.PREFIX)) {
            return admin.handle(request, response, callback);
        }
        return super.handle(request, response, callback);
    }
}
