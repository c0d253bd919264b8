package io.lading.http;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.internal.HttpConnection;

/**
 * HTTP/1.1 connections whose socket reads share a fixed amount of memory: each connection reads into a direct
 * buffer of {@link #TOTAL} divided by the connections open, at most {@link #LARGEST} and at least
 * {@link #SMALLEST}. A connection takes its buffer from the pool when it starts reading and gives it back when a
 * read finds nothing more; the size is chosen anew each time, so it follows the number of connections.
 *
 * <p>A blob push on its own reads 128 KiB at a time, a sixteenth of the reads and parser passes of Jetty's 8 KiB
 * (decision 0015). With 512 clients pushing at once that was 64 MiB of buffers, the largest part of the direct
 * memory; here they share 8 MiB and each reads 16 KiB (decision 0033).
 */
final class SharedReadBuffers extends HttpConnectionFactory {
    static final int LARGEST = 128 * 1024;
    static final int SMALLEST = 16 * 1024;
    static final int TOTAL = 8 << 20;

    private final AtomicInteger open = new AtomicInteger();

    SharedReadBuffers(HttpConfiguration config) {
        super(config);
        setInputBufferSize(LARGEST);
    }

    /** The read buffer of each of {@code connections} open connections: a power of two. */
    static int bufferSize(int connections) {
        int share = TOTAL / Math.max(1, connections);
        return Math.max(SMALLEST, Math.min(LARGEST, Integer.highestOneBit(share)));
    }

    /** HTTP/1.1 connections open now. */
    int open() {
        return open.get();
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        return configure(new Counted(getHttpConfiguration(), connector, endPoint), connector, endPoint);
    }

    private final class Counted extends HttpConnection {
        private final AtomicBoolean counted = new AtomicBoolean();

        Counted(HttpConfiguration config, Connector connector, EndPoint endPoint) {
            super(config, connector, endPoint);
        }

        @Override
        public void onOpen() {
            if (counted.compareAndSet(false, true)) {
                open.incrementAndGet();
            }
            super.onOpen();
        }

        @Override
        public void onClose(Throwable cause) {
            super.onClose(cause);
            if (counted.compareAndSet(true, false)) {
                open.decrementAndGet();
            }
        }

        @Override
        public int getInputBufferSize() {
            return bufferSize(open.get());
        }
    }
}
