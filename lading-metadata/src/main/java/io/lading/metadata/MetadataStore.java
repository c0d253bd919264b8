package io.lading.metadata;

import io.lading.core.Digest;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * The source of truth for what the registry holds: repositories, tags, manifests and the content they
 * reference, blob links, referrers and upload sessions. Blob bytes are not here (see lading-storage).
 *
 * <p>Every change runs in one transaction: {@link #write} either applies all of a unit of work or none of it,
 * and write transactions are serialisable, which is what settles concurrent pushes of the same tag
 * (the last commit wins, nothing is torn) with no lock on the request path above this store.
 *
 * <pre>{@code
 * store.write(tx -> {
 *     tx.claimBlob(digest, size);
 *     tx.linkBlob(repo, digest);
 *     return null;
 * });
 * boolean linked = store.read(tx -> tx.hasBlob(repo, digest));
 * }</pre>
 */
public interface MetadataStore extends AutoCloseable {

    /** Runs read-only work; it may see a snapshot that is slightly behind concurrent writes. */
    <T> T read(Work<ReadTx, T> work);

    /**
     * Runs work in one serialisable transaction; if it throws, nothing of it is applied. When this returns the
     * change is durable: it survives a process crash, an OS crash and a power cut.
     */
    default <T> T write(Work<WriteTx, T> work) {
        return write(Durability.DURABLE, work);
    }

    /** Runs work in one serialisable transaction with the given durability. */
    <T> T write(Durability durability, Work<WriteTx, T> work);

    /** What {@link #changeCount} returns when the store cannot tell, at that moment, whether something changed. */
    long NO_CHANGE_COUNT = Long.MIN_VALUE;

    /**
     * A number that is different after every committed write that may change a lookup of a manifest, tag,
     * repository or blob link, whoever committed it: this process or another one sharing the store (an
     * out-of-process {@code lading gc}, a second registry). Writes of bookkeeping alone (upload sessions, staged
     * bytes, event deliveries) may leave it. It lets a caller keep the result of such a lookup for as long as the
     * number stays the same. Reading it must cost next to nothing. A store that cannot tell (or a decorator that
     * does not know) returns {@link #NO_CHANGE_COUNT}, and then nothing may be kept.
     */
    default long changeCount() {
        return NO_CHANGE_COUNT;
    }

    /**
     * Calls {@code visitor} with every blob {@link ReadTx#blobs} walks, in digest order, {@code pageSize} to a read
     * transaction, so that none stays open while the visitor works (it may read and write the store itself).
     */
    default void forEachBlob(int pageSize, Consumer<BlobRecord> visitor) {
        Digest after = null;
        while (true) {
            Digest from = after;
            List<BlobRecord> page = read(tx -> tx.blobs(from, pageSize));
            if (page.isEmpty()) {
                return;
            }
            page.forEach(visitor);
            after = page.get(page.size() - 1).digest();
        }
    }

    /**
     * Writes a consistent copy of the whole store to {@code target}, which must not exist, and makes it durable,
     * while reads and writes go on (a backup that {@link #forEachBlob} can then walk like the store itself).
     */
    void copyTo(Path target);

    /**
     * Checks the store's own consistency (its files, its indexes, the references between its records, and that
     * every tag names a manifest of its repository) and says what is wrong, one sentence per problem, at most
     * {@value #INTEGRITY_PROBLEMS} of them; empty when it is sound. It reads the whole store, as one transaction
     * sees it, while reads and writes go on.
     */
    List<String> integrityProblems();

    /** The most problems {@link #integrityProblems} lists. */
    int INTEGRITY_PROBLEMS = 100;

    /** Checks the store is reachable (health checks). */
    void ping();

    @Override
    void close();

    /** How far a committed change is guaranteed to survive. */
    enum Durability {
        /** On stable storage before {@code write} returns (an fsync): for everything a client was told is stored. */
        DURABLE,
        /**
         * Visible to every reader and kept across a crash or {@code kill -9} of the registry, but an OS crash or
         * power cut may roll back the latest such changes (they become durable with the next durable write). For
         * state a client can rebuild, such as upload-session bookkeeping, where an fsync per request costs more
         * than the rare retry.
         */
        PROCESS_CRASH_SAFE
    }

    /** A unit of work inside a transaction. */
    @FunctionalInterface
    interface Work<X, T> {
        T run(X tx);
    }
}
