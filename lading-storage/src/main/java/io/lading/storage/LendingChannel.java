package io.lading.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * A channel that reads into buffers of its own and can lend them: a sender writes the lent bytes where they are,
 * instead of copying them into a buffer of its own first. The filesystem driver's direct reads are one, since
 * they read into aligned buffers anyway.
 */
public interface LendingChannel extends ReadableByteChannel {
    /**
     * The next bytes of the channel, at most {@code max} of them and at least one, in a buffer of the channel's
     * that stays valid until the next call on this channel (including {@link #close}); null at the end.
     */
    ByteBuffer lend(int max) throws IOException;
}
