package io.lading.metadata;

/**
 * Wraps any metadata store and reports how long each transaction took, from the call to its return (for a
 * write: queueing for the writer, the work, and the commit it shares with its group), and whether it failed.
 * An exception thrown by the work itself (a registry rule refusing the change) counts as a failure too.
 *
 * <pre>{@code
 * MetadataStore store = new ObservedMetadataStore(SqliteMetadataStore.open(file),
 *         (kind, nanos, failed) -> timers.get(kind).record(nanos));
 * }</pre>
 */
public final class ObservedMetadataStore implements MetadataStore {
    /** Receives one call per transaction; must not block. */
    @FunctionalInterface
    public interface Observer {
        /** @param kind read, write or write_crash_safe */
        void completed(String kind, long nanos, boolean failed);
    }

    private final MetadataStore delegate;
    private final Observer observer;

    public ObservedMetadataStore(MetadataStore delegate, Observer observer) {
        this.delegate = delegate;
        this.observer = observer;
    }

    @Override
    public void copyTo(java.nio.file.Path target) {
        delegate.copyTo(target);
    }

    @Override
    public java.util.List<String> integrityProblems() {
        return delegate.integrityProblems();
    }

    @Override
    public <T> T read(Work<ReadTx, T> work) {
        long start = System.nanoTime();
        boolean failed = true;
        try {
            T result = delegate.read(work);
            failed = false;
            return result;
        } finally {
            observer.completed("read", System.nanoTime() - start, failed);
        }
    }

    @Override
    public <T> T write(Durability durability, Work<WriteTx, T> work) {
        long start = System.nanoTime();
        boolean failed = true;
        try {
            T result = delegate.write(durability, work);
            failed = false;
            return result;
        } finally {
            observer.completed(durability == Durability.DURABLE ? "write" : "write_crash_safe",
                    System.nanoTime() - start, failed);
        }
    }

    @Override
    public long changeCount() {
        return delegate.changeCount();
    }

    @Override
    public void ping() {
        delegate.ping();
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
