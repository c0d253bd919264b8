package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.Test;

class SharedReadBuffersTest {

    @Test
    void eachConnectionsShareShrinksAsConnectionsMultiply() {
        assertThat(SharedReadBuffers.bufferSize(0)).isEqualTo(128 * 1024);
        assertThat(SharedReadBuffers.bufferSize(1)).isEqualTo(128 * 1024);
        assertThat(SharedReadBuffers.bufferSize(64)).isEqualTo(128 * 1024);
        assertThat(SharedReadBuffers.bufferSize(65)).isEqualTo(64 * 1024);
        assertThat(SharedReadBuffers.bufferSize(256)).isEqualTo(32 * 1024);
        assertThat(SharedReadBuffers.bufferSize(512)).isEqualTo(16 * 1024);
        assertThat(SharedReadBuffers.bufferSize(100_000)).isEqualTo(16 * 1024);
    }

    /**
     * Over real sockets: a push read while 600 connections are open reads into 16 KiB buffers; once the others
     * have gone, the same connection's next push reads into 128 KiB.
     */
    @Test
    void readsIntoSmallerBuffersWhileManyConnectionsAreOpen() throws Exception {
        Queue<Integer> acquired = new ConcurrentLinkedQueue<>();
        ByteBufferPool pool = new ByteBufferPool.Wrapper(new ArrayByteBufferPool()) {
            @Override
            public RetainableByteBuffer.Mutable acquire(int size, boolean direct) {
                acquired.add(size);
                return super.acquire(size, direct);
            }
        };
        Server server = new Server(new QueuedThreadPool(8), null, pool);
        HttpConfiguration config = new HttpConfiguration();
        config.setOutputBufferSize(8192);
        SharedReadBuffers http1 = new SharedReadBuffers(config);
        ServerConnector connector = new ServerConnector(server, http1);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
                                  org.eclipse.jetty.util.Callback callback) throws Exception {
                try (InputStream in = Content.Source.asInputStream(request)) {
                    in.transferTo(OutputStream.nullOutputStream());
                }
                response.setStatus(201);
                response.getHeaders().put("Content-Length", 0);
                callback.succeeded();
                return true;
            }
        });
        server.start();
        List<Socket> others = new ArrayList<>();
        try (Socket pusher = connect(connector.getLocalPort())) {
            for (int i = 0; i < 599; i++) {
                others.add(connect(connector.getLocalPort()));
            }
            waitFor(() -> http1.open() == 600);
            acquired.clear();
            push(pusher);
            assertThat(acquired).as("600 open").allMatch(size -> size <= 16 * 1024);

            for (Socket s : others) {
                s.close();
            }
            waitFor(() -> http1.open() == 1);
            acquired.clear();
            push(pusher);
            assertThat(acquired).as("1 open").contains(128 * 1024);
        } finally {
            for (Socket s : others) {
                s.close();
            }
            server.stop();
        }
        waitFor(() -> http1.open() == 0);
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** A 1 MiB PUT on {@code s}, sent in one go, and its 201 read. */
    private static void push(Socket s) throws IOException {
        byte[] body = new byte[1 << 20];
        String head = "PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n";
        OutputStream out = s.getOutputStream();
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        byte[] status = s.getInputStream().readNBytes("HTTP/1.1 201".length());
        assertThat(new String(status, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 201");
        // the rest of the response's head, up to its blank line
        InputStream in = s.getInputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            assertThat(b).as("response ended early").isNotNegative();
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition not reached in 10 s").isLessThan(deadline);
            Thread.sleep(10);
        }
    }
}
