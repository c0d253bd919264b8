package io.lading.registry;

import io.lading.metadata.MetadataStore;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Keeps what a metadata lookup found for as long as the store reports no commit since ({@link
 * MetadataStore#changeCount}): the lookups every pull starts with (a manifest by tag or digest, a blob of a
 * repository) then cost a map lookup instead of a transaction. A commit by anyone, this process or another one on
 * the same store (an out-of-process {@code lading gc}), changes the count, and every entry read before it is
 * out of date at once. Only what was found is kept: an unknown name is asked again each time.
 *
 * <p>The registry's own pushes are the exception: a push's transaction declares that it brings the lookups it
 * changes up to date itself ({@link io.lading.metadata.WriteTx#updateLookupsOnCommit}), and then its commit leaves
 * the count alone and calls {@link #put} for each of them instead, with the count as of after the commit. A push
 * keeps what it pushed, and does not discard what others pushed.
 *
 * <p>An entry carries the count read <em>before</em> its lookup ran. A commit that lands during the lookup may be
 * in the result, which is then newer than its count says, never older; a commit that changed the count makes the
 * entry unused after it. A push's commit does not change the count, so a lookup that ran before it must not
 * replace what the push put: every put, every lookup result kept and every eviction takes a number from one
 * sequence, and a lookup keeps its result only when nothing was put for its key, and nothing evicted, after the
 * lookup began.
 *
 * <pre>{@code
 * LookupCache<Key, ManifestRecord> cache = new LookupCache<>(metadata, 4096);
 * Optional<ManifestRecord> m = cache.get(key, () -> metadata.read(tx -> tx.taggedManifest(repo, tag)));
 * metadata.write(tx -> { ...; tx.updateLookupsOnCommit(count -> cache.put(key, record, count)); return null; });
 * }</pre>
 */
final class LookupCache<K, V> {
    /**
     * @param sequence taken from {@link #sequence} when the entry was put or its lookup's result kept: orders the
     *                 entries by age, and tells a lookup whether anything was put for its key after it began
     */
    private record Entry<V>(long changeCount, long sequence, V value) {
    }

    private final MetadataStore metadata;
    private final int capacity;
    private final ConcurrentHashMap<K, Entry<V>> entries = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    /** The sequence number of the last eviction; lookups that began before it keep nothing. */
    private volatile long evicted;

    /** @param capacity entries kept; when full, the older half is dropped (see {@link #makeRoom}) */
    LookupCache(MetadataStore metadata, int capacity) {
        this.metadata = metadata;
        this.capacity = capacity;
    }

    /** What {@code lookup} finds for {@code key}, from the cache when nothing was committed since it was kept. */
    Optional<V> get(K key, Supplier<Optional<V>> lookup) {
        long began = sequence.get(); // before the count: a put after this is newer than what the lookup finds
        long count = metadata.changeCount();
        if (count == MetadataStore.NO_CHANGE_COUNT) {
            return lookup.get();
        }
        Optional<V> hit = kept(key, count);
        if (hit.isPresent()) {
            return hit;
        }
        Optional<V> found = lookup.get();
        if (found.isPresent()) {
            makeRoom();
            entries.compute(key, (k, kept) -> began < evicted || (kept != null && kept.sequence() > began) ? kept
                    : new Entry<>(count, sequence.incrementAndGet(), found.get()));
        }
        return found;
    }

    /**
     * What is kept for {@code key} when nothing was committed since; empty when nothing is (or a commit is in
     * flight). Runs no lookup and takes no lock that a lookup or a commit holds for long, so it may be called where
     * blocking is not allowed; {@link #get} is the way to find out.
     */
    Optional<V> peek(K key) {
        long count = metadata.changeCount();
        return count == MetadataStore.NO_CHANGE_COUNT ? Optional.empty() : kept(key, count);
    }

    private Optional<V> kept(K key, long count) {
        Entry<V> entry = entries.get(key);
        return entry != null && entry.changeCount() == count ? Optional.of(entry.value()) : Optional.empty();
    }

    /**
     * Records what {@code key} resolves to as of the committed change count {@code changeCount}, replacing what
     * any lookup that began before found. For {@link io.lading.metadata.WriteTx#updateLookupsOnCommit} actions.
     */
    void put(K key, V value, long changeCount) {
        makeRoom();
        entries.put(key, new Entry<>(changeCount, sequence.incrementAndGet(), value));
    }

    /**
     * When the cache is full, drops the entries of an older change count (which can never be used again), then,
     * when that leaves it more than half full, the older half of the rest by when they were put or looked up: the
     * newest entries are the likeliest to be asked for next (a pull follows its push). Hits do not make an entry
     * newer, so a popular entry is looked up again once a burst of newer ones has pushed it out. An evicted entry
     * may be newer than a lookup that began before, so such lookups keep nothing.
     */
    private void makeRoom() {
        if (entries.size() < capacity) {
            return;
        }
        // Read before the monitor: the count may wait for the store's commit lock, whose holder may be putting
        // here (the updateLookupsOnCommit actions run under it), and would then wait for this monitor.
        long count = metadata.changeCount();
        synchronized (entries) {
            if (entries.size() >= capacity) {
                evicted = sequence.incrementAndGet(); // before evicting: see get
                entries.values().removeIf(e -> e.changeCount() != count);
                if (entries.size() > capacity / 2) {
                    long[] sequences = entries.values().stream().mapToLong(Entry::sequence).sorted().toArray();
                    long cutoff = sequences[sequences.length - capacity / 2];
                    entries.values().removeIf(e -> e.sequence() < cutoff);
                }
            }
        }
    }
}
