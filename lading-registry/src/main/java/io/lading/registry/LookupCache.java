package io.lading.registry;

import io.lading.metadata.MetadataStore;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Keeps what a metadata lookup found for as long as the store reports no commit since ({@link
 * MetadataStore#changeCount}): the lookups every pull starts with (a manifest by tag or digest, a blob of a
 * repository) then cost a map lookup instead of a transaction. A commit by anyone, this process or another one on
 * the same store (an out-of-process {@code lading gc}), changes the count, and every entry read before it is
 * out of date at once. Only what was found is kept: an unknown name is asked again each time.
 *
 * <p>An entry carries the count read <em>before</em> its lookup ran. A commit that lands during the lookup may be
 * in the result, which is then newer than its count says, never older; the commit changed the count, so the
 * entry is not used after it.
 *
 * <pre>{@code
 * LookupCache<Key, ManifestRecord> cache = new LookupCache<>(metadata, 4096);
 * Optional<ManifestRecord> m = cache.get(key, () -> metadata.read(tx -> tx.taggedManifest(repo, tag)));
 * }</pre>
 */
final class LookupCache<K, V> {
    private record Entry<V>(long changeCount, V value) {
    }

    private final MetadataStore metadata;
    private final int capacity;
    private final ConcurrentHashMap<K, Entry<V>> entries = new ConcurrentHashMap<>();

    /** @param capacity entries kept; when full, all are dropped (entries of older counts are garbage anyway) */
    LookupCache(MetadataStore metadata, int capacity) {
        this.metadata = metadata;
        this.capacity = capacity;
    }

    /** What {@code lookup} finds for {@code key}, from the cache when nothing was committed since it was kept. */
    Optional<V> get(K key, Supplier<Optional<V>> lookup) {
        long count = metadata.changeCount();
        if (count == MetadataStore.NO_CHANGE_COUNT) {
            return lookup.get();
        }
        Entry<V> entry = entries.get(key);
        if (entry != null && entry.changeCount() == count) {
            return Optional.of(entry.value());
        }
        Optional<V> found = lookup.get();
        if (found.isPresent()) {
            if (entries.size() >= capacity) {
                entries.clear();
            }
            entries.put(key, new Entry<>(count, found.get()));
        }
        return found;
    }
}
