package io.lading.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import io.lading.metadata.MetadataStore;
import io.lading.metadata.ObservedMetadataStore;
import io.lading.metadata.sqlite.SqliteMetadataStore;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LookupCacheTest {
    private static final RepositoryName REPO = RepositoryName.of("lib/app");
    private static final Digest LAYER = Digest.of(Digest.Algorithm.SHA256, "layer".getBytes());

    private final AtomicInteger lookups = new AtomicInteger();

    /** The blob's size in REPO as {@code store} has it, counting each time the store is asked. */
    private Supplier<Optional<Long>> size(MetadataStore store) {
        return () -> {
            lookups.incrementAndGet();
            return store.read(tx -> tx.linkedBlobSize(REPO, LAYER));
        };
    }

    private static void link(MetadataStore store, long size) {
        store.write(tx -> {
            tx.claimBlob(LAYER, size);
            tx.linkBlob(REPO, LAYER);
            return null;
        });
    }

    @Test
    void aLookupIsAnsweredFromTheCacheUntilTheStoreCommits() {
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            link(store, 42);
            LookupCache<String, Long> cache = new LookupCache<>(store, 16);
            assertThat(cache.get("k", size(store))).contains(42L);
            assertThat(cache.get("k", size(store))).contains(42L);
            assertThat(lookups).hasValue(1);

            store.write(tx -> tx.unlinkBlob(REPO, LAYER));
            assertThat(cache.get("k", size(store))).isEmpty();
            assertThat(lookups).hasValue(2);
        }
    }

    @Test
    void aPeekAnswersOnlyWhatIsKeptAndNeverAsksTheStore() {
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            link(store, 42);
            LookupCache<String, Long> cache = new LookupCache<>(store, 16);
            assertThat(cache.peek("k")).isEmpty();
            cache.get("k", size(store));
            assertThat(cache.peek("k")).contains(42L);
            assertThat(cache.peek("other")).isEmpty();

            store.write(tx -> tx.unlinkBlob(REPO, LAYER));
            assertThat(cache.peek("k")).as("kept before the commit").isEmpty();
            assertThat(lookups).hasValue(1);
        }
    }

    @Test
    void aCommitOfAnotherStoreOnTheSameDatabaseIsSeenAtOnce(@TempDir Path dir) {
        Path db = dir.resolve("metadata.db");
        try (SqliteMetadataStore store = SqliteMetadataStore.open(db);
             SqliteMetadataStore other = SqliteMetadataStore.open(db)) {
            link(store, 42);
            LookupCache<String, Long> cache = new LookupCache<>(store, 16);
            assertThat(cache.get("k", size(store))).contains(42L);
            assertThat(cache.get("k", size(store))).contains(42L);
            assertThat(lookups).hasValue(1);

            other.write(tx -> tx.unlinkBlob(REPO, LAYER));
            assertThat(cache.get("k", size(store))).isEmpty();
            assertThat(cache.get("k", size(store))).isEmpty();
            assertThat(lookups).as("what was not found is not kept").hasValue(3);
            link(other, 42);
            assertThat(cache.get("k", size(store))).contains(42L);
            assertThat(cache.get("k", size(store))).contains(42L);
            assertThat(lookups).hasValue(4);
        }
    }

    @Test
    void commitsOfBookkeepingOnlyKeepWhatWasFound(@TempDir Path dir) {
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("metadata.db"))) {
            link(store, 42);
            LookupCache<String, Long> cache = new LookupCache<>(store, 16);
            assertThat(cache.get("k", size(store))).contains(42L);
            store.write(MetadataStore.Durability.PROCESS_CRASH_SAFE, tx -> { // an upload session moving on
                tx.putUpload(new io.lading.metadata.UploadRecord(java.util.UUID.randomUUID(), REPO, 0,
                        Digest.Algorithm.SHA256, java.time.Instant.now(), java.time.Instant.now()));
                return null;
            });
            assertThat(cache.get("k", size(store))).contains(42L);
            assertThat(lookups).hasValue(1);
        }
    }

    @Test
    void whatWasNotFoundIsAskedForAgain() {
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            LookupCache<String, Long> cache = new LookupCache<>(store, 16);
            assertThat(cache.get("k", size(store))).isEmpty();
            assertThat(cache.get("k", size(store))).isEmpty();
            assertThat(lookups).hasValue(2);
        }
    }

    @Test
    void aFullCacheStartsOver() {
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            link(store, 42);
            LookupCache<String, Long> cache = new LookupCache<>(store, 2);
            cache.get("a", size(store));
            cache.get("b", size(store));
            cache.get("a", size(store));
            assertThat(lookups).hasValue(2);
            cache.get("c", size(store)); // the third entry: the older half goes, "a"
            cache.get("a", size(store));
            assertThat(lookups).hasValue(4);
        }
    }

    @Test
    void nothingIsKeptWhenTheStoreCannotTellWhetherItChanged() {
        try (SqliteMetadataStore sqlite = SqliteMetadataStore.inMemory()) {
            link(sqlite, 42);
            MetadataStore store = new MetadataStore() { // a store that does not count its commits
                @Override
                public <T> T read(Work<io.lading.metadata.ReadTx, T> work) {
                    return sqlite.read(work);
                }

                @Override
                public <T> T write(Durability durability, Work<io.lading.metadata.WriteTx, T> work) {
                    return sqlite.write(durability, work);
                }

                @Override
                public void copyTo(java.nio.file.Path target) {
                    sqlite.copyTo(target);
                }

                @Override
                public java.util.List<String> integrityProblems() {
                    return sqlite.integrityProblems();
                }

                @Override
                public void ping() {
                }

                @Override
                public void close() {
                }
            };
            LookupCache<String, Long> cache = new LookupCache<>(store, 16);
            cache.get("k", size(store));
            cache.get("k", size(store));
            assertThat(lookups).hasValue(2);

            LookupCache<String, Long> observed = new LookupCache<>(new ObservedMetadataStore(sqlite,
                    (kind, nanos, failed) -> { }), 16);
            observed.get("k", size(sqlite));
            observed.get("k", size(sqlite));
            assertThat(lookups).as("a decorator passes the count on").hasValue(3);
        }
    }

    /** Links LAYER with {@code size} bytes, bringing {@code cache}'s entry "k" up to date itself (as a push does). */
    private static void linkKeeping(MetadataStore store, LookupCache<String, Long> cache, long size) {
        store.write(tx -> {
            tx.claimBlob(LAYER, size);
            tx.linkBlob(REPO, LAYER);
            tx.updateLookupsOnCommit(count -> cache.put("k", size, count));
            return null;
        });
    }

    @Test
    void aWriteThatUpdatesTheCacheItselfKeepsTheOtherEntries(@TempDir Path dir) {
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("metadata.db"))) {
            link(store, 42);
            LookupCache<String, Long> cache = new LookupCache<>(store, 16);
            assertThat(cache.get("other", size(store))).contains(42L);
            assertThat(lookups).hasValue(1);

            store.write(tx -> tx.unlinkBlob(REPO, LAYER)); // a delete: every entry is out of date
            linkKeeping(store, cache, 42);
            assertThat(cache.get("k", size(store))).as("put by the write").contains(42L);
            assertThat(cache.get("other", size(store))).contains(42L);
            assertThat(lookups).as("only the entry from before the delete was looked up again").hasValue(2);
            linkKeeping(store, cache, 42);
            assertThat(cache.get("k", size(store))).contains(42L);
            assertThat(cache.get("other", size(store))).as("the write kept it").contains(42L);
            assertThat(lookups).hasValue(2);
        }
    }

    /**
     * A full cache making room while a commit brings the cache up to date. The commit's action runs under the
     * store's commit lock and puts here (so it wants the cache's monitor); a lookup making room asks for the count,
     * which takes that lock when another process has committed since. Neither may wait for the other while
     * holding what the other needs: before the count was read outside the monitor, both waited for good.
     */
    @Test
    void makingRoomDoesNotWaitForACommitThatIsPuttingHere(@TempDir Path dir) throws Exception {
        Path db = dir.resolve("metadata.db");
        SqliteMetadataStore store = SqliteMetadataStore.open(db);
        SqliteMetadataStore other = SqliteMetadataStore.open(db);
        link(store, 42);
        LookupCache<String, Long> cache = new LookupCache<>(store, 2);
        cache.get("a", size(store));
        cache.get("b", size(store)); // full
        CountDownLatch commitActing = new CountDownLatch(1);
        CountDownLatch lookingUp = new CountDownLatch(1);
        CountDownLatch otherCommitted = new CountDownLatch(1);
        Thread lookup = Thread.ofPlatform().daemon().unstarted(() -> {
            await(commitActing);
            cache.get("c", () -> { // then makes room, after another process's commit: the count needs the lock
                lookingUp.countDown();
                await(otherCommitted);
                return Optional.of(7L);
            });
        });
        Thread commit = Thread.ofPlatform().daemon().unstarted(() -> store.write(tx -> {
            tx.linkBlob(RepositoryName.of("lib/other"), LAYER);
            tx.updateLookupsOnCommit(count -> { // under the commit lock
                commitActing.countDown();
                await(lookingUp);
                other.write(o -> {
                    o.linkBlob(RepositoryName.of("lib/third"), LAYER);
                    return null;
                });
                otherCommitted.countDown();
                sleep(300); // the lookup is making room by now, and waits for the commit lock
                cache.put("d", 1L, count);
            });
            return null;
        }));
        lookup.start();
        commit.start();
        commit.join(10_000);
        lookup.join(10_000);
        boolean stuck = commit.isAlive() || lookup.isAlive();
        if (!stuck) { // a stuck commit holds the store: closing would wait for it
            store.close();
            other.close();
        }
        assertThat(stuck).as("the commit or the lookup waits for good").isFalse();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A lookup that finds {@code value}, counted. */
    private Supplier<Optional<Long>> finding(long value) {
        return () -> {
            lookups.incrementAndGet();
            return Optional.of(value);
        };
    }

    @Test
    void aLookupThatBeganBeforeAPutDoesNotReplaceWhatWasPut(@TempDir Path dir) {
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("metadata.db"))) {
            LookupCache<String, Long> cache = new LookupCache<>(store, 16);
            long count = store.changeCount();
            // The lookup read 42; before it returns, a push that leaves the count commits 43 and puts it.
            assertThat(cache.get("k", () -> {
                cache.put("k", 43L, count);
                return Optional.of(42L);
            })).contains(42L);
            assertThat(store.changeCount()).isEqualTo(count);
            assertThat(cache.get("k", finding(0))).as("the put stands, not the older lookup").contains(43L);
            assertThat(lookups).hasValue(0);
        }
    }

    @Test
    void aLookupThatBeganBeforeAnEvictionKeepsNothing(@TempDir Path dir) {
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("metadata.db"))) {
            long count = store.changeCount();
            // The eviction drops the older half, the lookup's key among them (it was put before the others).
            for (int i = 0; i < 10; i++) {
                String key = "k" + i;
                LookupCache<String, Long> cache = new LookupCache<>(store, 8);
                // The lookup read 42; meanwhile a push put 43, and the cache, full, evicted half its entries.
                assertThat(cache.get(key, () -> {
                    cache.put(key, 43L, count);
                    for (int j = 0; j < 8; j++) {
                        cache.put("other" + j, (long) j, count);
                    }
                    return Optional.of(42L);
                })).contains(42L);
                assertThat(cache.get(key, finding(43))).as("kept or looked up again, never the older lookup")
                        .contains(43L);
            }
        }
    }

    @Test
    void aFullCacheKeepsHalfItsEntries(@TempDir Path dir) {
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("metadata.db"))) {
            long count = store.changeCount();
            LookupCache<String, Long> cache = new LookupCache<>(store, 100);
            for (int i = 0; i < 100; i++) {
                cache.put("k" + i, (long) i, count);
            }
            cache.put("last", 100L, count);
            int kept = 0;
            for (int i = 0; i < 100; i++) {
                kept += cache.get("k" + i, Optional::empty).isPresent() ? 1 : 0; // what is not found is not kept
            }
            assertThat(kept).isEqualTo(50);
            assertThat(cache.get("last", Optional::empty)).contains(100L);
        }
    }

    @Test
    void aFullCacheDropsTheOlderHalfSoWhatWasJustPushedStays(@TempDir Path dir) {
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("metadata.db"))) {
            long count = store.changeCount();
            LookupCache<String, Long> cache = new LookupCache<>(store, 8);
            cache.put("k0", 0L, count);
            assertThat(cache.get("looked-up", finding(1))).contains(1L); // a kept lookup is an entry like a put
            for (int i = 2; i < 8; i++) {
                cache.put("k" + i, (long) i, count);
            }
            cache.put("new", 8L, count);
            for (String gone : new String[]{"k0", "looked-up", "k2", "k3"}) {
                assertThat(cache.get(gone, Optional::empty)).as(gone).isEmpty();
            }
            for (int i = 4; i < 8; i++) {
                assertThat(cache.get("k" + i, Optional::empty)).contains((long) i);
            }
            assertThat(cache.get("new", Optional::empty)).contains(8L);
        }
    }

    @Test
    void entriesOfAnOlderCountAreDroppedBeforeAnyCurrentOne(@TempDir Path dir) {
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("metadata.db"))) {
            long count = store.changeCount();
            LookupCache<String, Long> cache = new LookupCache<>(store, 8);
            for (int i = 0; i < 4; i++) {
                cache.put("current" + i, (long) i, count);
            }
            for (int i = 0; i < 4; i++) {
                cache.put("stale" + i, (long) i, count - 1); // newer entries, of a count the store has moved past
            }
            cache.put("new", 8L, count);
            for (int i = 0; i < 4; i++) {
                assertThat(cache.get("current" + i, Optional::empty)).contains((long) i);
            }
            assertThat(cache.get("new", Optional::empty)).contains(8L);
        }
    }
}
