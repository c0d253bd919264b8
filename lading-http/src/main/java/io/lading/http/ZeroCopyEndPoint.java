package io.lading.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * A plain-TCP endpoint that sends file content with {@code sendfile(2)} ({@link FileChannel#transferTo}) instead of
 * copying it through a buffer. Jetty 12 has no file-region write, so the content travels through Jetty as an
 * ordinary buffer: a read-only memory mapping of the file region, whose length Jetty counts against the
 * response's Content-Length. {@link #expect} names that buffer; when Jetty flushes it here, the bytes go from the
 * page cache to the socket, and the mapping's pages are never touched, so they never enter the resident set.
 *
 * <p>Anything else flushes as usual, and so does the mapping itself if it ever reaches another endpoint (TLS,
 * HTTP/2): its bytes are the file's, so the fallback is a copy, never wrong content.
 */
final class ZeroCopyEndPoint extends SocketChannelEndPoint {
    private final LongAdder sentBytes;
    /** The file region Jetty will flush next on this connection (HTTP/1.1: one response at a time). */
    private volatile Region region;

    private record Region(ByteBuffer buffer, int start, FileChannel file, long position) {
    }

    ZeroCopyEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key, Scheduler scheduler,
                     LongAdder sentBytes) {
        super(channel, selector, key, scheduler);
        this.sentBytes = sentBytes;
    }

    /**
     * Declares that {@code buffer}, a mapping of {@code file} from {@code position}, is about to be written to the
     * response: its bytes are then sent from the file. {@code null} forgets the declaration.
     */
    void expect(ByteBuffer buffer, FileChannel file, long position) {
        region = buffer == null ? null : new Region(buffer, buffer.position(), file, position);
    }

    @Override
    public boolean flush(ByteBuffer... buffers) throws IOException {
        Region r = region;
        int at = r == null ? -1 : indexOf(buffers, r.buffer());
        if (at < 0) {
            return super.flush(buffers);
        }
        ByteBuffer[] before = Arrays.copyOf(buffers, at);
        if (!BufferUtil.isEmpty(before) && !super.flush(before)) {
            return false; // the response headers before the content did not fit yet
        }
        if (!send(r)) {
            return false;
        }
        region = null;
        ByteBuffer[] after = Arrays.copyOfRange(buffers, at + 1, buffers.length);
        return BufferUtil.isEmpty(after) || super.flush(after);
    }

    /** Sends what is left of the region; false when the socket is full (Jetty waits for it and flushes again). */
    private boolean send(Region r) throws IOException {
        ByteBuffer b = r.buffer();
        SocketChannel socket = getChannel();
        while (b.hasRemaining()) {
            long from = r.position() + (b.position() - r.start());
            long n;
            try {
                n = r.file().transferTo(from, b.remaining(), socket);
            } catch (IOException e) {
                throw new EofException(e);
            }
            if (n <= 0) {
                if (r.file().size() < from + b.remaining()) { // else the loop would spin on a writable socket
                    throw new EofException("file ended at " + r.file().size() + " before the "
                            + (from + b.remaining()) + " bytes the response promised");
                }
                return false;
            }
            b.position(b.position() + (int) n);
            sentBytes.add(n);
            notIdle();
        }
        return true;
    }

    /** A plain-TCP connector whose connections are {@link ZeroCopyEndPoint}s, counting the bytes they send so. */
    static final class Connector extends ServerConnector {
        private final LongAdder sentBytes = new LongAdder();

        Connector(Server server, ConnectionFactory... factories) {
            super(server, factories);
        }

        @Override
        protected SocketChannelEndPoint newEndPoint(SocketChannel channel, ManagedSelector selector,
                                                    SelectionKey key) {
            ZeroCopyEndPoint endPoint = new ZeroCopyEndPoint(channel, selector, key, getScheduler(), sentBytes);
            endPoint.setIdleTimeout(getIdleTimeout());
            return endPoint;
        }

        /** Bytes sent from files with sendfile so far. */
        long sentBytes() {
            return sentBytes.sum();
        }
    }

    private static int indexOf(ByteBuffer[] buffers, ByteBuffer buffer) {
        for (int i = 0; i < buffers.length; i++) {
            if (buffers[i] == buffer) {
                return i;
            }
        }
        return -1;
    }
}
