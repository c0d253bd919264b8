package io.lading.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.http2.HTTP2Cipher;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.server.DetectorConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.VirtualThreads;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
    private static final Logger LOG = LoggerFactory.getLogger(RegistryServer.class);
    /** How often certificate files are checked for changes. */
    static final Duration TLS_RELOAD_CHECK = Duration.ofSeconds(5);
    /**
     * The listener's accept queue with a connection limit: clients in it have connected and wait to be accepted.
     * The JDK's default is 50, past which a client's connection attempts go unanswered until it gives up; the kernel
     * shortens the queue to net.core.somaxconn.
     */
    static final int ACCEPT_QUEUE_AT_LIMIT = 4096;

    private final Server server;
    private final ServerConnector connector;
    private final TlsSettings tls;
    private SslContextFactory.Server ssl;
    private ScheduledExecutorService reloader;
    private String tlsStamp;

    public RegistryServer(Handler handler, InetSocketAddress address, Duration drainTimeout) throws IOException {
        this(handler, address, drainTimeout, null, false, false);
    }

    /**
     * @param tls      when not null the listener speaks HTTPS: HTTP/2 (unless {@link TlsSettings#http2()} is off) or
     *                 HTTP/1.1 by ALPN, client certificates when {@link TlsSettings#clientCas()} has any; certificate
     *                 files are re-read when they change. Without it, plain HTTP/1.1, and a TLS handshake gets a
     *                 plain-text 400 saying so.
     * @param sendfile large blob GETs over plain HTTP/1.1 go out with sendfile ({@link ZeroCopyEndPoint}); without
     *                 TLS only (lading.storage.sendfile)
     * @param h2c      without TLS, also speak HTTP/2 in clear text (http.h2c.enabled), to clients that ask by an
     *                 {@code Upgrade: h2c} request or open with HTTP/2's preface; ignored with TLS
     */
    public RegistryServer(Handler handler, InetSocketAddress address, Duration drainTimeout, TlsSettings tls,
                          boolean sendfile, boolean h2c) throws IOException {
        this.tls = tls;
        // Requests run on virtual threads; the pool's platform threads only select, accept and run Jetty's
        // non-blocking tasks. Left at Jetty's default maximum (200) it grew to 60 threads under 64 concurrent
        // requests, each adding its stack and per-thread buffers to the resident set.
        QueuedThreadPool threads = new QueuedThreadPool(16, 4);
        threads.setName("lading-http");
        threads.setVirtualThreadsExecutor(VirtualThreads.getNamedVirtualThreadsExecutor("lading-request-"));
        // Pool buffers up to 1 MiB (blob downloads are sent in 1 MiB reads; Jetty's default pools only up to
        // 64 KiB and would allocate a fresh direct buffer per download), keeping at most 16 MiB of direct memory
        // (it counts in the process's resident memory: 32 MiB put the whole benchmark run over 256 MiB).
        ArrayByteBufferPool buffers = new ArrayByteBufferPool(0, 4096, 1 << 20, -1, 16L << 20, 16L << 20);
        server = new Server(threads, null, buffers);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(true);
        // The router sees raw paths and rejects anything outside the name grammar with a spec error itself;
        // Jetty's own ambiguity checks would answer such paths with an HTML 400 instead.
        http.setUriCompliance(UriCompliance.UNSAFE);
        http.setOutputBufferSize(64 * 1024);
        // Jetty's parser keeps, per connection that has sent a second request, a cache of header lines it has
        // seen: a trie of about 100 KiB of heap, held while the connection stays open. 628 keep-alive connections
        // that had each made two requests filled the launcher's 80 MiB heap and stopped the server (OOM); without
        // the cache every header line is parsed anew, which costs less than a connection's share of the heap.
        http.setHeaderCacheSize(0);
        if (tls == null) {
            // With sendfile, plain HTTP/1.1 sends blob files from the page cache (ZeroCopyEndPoint); TLS has to
            // encrypt every byte anyway.
            DetectorConnectionFactory guard = new DetectorConnectionFactory(new PlainPortTlsGuard());
            org.eclipse.jetty.server.ConnectionFactory[] factories = h2c
                    ? new org.eclipse.jetty.server.ConnectionFactory[]{guard, http1(http),
                            new HTTP2CServerConnectionFactory(http)}
                    : new org.eclipse.jetty.server.ConnectionFactory[]{guard, http1(http)};
            connector = sendfile ? new ZeroCopyEndPoint.Connector(server, factories)
                    : new ServerConnector(server, factories);
        } else {
            http.addCustomizer(new SecureRequestCustomizer(false)); // SNI is not checked: one certificate
            ssl = sslContext(tls);
            tlsStamp = stamp(tls);
            if (tls.http2()) {
                HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(http);
                ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory();
                alpn.setDefaultProtocol("http/1.1");
                connector = new ServerConnector(server, new SslConnectionFactory(ssl, alpn.getProtocol()), alpn, h2,
                        http1(http));
            } else { // http.http2.disabled: no ALPN, so every client speaks HTTP/1.1
                HttpConnectionFactory h1 = http1(http);
                connector = new ServerConnector(server, new SslConnectionFactory(ssl, h1.getProtocol()), h1);
            }
        }
        connector.setHost(address.getHostString());
        connector.setPort(address.getPort());
        connector.setIdleTimeout(Duration.ofMinutes(5).toMillis());
        server.addConnector(connector);
        server.setHandler(new GracefulHandler(handler));
        server.setErrorHandler(new JsonErrorHandler());
        server.setStopTimeout(drainTimeout.toMillis());
        server.setStopAtShutdown(false);
    }

    /**
     * HTTP/1.1 with reads from the socket of up to 128 KiB (Jetty reads 8 KiB by default): a blob push then costs
     * a sixteenth of the reads and parser passes. The buffers are pooled, held only while a request is read, and
     * shrink to 16 KiB as connections multiply ({@link SharedReadBuffers}).
     */
    private static HttpConnectionFactory http1(HttpConfiguration http) {
        return new SharedReadBuffers(http);
    }

    private static SslContextFactory.Server sslContext(TlsSettings tls) throws IOException {
        SslContextFactory.Server f = new SslContextFactory.Server();
        configure(f, tls);
        f.setCipherComparator(HTTP2Cipher.COMPARATOR);
        f.setIncludeProtocols(tls.minimum().equals("TLSv1.3") ? new String[]{"TLSv1.3"}
                : new String[]{"TLSv1.2", "TLSv1.3"});
        if (!tls.cipherSuites().isEmpty()) {
            f.setExcludeCipherSuites(); // the operator's list, exactly: without Jetty's default exclusions
            f.setIncludeCipherSuites(tls.cipherSuites().stream().map(java.util.regex.Pattern::quote)
                    .toArray(String[]::new));
        }
        return f;
    }

    private static void configure(SslContextFactory.Server f, TlsSettings tls) throws IOException {
        f.setKeyStore(PemStores.keyStore(tls.certificate(), tls.key()));
        f.setKeyStorePassword(new String(PemStores.PASSWORD));
        if (!tls.clientCas().isEmpty()) {
            f.setTrustStore(PemStores.trustStore(tls.clientCas()));
            f.setNeedClientAuth(true);
        }
    }

    /** Sizes and modification times of the certificate files: a change means a reload. */
    private static String stamp(TlsSettings tls) {
        StringBuilder b = new StringBuilder();
        List<Path> files = new ArrayList<>(List.of(tls.certificate(), tls.key()));
        files.addAll(tls.clientCas());
        for (Path p : files) {
            try {
                b.append(Files.getLastModifiedTime(p).toMillis()).append('/').append(Files.size(p)).append(';');
            } catch (IOException e) {
                b.append("missing;");
            }
        }
        return b.toString();
    }

    /** Re-reads the certificate files if they changed; keeps serving the old ones if the new ones are broken. */
    void reloadTlsIfChanged() {
        String now = stamp(tls);
        if (now.equals(tlsStamp)) {
            return;
        }
        try {
            ssl.reload(f -> {
                try {
                    configure((SslContextFactory.Server) f, tls);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            tlsStamp = now;
            LOG.info("TLS certificate reloaded from {}", tls.certificate());
        } catch (Exception e) {
            LOG.error("TLS certificate files changed but cannot be used ({}); still serving the previous ones",
                    e.getMessage());
            tlsStamp = now; // report once per change, not every check
        }
    }

    /**
     * Serves at most {@code max} client connections at once (lading.http.maxconnections; 0: no limit). At the limit
     * the listener stops accepting, so further clients wait in the kernel's accept queue (of
     * {@link #ACCEPT_QUEUE_AT_LIMIT}; past it, their connection attempts wait for an answer) instead of the server
     * running out of file descriptors or memory (Jetty's {@link NetworkConnectionLimit}). A waiting client is
     * accepted when another connection closes: keep-alive connections stay open while their clients keep them
     * (or five minutes idle), so the limit must be above the number of clients expected at once, or they queue
     * (decision 0041). Call before {@link #start}.
     */
    public void limitConnections(int max) {
        if (max < 0) {
            throw new IllegalArgumentException("connection limit " + max + " is negative");
        }
        if (max > 0) {
            connector.setAcceptQueueSize(ACCEPT_QUEUE_AT_LIMIT);
            server.addBean(new NetworkConnectionLimit(max, connector));
        }
    }

    public void start() throws Exception {
        server.start();
        if (tls != null) {
            reloader = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "lading-tls-reload");
                t.setDaemon(true);
                return t;
            });
            reloader.scheduleWithFixedDelay(this::reloadTlsIfChanged, TLS_RELOAD_CHECK.toMillis(),
                    TLS_RELOAD_CHECK.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Bytes of blob content sent with sendfile since the start (0 without sendfile, and with TLS). */
    public long zeroCopyBytes() {
        return connector instanceof ZeroCopyEndPoint.Connector z ? z.sentBytes() : 0;
    }

    /** The bound port (useful when started on port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** Stops accepting, lets in-flight requests finish (up to the drain timeout), then stops. */
    public void stop() throws Exception {
        if (reloader != null) {
            reloader.shutdownNow();
        }
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
