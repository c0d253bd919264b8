package io.lading.storage;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.ReadableByteChannel;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Wraps any driver and reports how long each operation took and whether it failed (metrics). Reads and writes
 * are timed to the moment the channel is open, not for the bytes that flow through it; a writer's commit is
 * timed on its own (it is where a blob becomes durable).
 *
 * <pre>{@code
 * StorageDriver driver = new ObservedDriver(new FileSystemDriver(root, false),
 *         (op, nanos, failed) -> timers.get(op).record(nanos));
 * }</pre>
 */
public final class ObservedDriver implements StorageDriver {
    /** Receives one call per driver operation; must not block. */
    @FunctionalInterface
    public interface Observer {
        /** @param operation reader, writer, commit, stat, list, move, delete or putall */
        void completed(String operation, long nanos, boolean failed);
    }

    @FunctionalInterface
    private interface Op<T> {
        T run() throws IOException;
    }

    private final StorageDriver delegate;
    private final Observer observer;

    public ObservedDriver(StorageDriver delegate, Observer observer) {
        this.delegate = delegate;
        this.observer = observer;
    }

    private <T> T timed(String operation, Op<T> op) throws IOException {
        long start = System.nanoTime();
        boolean failed = true;
        try {
            T result = op.run();
            failed = false;
            return result;
        } catch (PathNotFoundException e) {
            failed = false; // an answer, not a failure of the driver
            throw e;
        } finally {
            observer.completed(operation, System.nanoTime() - start, failed);
        }
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public ReadableByteChannel reader(String path, long offset) throws IOException {
        return timed("reader", () -> delegate.reader(path, offset));
    }

    @Override
    public ReadableByteChannel uncachedReader(String path) throws IOException {
        return timed("reader", () -> delegate.uncachedReader(path));
    }

    @Override
    public FileWriter writer(String path, long offset) throws IOException {
        return writer(path, offset, -1);
    }

    @Override
    public FileWriter writer(String path, long offset, long expected) throws IOException {
        FileWriter w = timed("writer", () -> delegate.writer(path, offset, expected));
        return new FileWriter() {
            @Override
            public long size() {
                return w.size();
            }

            @Override
            public void commit() throws IOException {
                timed("commit", () -> {
                    w.commit();
                    return null;
                });
            }

            @Override
            public void cancel() throws IOException {
                w.cancel();
            }

            @Override
            public int write(java.nio.ByteBuffer src) throws IOException {
                return w.write(src);
            }

            @Override
            public boolean isOpen() {
                return w.isOpen();
            }

            @Override
            public void close() throws IOException {
                w.close();
            }
        };
    }

    @Override
    public FileInfo stat(String path) throws IOException {
        return timed("stat", () -> delegate.stat(path));
    }

    @Override
    public List<String> list(String path) throws IOException {
        return timed("list", () -> delegate.list(path));
    }

    @Override
    public void move(String source, String destination) throws IOException {
        timed("move", () -> {
            delegate.move(source, destination);
            return null;
        });
    }

    @Override
    public void delete(String path) throws IOException {
        timed("delete", () -> {
            delegate.delete(path);
            return null;
        });
    }

    @Override
    public void putAll(Map<String, byte[]> files, String scratch) throws IOException {
        timed("putall", () -> {
            delegate.putAll(files, scratch);
            return null;
        });
    }

    @Override
    public OptionalLong usableSpace() throws IOException {
        return delegate.usableSpace();
    }

    @Override
    public Optional<URI> redirectUrl(String path, String method) {
        return delegate.redirectUrl(path, method);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
