package io.lading.http;

import io.lading.auth.Htpasswd;
import io.lading.core.ErrorCode;
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

    public LadingHandler(RegistryHandler registry, AdminHandler admin) {
        this(registry, admin, null, RequestObserver.NONE);
    }

    /**
     * @param htpasswd when not null, every request needs HTTP Basic credentials it accepts (auth.htpasswd)
     * @param observer sees every finished request (metrics)
     */
    public LadingHandler(RegistryHandler registry, AdminHandler admin, Htpasswd htpasswd, RequestObserver observer) {
        super(registry);
        this.admin = admin;
        this.htpasswd = htpasswd;
        this.observer = observer;
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
        RequestContext.begin(request, response);
        try {
            return route(request, response, callback);
        } finally {
            String path = request.getHttpURI().getPath();
            observer.completed(RequestContext.routeLabel(path), request.getMethod(), response.getStatus(),
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
