package io.lading.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;

/**
 * An input stream (an object store's response body) as the channel {@link StorageDriver#reader} returns. A read
 * into a heap buffer goes straight into its array; one into a direct buffer through a 64 KiB array. Unlike
 * {@link java.nio.channels.Channels#newChannel(InputStream)}, a read is not cut to 8 KiB, and a subclass learns at
 * {@link #closeStream} whether the stream was read to its end (an HTTP client may then drop the connection
 * rather than read the rest).
 */
public class StreamChannel implements ReadableByteChannel {
    private final InputStream in;
    private byte[] bounce;
    private boolean open = true;
    private boolean ended;

    public StreamChannel(InputStream in) {
        this.in = in;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!open) {
            throw new ClosedChannelException();
        }
        if (!dst.hasRemaining()) {
            return 0;
        }
        int n;
        if (dst.hasArray()) {
            n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
            if (n > 0) {
                dst.position(dst.position() + n);
            }
        } else {
            if (bounce == null) {
                bounce = new byte[64 * 1024];
            }
            n = in.read(bounce, 0, Math.min(bounce.length, dst.remaining()));
            if (n > 0) {
                dst.put(bounce, 0, n);
            }
        }
        if (n < 0) {
            ended = true;
        }
        return n;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** Closes the stream once; a failure to close a stream that was only read is of no consequence. */
    @Override
    public void close() {
        if (open) {
            open = false;
            closeStream(in, ended);
        }
    }

    /** Closes {@code stream}; {@code ended}: it was read to its end. */
    protected void closeStream(InputStream stream, boolean ended) {
        try {
            stream.close();
        } catch (IOException e) {
            // nothing more is read from it either way
        }
    }
}
