package io.lading.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Keeps files in memory; for tests and throw-away registries ({@code storage: inmemory}). Nothing survives the
 * process. Directories are implied by file paths, as in an object store.
 */
public final class InMemoryDriver implements StorageDriver {
    private record Entry(byte[] bytes, Instant modified) {
    }

    private final ConcurrentSkipListMap<String, Entry> files = new ConcurrentSkipListMap<>();

    @Override
    public String name() {
        return "inmemory";
    }

    private Entry entry(String path) throws PathNotFoundException {
        Entry e = files.get(path);
        if (e == null) {
            throw new PathNotFoundException(path);
        }
        return e;
    }

    @Override
    public ReadableByteChannel reader(String path, long offset) throws IOException {
        byte[] bytes = entry(path).bytes();
        if (offset > bytes.length) {
            throw new InvalidOffsetException(path, offset, bytes.length);
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes, (int) offset, bytes.length - (int) offset).asReadOnlyBuffer();
        return new ReadableByteChannel() {
            private boolean open = true;

            @Override
            public int read(ByteBuffer dst) {
                if (!buf.hasRemaining()) {
                    return -1;
                }
                int n = Math.min(dst.remaining(), buf.remaining());
                ByteBuffer slice = buf.slice(buf.position(), n);
                dst.put(slice);
                buf.position(buf.position() + n);
                return n;
            }

            @Override
            public boolean isOpen() {
                return open;
            }

            @Override
            public void close() {
                open = false;
            }
        };
    }

    @Override
    public FileWriter writer(String path, long offset) throws IOException {
        Entry existing = files.get(path);
        long size = existing == null ? 0 : existing.bytes().length;
        if (offset > size) {
            throw new InvalidOffsetException(path, offset, size);
        }
        byte[] start = existing == null ? new byte[0] : Arrays.copyOf(existing.bytes(), (int) offset);
        files.put(path, new Entry(start, Instant.now()));
        return new FileWriter() {
            private byte[] data = Arrays.copyOf(start, Math.max(16, start.length));
            private int length = start.length;
            private boolean open = true;

            @Override
            public int write(ByteBuffer src) throws IOException {
                if (!open) {
                    throw new java.nio.channels.ClosedChannelException();
                }
                int n = src.remaining();
                if (length + (long) n > Integer.MAX_VALUE - 16) {
                    throw new IOException("in-memory files are limited to 2 GiB");
                }
                if (length + n > data.length) {
                    data = Arrays.copyOf(data, Math.max(length + n, data.length * 2));
                }
                src.get(data, length, n);
                length += n;
                return n;
            }

            @Override
            public long size() {
                return length;
            }

            @Override
            public void commit() {
                if (open) {
                    open = false;
                    files.put(path, new Entry(Arrays.copyOf(data, length), Instant.now()));
                }
            }

            @Override
            public void cancel() {
                open = false;
                files.remove(path);
            }

            @Override
            public boolean isOpen() {
                return open;
            }

            @Override
            public void close() {
                open = false; // without a commit: the file stays as it was at the offset
            }
        };
    }

    @Override
    public FileInfo stat(String path) throws IOException {
        Entry e = files.get(path);
        if (e != null) {
            return new FileInfo(path, e.bytes().length, e.modified(), false);
        }
        Map.Entry<String, Entry> child = files.ceilingEntry(path + "/");
        if (child != null && child.getKey().startsWith(path + "/")) {
            return new FileInfo(path, 0, child.getValue().modified(), true);
        }
        throw new PathNotFoundException(path);
    }

    @Override
    public List<String> list(String path) {
        String prefix = path.equals("/") ? "/" : path + "/";
        List<String> out = new ArrayList<>();
        for (String key : files.tailMap(prefix).keySet()) {
            if (!key.startsWith(prefix)) {
                break;
            }
            int slash = key.indexOf('/', prefix.length());
            String child = slash < 0 ? key : key.substring(0, slash);
            if (out.isEmpty() || !out.get(out.size() - 1).equals(child)) {
                out.add(child);
            }
        }
        return out;
    }

    @Override
    public void move(String source, String destination) throws IOException {
        Entry e = files.remove(source);
        if (e == null) {
            throw new PathNotFoundException(source);
        }
        files.put(destination, e);
    }

    @Override
    public void delete(String path) throws IOException {
        boolean found = files.remove(path) != null;
        String prefix = path + "/";
        for (String key : new ArrayList<>(files.tailMap(prefix).keySet())) {
            if (!key.startsWith(prefix)) {
                break;
            }
            files.remove(key);
            found = true;
        }
        if (!found) {
            throw new PathNotFoundException(path);
        }
    }

}
