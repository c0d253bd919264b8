package io.lading.registry;

import io.lading.core.Digest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bytes of recently pushed or served small content (manifests, staged blobs), least recently used first out,
 * bounded by their total size. Content is addressed by digest, so an entry can never be stale: the metadata store
 * still decides whether content exists in a repository before its bytes are looked up here. Saves a file open,
 * read and close per manifest GET, and a metadata read per GET of a blob still staged.
 */
final class ContentCache {
    private final long maxBytes;
    private final ReentrantLock lock = new ReentrantLock();
    private final LinkedHashMap<Digest, byte[]> entries = new LinkedHashMap<>(256, 0.75f, true);
    private long bytes;

    ContentCache(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    byte[] get(Digest digest) {
        lock.lock();
        try {
            return entries.get(digest);
        } finally {
            lock.unlock();
        }
    }

    void put(Digest digest, byte[] content) {
        if (content.length > maxBytes / 4) {
            return; // one huge entry must not flush everything else
        }
        lock.lock();
        try {
            byte[] old = entries.put(digest, content);
            bytes += content.length - (old == null ? 0 : old.length);
            var it = entries.entrySet().iterator();
            while (bytes > maxBytes && it.hasNext()) {
                Map.Entry<Digest, byte[]> eldest = it.next();
                bytes -= eldest.getValue().length;
                it.remove();
            }
        } finally {
            lock.unlock();
        }
    }
}
