package io.lading.http;

import io.opentelemetry.api.OpenTelemetry;
import java.util.concurrent.Executor;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.VirtualThreads;

/**
 * The whole HTTP surface of one listener: {@code /lading/v1/...} goes to the admin API, everything else to /v2.
 *
 * <p>Jetty calls {@link #handle} on the thread that read the request (its selector thread, for HTTP/1.1), as this
 * handler declares that it does not block there. A pull that memory alone can answer ({@link
 * RegistryHandler#fromMemory}: a manifest or a blob HEAD whose lookup is kept) is answered on that thread, when
 * access control is off or its credentials were verified lately ({@link AuthGate#admitFromMemory}); every other
 * request is handed to a virtual thread, where handlers block and credentials are checked. On the
 * measured VM a system call or a thread wake-up costs more than answering such a pull: handing it over costs a
 * wake-up of a carrier thread, and renewing the connection's read interest from another thread costs a wake-up
 * of the selector and two changes of its epoll set, where on the selector thread the interest simply stays.
 */
public final class LadingHandler extends Handler.Wrapper {
    private final RegistryHandler registry;
    private final AdminHandler admin;
    private final AuthGate gate;
    private final TokenHandler tokens;
    private final RequestObserver observer;
    private final RequestTracing tracing;
    private Executor blocking;

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
        this.registry = registry;
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
    protected void doStart() throws Exception {
        Executor virtual = VirtualThreads.getVirtualThreadsExecutor(getServer().getThreadPool());
        blocking = virtual != null ? virtual : getServer().getThreadPool();
        super.doStart();
    }

    /** {@link #handle} answers from memory or hands the request over; it never blocks. */
    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        // With access control on, admitting a request may check a password (bcrypt) or a token's signature, work
        // for a thread that may take its time; credentials verified lately are admitted from memory.
        RegistryHandler.MemoryAnswer answer = registry.fromMemory(request);
        if (answer != null && gate.admitFromMemory(request)) {
            observed(request, response, () -> {
                answer.send(response, callback);
                return true;
            });
            return true;
        }
        blocking.execute(() -> handleBlocking(request, response, callback));
        return true;
    }

    private void handleBlocking(Request request, Response response, Callback callback) {
        Callback lastWriteFirst = lastWriteFirst(response, callback);
        try {
            if (!observed(request, response, () -> route(request, response, lastWriteFirst))) {
                Response.writeError(request, response, lastWriteFirst, HttpStatus.NOT_FOUND_404);
            }
        } catch (Throwable failure) {
            callback.failed(failure); // Jetty answers 500 when nothing was sent yet
        }
    }

    /**
     * {@code callback}, succeeded only after the response's last write is done (a write of nothing when the handler
     * did not end the response itself). Jetty 12.1 can complete a response twice when a handler's callback, called
     * on another thread while {@link #handle} is still returning, leaves the last write to Jetty: the thread that
     * called {@code handle} may see the write done and complete the response, and then the write's own completion
     * does it again, on a channel that may by then carry the connection's next request (with assertions on: an
     * AssertionError in HttpChannelState). With the last write done first, Jetty decides under one lock who completes.
     */
    private static Callback lastWriteFirst(Response response, Callback callback) {
        return Callback.from(() -> {
            try {
                Content.Sink.write(response, true, null);
            } catch (Throwable failure) {
                callback.failed(failure);
                return;
            }
            callback.succeeded();
        }, callback::failed);
    }

    /** Handling of one request, returning whether it was handled. */
    @FunctionalInterface
    private interface Handling {
        boolean run() throws Exception;
    }

    /** Runs {@code handling} with the request's id, span, metrics and access log line around it. */
    private boolean observed(Request request, Response response, Handling handling) throws Exception {
        long started = System.nanoTime();
        String id = RequestContext.begin(request, response);
        String route = RequestContext.routeLabel(request.getHttpURI().getPath());
        RequestTracing.Active span = tracing.start(request, route, id);
        observer.started();
        try {
            return handling.run();
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
