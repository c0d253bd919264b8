package io.lading.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The operators' listener ({@code http.debug.addr}): a separate port, as in distribution, serving plain-text
 * pages such as Prometheus metrics. Each page is a path and a supplier of its body, rendered per request.
 */
public final class DebugServer implements AutoCloseable {
    /** A page: its content type and how to render it. */
    public record Page(String contentType, Supplier<Rendered> render) {
        /** A page that always answers 200. */
        public static Page ok(String contentType, Supplier<String> body) {
            return new Page(contentType, () -> new Rendered(200, body.get()));
        }
    }

    /** A rendered page: status and body. */
    public record Rendered(int status, String body) {
    }

    private final Server server;
    private final ServerConnector connector;

    public DebugServer(InetSocketAddress address, Map<String, Page> pages) {
        QueuedThreadPool threads = new QueuedThreadPool(8, 1);
        threads.setName("lading-debug");
        server = new Server(threads);
        connector = new ServerConnector(server);
        connector.setHost(address.getHostString());
        connector.setPort(address.getPort());
        server.addConnector(connector);
        Map<String, Page> copy = Map.copyOf(pages);
        server.setHandler(new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                Page page = copy.get(request.getHttpURI().getPath());
                String method = request.getMethod();
                byte[] body;
                if (page == null) {
                    response.setStatus(404);
                    body = ("not found; pages: " + String.join(", ", copy.keySet().stream().sorted().toList()) + "\n")
                            .getBytes(StandardCharsets.UTF_8);
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
                } else if (!method.equals("GET") && !method.equals("HEAD")) {
                    response.setStatus(405);
                    body = new byte[0];
                } else {
                    Rendered r = page.render().get();
                    response.setStatus(r.status());
                    body = r.body().getBytes(StandardCharsets.UTF_8);
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, page.contentType());
                }
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
                response.write(true, method.equals("HEAD") ? ByteBuffer.allocate(0) : ByteBuffer.wrap(body), callback);
                return true;
            }
        });
    }

    public void start() throws Exception {
        server.start();
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IOException("stopping the debug listener: " + e.getMessage(), e);
        }
    }
}
