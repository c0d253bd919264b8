package io.lading.http;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.VirtualThreads;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The Jetty server around a {@link RegistryHandler}: one plain-HTTP connector, request handling on virtual
 * threads, and a graceful stop that lets in-flight requests finish for up to the drain timeout.
 *
 * <pre>{@code
 * RegistryServer server = new RegistryServer(handler, new InetSocketAddress("0.0.0.0", 5000), Duration.ofSeconds(30));
 * server.start();
 * int port = server.port();
 * server.stop();   // drains
 * }</pre>
 */
public final class RegistryServer implements AutoCloseable {
    private final Server server;
    private final ServerConnector connector;

    public RegistryServer(Handler handler, InetSocketAddress address, Duration drainTimeout) {
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("lading-http");
        threads.setVirtualThreadsExecutor(VirtualThreads.getNamedVirtualThreadsExecutor("lading-request-"));
        // Pool buffers up to 1 MiB (blob downloads are sent in 1 MiB reads; Jetty's default pools only up to
        // 64 KiB and would allocate a fresh direct buffer per download), bounded to 64 MiB of direct memory.
        ArrayByteBufferPool buffers = new ArrayByteBufferPool(0, 4096, 1 << 20, -1, 16L << 20, 64L << 20);
        server = new Server(threads, null, buffers);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(true);
        // The router sees raw paths and rejects anything outside the name grammar with a spec error itself;
        // Jetty's own ambiguity checks would answer such paths with an HTML 400 instead.
        http.setUriCompliance(UriCompliance.UNSAFE);
        http.setOutputBufferSize(64 * 1024);
        connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(address.getHostString());
        connector.setPort(address.getPort());
        connector.setIdleTimeout(Duration.ofMinutes(5).toMillis());
        server.addConnector(connector);
        server.setHandler(new GracefulHandler(handler));
        server.setStopTimeout(drainTimeout.toMillis());
        server.setStopAtShutdown(false);
    }

    public void start() throws Exception {
        server.start();
    }

    /** The bound port (useful when started on port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** Stops accepting, lets in-flight requests finish (up to the drain timeout), then stops. */
    public void stop() throws Exception {
        server.stop();
    }

    public void join() throws InterruptedException {
        server.join();
    }

    @Override
    public void close() throws Exception {
        stop();
    }
}
