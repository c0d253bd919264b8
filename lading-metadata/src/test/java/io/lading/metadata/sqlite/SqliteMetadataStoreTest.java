package io.lading.metadata.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import io.lading.core.Tag;
import io.lading.metadata.BlobRecord;
import io.lading.metadata.BlobUse;
import io.lading.metadata.ManifestRecord;
import io.lading.metadata.UploadRecord;
import io.lading.metadata.WriteTx;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteMetadataStoreTest {
    private static final RepositoryName REPO = RepositoryName.of("lib/app");

    private static Digest d(String s) {
        return Digest.of(Digest.Algorithm.SHA256, s.getBytes());
    }

    private static ManifestRecord manifest(String seed, Digest subject) {
        return new ManifestRecord(d(seed), "application/vnd.oci.image.manifest.v1+json", 100, subject,
                "application/x", Map.of("k", seed), Instant.now());
    }

    /** Records a manifest the way a push does: its bytes claimed as a blob first. */
    private static boolean putManifest(io.lading.metadata.WriteTx tx, RepositoryName repository, ManifestRecord m,
                                       List<Digest> blobs, List<Digest> manifests) {
        tx.claimBlob(m.digest(), m.size());
        return tx.putManifest(repository, m, blobs, manifests);
    }

    @Test
    void stagedBytesBelongToAClaimedBlobAndAreStagedOnce() {
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            assertThatThrownBy(() -> store.write(tx -> {
                tx.staging().stage(d("unclaimed"), new byte[] {1});
                return null;
            })).isInstanceOf(io.lading.metadata.MetadataException.class).hasMessageContaining("not claimed");
            store.write(tx -> {
                tx.claimBlob(d("first"), 1);
                tx.claimBlob(d("second"), 2);
                tx.staging().stage(d("second"), new byte[] {2, 2});
                tx.staging().stage(d("first"), new byte[] {1});
                tx.staging().stage(d("first"), new byte[] {9}); // staged already: kept as it was
                return null;
            });
            assertThat(store.<java.util.Optional<byte[]>>read(tx -> tx.staging().get(d("first"))))
                    .hasValueSatisfying(b -> assertThat(b).containsExactly(1));
            // Oldest blob first (claimed first), whatever the order of staging.
            assertThat(store.<List<io.lading.metadata.StagingView.StagedBlob>>read(tx -> tx.staging().first(10)))
                    .extracting(io.lading.metadata.StagingView.StagedBlob::digest)
                    .containsExactly(d("first"), d("second"));
            assertThat(store.<Boolean>write(tx -> tx.staging().unstage(d("first")))).isTrue();
            assertThat(store.<Boolean>write(tx -> tx.staging().unstage(d("first")))).isFalse();
        }
    }

    @Test
    void pagesOfLinksAndManifestsContinueWhereThePageBeforeEnded() {
        Instant later = Instant.now().plusSeconds(3600);
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            List<Digest> links = new java.util.ArrayList<>();
            store.write(tx -> {
                for (String seed : new String[]{"e", "a", "d", "b", "c"}) {
                    tx.claimBlob(d(seed), 1);
                    tx.linkBlob(REPO, d(seed));
                    links.add(d(seed));
                    putManifest(tx, REPO, manifest("m" + seed, null), List.of(), List.of());
                }
                return null;
            });
            List<Digest> walked = new java.util.ArrayList<>();
            List<Digest> manifests = new java.util.ArrayList<>();
            for (Digest after = null; ; ) {
                Digest from = after;
                List<Digest> page = store.<List<Digest>>write(tx -> tx.unreferencedLinks(REPO, later, from, 2));
                walked.addAll(page);
                if (page.size() < 2) {
                    break;
                }
                after = page.get(page.size() - 1);
            }
            for (Digest after = null; ; ) {
                Digest from = after;
                List<Digest> page = store.<List<Digest>>read(tx -> tx.manifestDigests(REPO, from, 2));
                manifests.addAll(page);
                if (page.size() < 2) {
                    break;
                }
                after = page.get(page.size() - 1);
            }
            assertThat(walked).containsExactlyElementsOf(links); // each once, in the order they came
            assertThat(manifests).containsExactly(d("me"), d("ma"), d("md"), d("mb"), d("mc"));
        }
    }

    @Test
    void everyBlobIsWalkedOnceInDigestOrderAndTellsWhereItIsUsed() {
        RepositoryName other = RepositoryName.of("lib/other");
        ManifestRecord image = manifest("image", null);
        Digest layer = d("layer");
        Digest lonely = d("claimed, never linked");
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            store.write(tx -> {
                tx.claimBlob(layer, 5);
                tx.linkBlob(REPO, layer);
                tx.linkBlob(other, layer);
                putManifest(tx, REPO, image, List.of(layer), List.of());
                tx.putTag(REPO, Tag.of("v1"), image.digest());
                tx.putTag(REPO, Tag.of("latest"), image.digest());
                tx.claimBlob(lonely, 7);
                for (int i = 0; i < 10; i++) {
                    tx.claimBlob(d("filler" + i), i);
                }
                return null;
            });
            List<BlobRecord> walked = new java.util.ArrayList<>();
            for (Digest after = null; ; ) {
                Digest from = after;
                List<BlobRecord> page = store.read(tx -> tx.blobs(from, 4));
                if (page.isEmpty()) {
                    break;
                }
                walked.addAll(page);
                after = page.get(page.size() - 1).digest();
            }
            assertThat(walked).hasSize(13).contains(new BlobRecord(layer, 5), new BlobRecord(lonely, 7),
                    new BlobRecord(image.digest(), 100));
            assertThat(walked).extracting(r -> r.digest().toString()).isSorted();
            List<BlobRecord> visited = new java.util.ArrayList<>();
            store.forEachBlob(3, visited::add);
            assertThat(visited).as("the same walk, three to a read transaction").isEqualTo(walked);

            assertThat(store.<List<BlobUse>>read(tx -> tx.blobUses(layer, 10))).containsExactlyInAnyOrder(
                    new BlobUse(REPO, null, List.of()), new BlobUse(other, null, List.of()),
                    new BlobUse(REPO, image.digest(), List.of("latest", "v1")));
            assertThat(store.<List<BlobUse>>read(tx -> tx.blobUses(image.digest(), 10)))
                    .containsExactly(new BlobUse(REPO, image.digest(), List.of("latest", "v1")));
            assertThat(store.<List<BlobUse>>read(tx -> tx.blobUses(layer, 1))).hasSize(1);
            assertThat(store.<List<BlobUse>>read(tx -> tx.blobUses(lonely, 10))).isEmpty();

            // A blob the collector is deleting is not walked.
            store.write(tx -> tx.markDeleting(lonely, Instant.now().plusSeconds(60)));
            assertThat(store.<List<BlobRecord>>read(tx -> tx.blobs(null, 100))).hasSize(12)
                    .doesNotContain(new BlobRecord(lonely, 7));
        }
    }

    @Test
    void aCopyIsAStoreOfItsOwnWithWhatWasCommittedBeforeIt(@TempDir Path dir) {
        ManifestRecord image = manifest("image", null);
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("metadata.db"));
             SqliteMetadataStore memory = SqliteMetadataStore.inMemory()) {
            for (SqliteMetadataStore s : List.of(store, memory)) {
                s.write(tx -> {
                    tx.claimBlob(d("layer"), 5);
                    tx.linkBlob(REPO, d("layer"));
                    putManifest(tx, REPO, image, List.of(d("layer")), List.of());
                    tx.putTag(REPO, Tag.of("v1"), image.digest());
                    tx.claimBlob(d("staged"), 1);
                    tx.staging().stage(d("staged"), new byte[] {7});
                    return null;
                });
            }
            store.copyTo(dir.resolve("copy.db"));
            memory.copyTo(dir.resolve("memory-copy.db"));
            store.write(tx -> {
                tx.putTag(REPO, Tag.of("after"), image.digest());
                return null;
            });
            assertThatThrownBy(() -> store.copyTo(dir.resolve("copy.db")))
                    .isInstanceOf(io.lading.metadata.MetadataException.class).hasMessageContaining("exists");

            for (String name : new String[]{"copy.db", "memory-copy.db"}) {
                try (SqliteMetadataStore copy = SqliteMetadataStore.open(dir.resolve(name))) {
                    assertThat(copy.<java.util.Optional<ManifestRecord>>read(tx -> tx.taggedManifest(REPO,
                            Tag.of("v1")))).as(name).isPresent();
                    assertThat(copy.<List<String>>read(tx -> tx.tags(REPO, null, 10))).as(name)
                            .containsExactly("v1");
                    assertThat(copy.<java.util.Optional<byte[]>>read(tx -> tx.staging().get(d("staged"))))
                            .as("staged bytes are in the copy").isPresent();
                }
            }
        }
    }

    /**
     * Damage of three kinds, made with SQL behind the store's back: an index that no longer matches its table, a
     * row whose parent row is gone, and a tag whose manifest is gone. Each is found and said in words.
     */
    @Test
    void integrityProblemsNameAnIndexThatDisagreesARowWithoutItsParentAndATagWithoutItsManifest(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("metadata.db");
        ManifestRecord image = manifest("image", null);
        ManifestRecord other = manifest("other", null);
        try (SqliteMetadataStore store = SqliteMetadataStore.open(file);
             SqliteMetadataStore memory = SqliteMetadataStore.inMemory()) {
            for (SqliteMetadataStore st : List.of(store, memory)) {
                st.write(tx -> {
                    tx.claimBlob(d("layer"), 5);
                    tx.linkBlob(REPO, d("layer"));
                    putManifest(tx, REPO, image, List.of(d("layer")), List.of());
                    putManifest(tx, REPO, other, List.of(), List.of());
                    tx.putTag(REPO, Tag.of("v1"), image.digest());
                    tx.putTag(REPO, Tag.of("v2"), other.digest());
                    return null;
                });
                assertThat(st.integrityProblems()).as("sound").isEmpty();
            }
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
             java.sql.Statement s = c.createStatement()) {
            s.execute("PRAGMA writable_schema = ON"); // the index now claims to hold another column
            s.execute("UPDATE sqlite_schema SET sql = 'CREATE INDEX tags_by_blob ON tags (updated_at, repository_id)'"
                    + " WHERE name = 'tags_by_blob'");
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
             java.sql.Statement s = c.createStatement()) {
            s.execute("PRAGMA foreign_keys = OFF");
            s.execute("DELETE FROM repository_blobs"); // the layer's link goes; then its blob row
            s.execute("DELETE FROM manifest_references");
            s.execute("DELETE FROM blobs WHERE digest = '" + d("layer") + "'");
            s.execute("DELETE FROM manifests WHERE blob_id = (SELECT id FROM blobs WHERE digest = '"
                    + other.digest() + "')");
        }
        try (SqliteMetadataStore store = SqliteMetadataStore.open(file)) {
            List<String> problems = store.integrityProblems();
            assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("SQLite integrity check:")
                    .contains("tags_by_blob"));
            assertThat(problems).contains("tag v2 of " + REPO + " names " + other.digest()
                    + ", which is not a manifest of that repository");
            assertThat(problems).as("sound rows are not named").noneMatch(p -> p.contains("tag v1 "));
            assertThat(problems).hasSizeLessThanOrEqualTo(io.lading.metadata.MetadataStore.INTEGRITY_PROBLEMS);
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
             java.sql.Statement s = c.createStatement()) {
            s.execute("PRAGMA foreign_keys = OFF");
            s.execute("DELETE FROM repositories");
        }
        try (SqliteMetadataStore store = SqliteMetadataStore.open(file)) {
            assertThat(store.integrityProblems()).contains(
                    "a row of tags refers to a row of repositories that does not exist",
                    "a row of manifests refers to a row of repositories that does not exist");
        }
    }

    @Test
    void tagPagesAreKeysetScansInByteOrder() {
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            store.write(tx -> {
                putManifest(tx, REPO, manifest("m", null), List.of(), List.of());
                for (String t : new String[]{"b", "A", "a", "c", "_"}) {
                    tx.putTag(REPO, Tag.of(t), d("m"));
                }
                return null;
            });
            assertThat(store.<List<String>>read(tx -> tx.tags(REPO, null, 10))).containsExactly("A", "_", "a", "b", "c");
            assertThat(store.<List<String>>read(tx -> tx.tags(REPO, "_", 2))).containsExactly("a", "b");
            assertThat(store.<List<String>>read(tx -> tx.tags(RepositoryName.of("other"), null, 10))).isEmpty();
        }
    }

    @Test
    void retaggingMovesTheTagAndDeletingAManifestRemovesItsTags() {
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            store.write(tx -> {
                putManifest(tx, REPO, manifest("one", null), List.of(d("layer")), List.of());
                putManifest(tx, REPO, manifest("two", null), List.of(), List.of());
                tx.putTag(REPO, Tag.of("latest"), d("one"));
                tx.putTag(REPO, Tag.of("latest"), d("two"));
                tx.putTag(REPO, Tag.of("stable"), d("two"));
                return null;
            });
            assertThat(store.<java.util.Optional<Digest>>read(tx -> tx.taggedManifest(REPO, Tag.of("latest"))
                    .map(ManifestRecord::digest))).hasValue(d("two"));
            assertThat(store.<Boolean>write(tx -> tx.deleteManifest(REPO, d("two")))).isTrue();
            assertThat(store.<List<String>>read(tx -> tx.tags(REPO, null, 10))).isEmpty();
            assertThat(store.<java.util.Optional<ManifestRecord>>read(tx -> tx.manifest(REPO, d("one")))).isPresent();
            assertThat(store.<Boolean>write(tx -> tx.deleteManifest(REPO, d("two")))).isFalse();
        }
    }

    @Test
    void tagsUnchangedSinceACutoffAreTheOnesPutBeforeItAndAMoveCountsAsAPut() throws Exception {
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            store.write(tx -> {
                putManifest(tx, REPO, manifest("one", null), List.of(), List.of());
                putManifest(tx, REPO, manifest("two", null), List.of(), List.of());
                for (String t : new String[] {"c", "a", "b"}) {
                    tx.putTag(REPO, Tag.of(t), d("one"));
                }
                return null;
            });
            Thread.sleep(5);
            Instant cutoff = Instant.now();
            Thread.sleep(5);
            store.write(tx -> {
                tx.putTag(REPO, Tag.of("b"), d("two")); // moved after the cutoff
                tx.putTag(REPO, Tag.of("new"), d("two"));
                return null;
            });
            assertThat(store.<List<Tag>>write(tx -> tx.tagsUnchangedSince(REPO, cutoff, 10)))
                    .containsExactly(Tag.of("a"), Tag.of("c"));
            assertThat(store.<List<Tag>>write(tx -> tx.tagsUnchangedSince(REPO, cutoff, 1))).hasSize(1);
            assertThat(store.<List<Tag>>write(tx -> tx.tagsUnchangedSince(RepositoryName.of("none"), cutoff, 10)))
                    .isEmpty();
        }
    }

    @Test
    void aBlobHasASizeInARepositoryOnlyWhileLinkedThere() {
        RepositoryName other = RepositoryName.of("lib/other");
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            store.write(tx -> {
                tx.claimBlob(d("layer"), 42);
                tx.linkBlob(REPO, d("layer"));
                tx.claimBlob(d("elsewhere"), 7);
                tx.linkBlob(other, d("elsewhere"));
                return null;
            });
            assertThat(store.<java.util.Optional<Long>>read(tx -> tx.linkedBlobSize(REPO, d("layer")))).contains(42L);
            assertThat(store.<java.util.Optional<Long>>read(tx -> tx.linkedBlobSize(other, d("layer")))).isEmpty();
            assertThat(store.<java.util.Optional<Long>>read(tx -> tx.linkedBlobSize(REPO, d("elsewhere")))).isEmpty();
            assertThat(store.<java.util.Optional<Long>>read(tx -> tx.linkedBlobSize(REPO, d("unknown")))).isEmpty();
            store.write(tx -> tx.unlinkBlob(REPO, d("layer")));
            assertThat(store.<java.util.Optional<Long>>read(tx -> tx.linkedBlobSize(REPO, d("layer")))).isEmpty();
        }
    }

    @Test
    void aTagLeadsToItsManifestRecordInOneLookup() {
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            store.write(tx -> {
                putManifest(tx, REPO, manifest("one", null), List.of(), List.of());
                putManifest(tx, RepositoryName.of("lib/other"), manifest("two", null), List.of(), List.of());
                tx.putTag(REPO, Tag.of("latest"), d("one"));
                tx.putTag(RepositoryName.of("lib/other"), Tag.of("stable"), d("two"));
                return null;
            });
            assertThat(store.<java.util.Optional<ManifestRecord>>read(tx -> tx.taggedManifest(REPO, Tag.of("latest"))))
                    .hasValueSatisfying(m -> assertThat(m.digest()).isEqualTo(d("one")));
            assertThat(store.<java.util.Optional<ManifestRecord>>read(tx -> tx.taggedManifest(REPO, Tag.of("stable"))))
                    .isEmpty();
            store.write(tx -> tx.deleteManifest(REPO, d("one")));
            assertThat(store.<java.util.Optional<ManifestRecord>>read(tx -> tx.taggedManifest(REPO, Tag.of("latest"))))
                    .isEmpty();
        }
    }

    @Test
    void failedWorkIsRolledBackWhole() {
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            assertThatThrownBy(() -> store.write(tx -> {
                tx.claimBlob(d("x"), 1);
                tx.linkBlob(REPO, d("x"));
                throw new IllegalStateException("boom");
            })).hasMessage("boom");
            assertThat(store.<java.util.Optional<Long>>read(tx -> tx.blobSize(d("x")))).isEmpty();
            assertThat(store.<Boolean>read(tx -> tx.repositoryExists(REPO))).isFalse();
            // The rollback ended the transaction: the next write (alone in its group too) commits.
            store.write(tx -> {
                tx.claimBlob(d("y"), 2);
                return null;
            });
            assertThat(store.<java.util.Optional<Long>>read(tx -> tx.blobSize(d("y")))).contains(2L);
        }
    }

    @Test
    void referrersAreFoundBySubject() {
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            store.write(tx -> {
                putManifest(tx, REPO, manifest("sig", d("subject")), List.of(), List.of());
                putManifest(tx, REPO, manifest("unrelated", null), List.of(), List.of());
                return null;
            });
            List<ManifestRecord> refs = store.<List<ManifestRecord>>read(tx -> tx.referrers(REPO, d("subject")));
            assertThat(refs).hasSize(1);
            assertThat(refs.get(0).annotations()).containsEntry("k", "sig");
        }
    }

    @Test
    void uploadSessionsAndSchemaSurviveReopening(@TempDir Path dir) {
        Path file = dir.resolve("metadata.db");
        UUID id = UUID.randomUUID();
        Instant old = Instant.now().minusSeconds(3600);
        try (SqliteMetadataStore store = SqliteMetadataStore.open(file)) {
            store.write(tx -> {
                tx.putUpload(new UploadRecord(id, REPO, 0, Digest.Algorithm.SHA256, old, old));
                tx.putUpload(new UploadRecord(id, REPO, 42, Digest.Algorithm.SHA256, old, old));
                return null;
            });
        }
        try (SqliteMetadataStore store = SqliteMetadataStore.open(file)) {
            assertThat(store.<java.util.Optional<UploadRecord>>read(tx -> tx.upload(id)).orElseThrow().offset()).isEqualTo(42);
            assertThat(store.<List<UploadRecord>>write(tx -> tx.uploadsUpdatedBefore(Instant.now().minusSeconds(60), 10))).hasSize(1);
            assertThat(store.<List<UploadRecord>>write(tx -> tx.uploadsUpdatedBefore(old.minusSeconds(1), 10))).isEmpty();
        }
    }

    @Test
    void concurrentWritesCommitTogetherAndAFailingOneLeavesTheOthersApplied(@TempDir Path dir) throws Exception {
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("m.db"))) {
            int writers = 400; // more than one group (128) can hold
            List<Thread> threads = new java.util.ArrayList<>();
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.ConcurrentLinkedQueue<Throwable> errors = new java.util.concurrent.ConcurrentLinkedQueue<>();
            for (int i = 0; i < writers; i++) {
                int n = i;
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        start.await();
                        store.write(tx -> {
                            tx.claimBlob(d("blob" + n), n);
                            tx.linkBlob(REPO, d("blob" + n));
                            if (n % 8 == 0) {
                                throw new IllegalStateException("refused " + n);
                            }
                            return null;
                        });
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                }));
            }
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }
            // Exactly the failing works failed, each with its own exception, and only their changes are missing.
            assertThat(errors).hasSize(writers / 8).allSatisfy(e -> assertThat(e).isInstanceOf(IllegalStateException.class));
            for (int i = 0; i < writers; i++) {
                int n = i;
                assertThat(store.<Boolean>read(tx -> tx.hasBlob(REPO, d("blob" + n)))).as("blob %d", n).isEqualTo(n % 8 != 0);
            }
        }
    }

    @Test
    void processCrashSafeWritesAreVisibleToReadersAndSurviveReopening(@TempDir Path dir) {
        UploadRecord u = new UploadRecord(UUID.randomUUID(), REPO, 0, Digest.Algorithm.SHA256, Instant.now(), Instant.now());
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("m.db"))) {
            store.write(io.lading.metadata.MetadataStore.Durability.PROCESS_CRASH_SAFE, tx -> {
                tx.putUpload(u);
                return null;
            });
            assertThat(store.<java.util.Optional<UploadRecord>>read(tx -> tx.upload(u.id()))).isPresent();
        }
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("m.db"))) {
            assertThat(store.<java.util.Optional<UploadRecord>>read(tx -> tx.upload(u.id()))).isPresent();
        }
    }

    @Test
    void theChangeCountMovesWithEveryCommitOfAnyConnectionAndNotWithReads(@TempDir Path dir) throws Exception {
        Path db = dir.resolve("m.db");
        try (SqliteMetadataStore store = SqliteMetadataStore.open(db)) {
            long start = store.changeCount();
            assertThat(start).isNotEqualTo(io.lading.metadata.MetadataStore.NO_CHANGE_COUNT);
            store.read(tx -> tx.linkedBlobSize(REPO, d("layer")));
            assertThat(store.changeCount()).isEqualTo(start);

            store.write(tx -> {
                tx.claimBlob(d("layer"), 42);
                tx.linkBlob(REPO, d("layer"));
                return null;
            });
            long afterOwn = store.changeCount();
            assertThat(afterOwn).isNotEqualTo(start);

            // A connection of its own, as another process (an out-of-process lading gc) would have.
            try (java.sql.Connection other = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
                 java.sql.Statement s = other.createStatement()) {
                s.execute("PRAGMA busy_timeout = 10000");
                s.executeUpdate("DELETE FROM repository_blobs");
            }
            long afterOther = store.changeCount();
            assertThat(afterOther).isNotEqualTo(afterOwn);
            assertThat(store.<java.util.Optional<Long>>read(tx -> tx.linkedBlobSize(REPO, d("layer")))).isEmpty();
            assertThat(store.changeCount()).isEqualTo(afterOther);
        }
    }

    private static UploadRecord upload() {
        return new UploadRecord(UUID.randomUUID(), REPO, 0, Digest.Algorithm.SHA256, Instant.now(), Instant.now());
    }

    @Test
    void bookkeepingCommitsOfThisStoreLeaveTheChangeCountAndOtherCommitsMoveIt(@TempDir Path dir) throws Exception {
        Path db = dir.resolve("m.db");
        try (SqliteMetadataStore store = SqliteMetadataStore.open(db)) {
            store.write(tx -> tx.claimBlob(d("staged"), 3)); // staged content is a claimed blob
            long start = store.changeCount();
            store.write(io.lading.metadata.MetadataStore.Durability.PROCESS_CRASH_SAFE, tx -> {
                tx.putUpload(upload());
                return null;
            });
            store.write(tx -> {
                tx.staging().stage(d("staged"), new byte[] {1, 2, 3});
                return null;
            });
            assertThat(store.changeCount()).as("after upload and staging bookkeeping").isEqualTo(start);

            store.write(tx -> tx.claimBlob(d("layer"), 42));
            long afterClaim = store.changeCount();
            assertThat(afterClaim).isNotEqualTo(start);

            // Another process's commit may have changed anything, even when it only wrote bookkeeping.
            try (java.sql.Connection other = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
                 java.sql.Statement s = other.createStatement()) {
                s.execute("PRAGMA busy_timeout = 10000");
                s.executeUpdate("DELETE FROM uploads");
            }
            assertThat(store.changeCount()).isNotEqualTo(afterClaim);
        }
    }

    @Test
    void aCommitOfAnotherProcessRightAfterOneOfThisStoreIsNeverTakenForIt(@TempDir Path dir) throws Exception {
        Path db = dir.resolve("m.db");
        try (SqliteMetadataStore store = SqliteMetadataStore.open(db);
             java.sql.Connection other = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db)) {
            // Between this store's COMMIT, which releases SQLite's write lock, and its reading the counter, another
            // process commits a row of its own.
            Runnable theirCommit = () -> {
                try (java.sql.Statement s = other.createStatement()) {
                    s.executeUpdate("INSERT INTO uploads VALUES ('" + UUID.randomUUID() + "', 'x', 0, 'sha256', 0, 0)");
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            };
            store.afterCommit(theirCommit);
            for (boolean bookkeepingOnly : new boolean[] {true, false}) {
                long before = store.changeCount();
                store.write(tx -> {
                    tx.putUpload(upload());
                    if (!bookkeepingOnly) {
                        tx.claimBlob(d("layer"), 42);
                    }
                    return null;
                });
                long after = store.changeCount();
                assertThat(after).as("bookkeeping only: " + bookkeepingOnly).isNotEqualTo(before);
                store.afterCommit(null);
                store.write(tx -> {
                    tx.putUpload(upload());
                    return null;
                });
                assertThat(store.changeCount()).as("then a bookkeeping commit alone").isEqualTo(after);
                store.afterCommit(theirCommit);
            }
        }
    }

    @Test
    void coveredWritesKeepTheCountAcrossCheckpointsAndLogRestarts(@TempDir Path dir) throws Exception {
        Path db = dir.resolve("m.db");
        byte[] bytes = new byte[40 * 1024]; // ten overflow pages a write: about 11 000 pages in all
        try (SqliteMetadataStore store = SqliteMetadataStore.open(db);
             WalIndexHeader header = WalIndexHeader.open(dir.resolve("m.db-shm")).orElseThrow()) {
            long count = store.changeCount();
            List<Long> updates = new java.util.concurrent.CopyOnWriteArrayList<>();
            long restarts = 0;
            for (int i = 0; i < 1100; i++) {
                int n = i;
                long before = header.version();
                store.write(io.lading.metadata.MetadataStore.Durability.PROCESS_CRASH_SAFE, tx -> {
                    tx.updateLookupsOnCommit(updates::add);
                    tx.claimBlob(d("staged" + n), bytes.length);
                    tx.staging().stage(d("staged" + n), bytes);
                    return null;
                });
                assertThat(store.changeCount()).as("write " + i).isEqualTo(count);
                if ((int) header.version() < (int) before) { // mxFrame fell: the log started over after a checkpoint
                    restarts++;
                }
            }
            assertThat(restarts).as("log restarts").isPositive();
            assertThat(updates).hasSize(1100).containsOnly(count);
        }
    }

    @Test
    void onlyPlainChangesOfBookkeepingTablesLeaveLookupsAlone() {
        assertThat(SqliteTx.lookupEffect("INSERT OR REPLACE INTO uploads (id) VALUES (?)"))
                .isEqualTo(SqliteTx.LookupEffect.NONE);
        assertThat(SqliteTx.lookupEffect("DELETE FROM staged_blobs WHERE digest = ?"))
                .isEqualTo(SqliteTx.LookupEffect.NONE);
        assertThat(SqliteTx.lookupEffect("update event_queues set attempts = 0")).isEqualTo(SqliteTx.LookupEffect.NONE);
        assertThat(SqliteTx.lookupEffect("INSERT INTO tags (name) VALUES (?)"))
                .isNotEqualTo(SqliteTx.LookupEffect.NONE);
        assertThat(SqliteTx.lookupEffect("UPDATE blobs SET deleting = 1")).isNotEqualTo(SqliteTx.LookupEffect.NONE);
        assertThat(SqliteTx.lookupEffect("DELETE FROM uploads_archive")).isNotEqualTo(SqliteTx.LookupEffect.NONE);
        assertThat(SqliteTx.lookupEffect("WITH old AS (SELECT 1) DELETE FROM uploads"))
                .isNotEqualTo(SqliteTx.LookupEffect.NONE);
    }

    @Test
    void anInMemoryStoreCountsItsOwnCommits() {
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            long start = store.changeCount();
            store.read(tx -> tx.linkedBlobSize(REPO, d("layer")));
            assertThat(store.changeCount()).isEqualTo(start);
            store.write(tx -> tx.claimBlob(d("layer"), 42));
            assertThat(store.changeCount()).isNotEqualTo(start);
        }
    }

    @Test
    void theLogIsCopiedIntoTheDatabaseOnlyOnceItHoldsTenThousandPages(@TempDir Path dir) throws Exception {
        Path wal = dir.resolve("m.db-wal");
        byte[] bytes = new byte[40 * 1024]; // ten overflow pages a write
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("m.db"))) {
            long most = 0;
            for (int i = 0; i < 1500; i++) { // about 60 MiB through the log
                int n = i;
                store.write(io.lading.metadata.MetadataStore.Durability.PROCESS_CRASH_SAFE, tx -> {
                    tx.claimBlob(d("staged" + n), bytes.length);
                    tx.staging().stage(d("staged" + n), bytes);
                    return null;
                });
                most = Math.max(most, java.nio.file.Files.size(wal));
                if (i == 200) {
                    // SQLite's default would have checkpointed at 1 000 pages and started the log over (4 MiB)
                    assertThat(most).as("log after 8 MiB of writes").isGreaterThan(6L << 20);
                }
            }
            // ... and here it did, at about 10 000 pages
            assertThat(most).as("largest log").isBetween(38L << 20, 44L << 20);
            assertThat(store.<Boolean>read(tx -> tx.staging().get(d("staged1499")).isPresent())).isTrue();
        }
    }

    @Test
    void durableWritesReturnOnlyOnceTheLogIsSyncedPastTheirCommit(@TempDir Path dir) throws Exception {
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("m.db"))) {
            UploadRecord u = new UploadRecord(UUID.randomUUID(), REPO, 0, Digest.Algorithm.SHA256, Instant.now(),
                    Instant.now());
            store.write(io.lading.metadata.MetadataStore.Durability.PROCESS_CRASH_SAFE, tx -> {
                tx.putUpload(u);
                return null;
            });
            assertThat(store.syncedGroups()).as("a crash-safe write waits for no sync").isLessThan(store.committedGroups());

            int writers = 64;
            java.util.concurrent.ConcurrentLinkedQueue<String> unsynced = new java.util.concurrent.ConcurrentLinkedQueue<>();
            List<Thread> threads = new java.util.ArrayList<>();
            for (int i = 0; i < writers; i++) {
                int n = i;
                threads.add(Thread.ofVirtual().start(() -> {
                    long before = store.committedGroups(); // its own group comes later than this
                    store.write(tx -> tx.claimBlob(d("durable" + n), n));
                    if (store.syncedGroups() <= before) {
                        unsynced.add("writer " + n + " returned with the log synced through group "
                                + store.syncedGroups() + ", not past " + before);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertThat(unsynced).isEmpty();
            assertThat(store.syncedGroups()).isEqualTo(store.committedGroups());
        }
    }

    @Test
    void anInterruptedDurableWriterKeepsItsInterruptAndLeavesTheLogSyncWorking(@TempDir Path dir) throws Exception {
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("m.db"))) {
            boolean[] stillInterrupted = new boolean[1];
            Thread t = Thread.ofVirtual().start(() -> {
                Thread.currentThread().interrupt(); // e.g. a request whose client went away
                store.write(tx -> tx.claimBlob(d("interrupted"), 1));
                stillInterrupted[0] = Thread.currentThread().isInterrupted();
            });
            t.join();
            assertThat(stillInterrupted[0]).isTrue();
            // An interrupt during FileChannel.force closes the channel; later durable writes must still sync.
            store.write(tx -> tx.claimBlob(d("after"), 2));
            assertThat(store.syncedGroups()).isEqualTo(store.committedGroups());
            assertThat(store.<java.util.Optional<Long>>read(tx -> tx.blobSize(d("interrupted")))).contains(1L);
        }
    }

    @Test
    void everyWriterGetsItsOwnResultEvenWhenMoreAreQueuedThanOneGroupHolds(@TempDir Path dir) throws Exception {
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("m.db"))) {
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            Thread blocker = holdWriteLock(store, release); // the others queue up behind it
            int writers = 300;
            Integer[] results = new Integer[writers];
            List<Thread> threads = new java.util.ArrayList<>();
            for (int i = 0; i < writers; i++) {
                int n = i;
                threads.add(Thread.ofVirtual().start(() -> results[n] = store.<Integer>write(tx -> {
                    tx.claimBlob(d("queued" + n), n);
                    return n;
                })));
            }
            Thread.sleep(300); // all of them are queued now
            release.countDown();
            blocker.join();
            for (Thread t : threads) {
                t.join();
            }
            for (int i = 0; i < writers; i++) {
                assertThat(results[i]).as("writer %d", i).isEqualTo(i);
            }
        }
    }

    @Test
    void insertsOfAWorkThatUpdatesLookupsItselfLeaveTheChangeCount(@TempDir Path dir) {
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("m.db"))) {
            List<Long> updates = new java.util.concurrent.CopyOnWriteArrayList<>();
            long start = store.changeCount();
            store.write(tx -> {
                tx.claimBlob(d("layer"), 42); // before the call: covered too
                tx.updateLookupsOnCommit(updates::add);
                tx.linkBlob(REPO, d("layer"));
                putManifest(tx, REPO, manifest("m", null), List.of(d("layer")), List.of());
                tx.putTag(REPO, Tag.of("v1"), manifest("m", null).digest());
                return null;
            });
            assertThat(store.changeCount()).isEqualTo(start);
            assertThat(updates).containsExactly(start);

            store.write(tx -> { // the same inserts, with nothing to bring lookups up to date
                tx.putTag(REPO, Tag.of("v2"), manifest("m", null).digest());
                return null;
            });
            long afterUncovered = store.changeCount();
            assertThat(afterUncovered).isNotEqualTo(start);

            store.write(tx -> { // a delete is never covered
                tx.updateLookupsOnCommit(updates::add);
                tx.deleteTag(REPO, Tag.of("v2"));
                return null;
            });
            assertThat(store.changeCount()).isNotEqualTo(afterUncovered);
            assertThat(updates).as("given the count as of after the commit").containsExactly(start,
                    store.changeCount());
        }
    }

    @Test
    void aCoveredWriteThatAnotherProcessCommitsRightAfterUpdatesNothing(@TempDir Path dir) throws Exception {
        Path db = dir.resolve("m.db");
        try (SqliteMetadataStore store = SqliteMetadataStore.open(db);
             java.sql.Connection other = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db)) {
            List<Long> updates = new java.util.concurrent.CopyOnWriteArrayList<>();
            // Between this store's COMMIT and its accounting for it, another process deletes what it wrote: what
            // the update would keep is older than that, and must not be kept under the count after both.
            store.afterCommit(() -> {
                try (java.sql.Statement s = other.createStatement()) {
                    s.execute("PRAGMA busy_timeout = 10000");
                    s.executeUpdate("DELETE FROM repository_blobs");
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            long before = store.changeCount();
            store.write(tx -> {
                tx.updateLookupsOnCommit(updates::add);
                tx.claimBlob(d("layer"), 42);
                tx.linkBlob(REPO, d("layer"));
                return null;
            });
            assertThat(updates).isEmpty();
            assertThat(store.changeCount()).isNotEqualTo(before);
            assertThat(store.<java.util.Optional<Long>>read(tx -> tx.linkedBlobSize(REPO, d("layer")))).isEmpty();
        }
    }

    /**
     * Claims LAYER as a blob last touched at time 0: an upsert that reports a changed row even when the row holds
     * those values already, and then writes nothing to the log.
     */
    private static void claimAtTimeZero(WriteTx tx) {
        ((SqliteTx) tx).update("INSERT INTO blobs (digest, size, created_at, touched_at, generation)"
                + " VALUES (?, 42, 0, 0, 1) ON CONFLICT (digest) DO UPDATE SET touched_at = excluded.touched_at",
                d("layer").toString());
    }

    @Test
    void aCoveredWriteThatLeavesEveryByteAsItWasKeepsTheCountAndUpdates(@TempDir Path dir) {
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("m.db"))) {
            List<Long> updates = new java.util.concurrent.CopyOnWriteArrayList<>();
            store.write(tx -> {
                tx.updateLookupsOnCommit(updates::add);
                claimAtTimeZero(tx);
                return null;
            });
            long count = store.changeCount();
            // A push claiming a blob in the same millisecond as the one before: one row changed, no byte written.
            store.write(tx -> {
                tx.updateLookupsOnCommit(updates::add);
                claimAtTimeZero(tx);
                return null;
            });
            assertThat(store.changeCount()).isEqualTo(count);
            assertThat(updates).containsExactly(count, count);
        }
    }

    @Test
    void aCommitOfAnotherProcessRightAfterACoveredWriteThatWroteNothingMovesTheCount(@TempDir Path dir)
            throws Exception {
        Path db = dir.resolve("m.db");
        try (SqliteMetadataStore store = SqliteMetadataStore.open(db);
             java.sql.Connection other = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db)) {
            List<Long> updates = new java.util.concurrent.CopyOnWriteArrayList<>();
            store.write(tx -> {
                claimAtTimeZero(tx);
                return null;
            });
            store.afterCommit(() -> { // as an out-of-process gc would
                try (java.sql.Statement s = other.createStatement()) {
                    s.execute("PRAGMA busy_timeout = 10000");
                    s.executeUpdate("UPDATE blobs SET deleting = 1");
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            long before = store.changeCount();
            store.write(tx -> {
                tx.updateLookupsOnCommit(updates::add);
                claimAtTimeZero(tx);
                return null;
            });
            assertThat(updates).isEmpty();
            assertThat(store.changeCount()).isNotEqualTo(before);
        }
    }

    @Test
    void aWorkThatFailsDoesNotUpdateLookupsAndItsGroupStillDoes(@TempDir Path dir) throws Exception {
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("m.db"))) {
            List<String> updated = new java.util.concurrent.CopyOnWriteArrayList<>();
            assertThatThrownBy(() -> store.write(tx -> {
                tx.updateLookupsOnCommit(count -> updated.add("alone"));
                tx.claimBlob(d("alone"), 1);
                throw new IllegalStateException("refused");
            })).isInstanceOf(IllegalStateException.class);
            assertThat(updated).isEmpty();

            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            Thread blocker = holdWriteLock(store, release); // the two below commit as one group
            long before = store.changeCount();
            Thread failing = Thread.ofVirtual().start(() -> {
                try {
                    store.write(tx -> {
                        tx.updateLookupsOnCommit(count -> updated.add("failed"));
                        tx.claimBlob(d("failed"), 1);
                        throw new IllegalStateException("refused");
                    });
                } catch (IllegalStateException expected) {
                    // its savepoint is rolled back
                }
            });
            Thread kept = Thread.ofVirtual().start(() -> store.write(tx -> {
                tx.updateLookupsOnCommit(count -> updated.add("kept"));
                tx.claimBlob(d("kept"), 1);
                return null;
            }));
            Thread.sleep(300);
            release.countDown();
            blocker.join();
            failing.join();
            kept.join();
            assertThat(updated).containsExactly("kept");
            assertThat(store.<java.util.Optional<Long>>read(tx -> tx.blobSize(d("failed")))).isEmpty();
            assertThat(store.changeCount()).as("a rolled-back insert counts as a change").isNotEqualTo(before);
        }
    }

    @Test
    void theInMemoryStoreRunsUpdatesAndLeavesItsCountForCoveredInserts() {
        try (SqliteMetadataStore store = SqliteMetadataStore.inMemory()) {
            List<Long> updates = new java.util.concurrent.CopyOnWriteArrayList<>();
            long start = store.changeCount();
            store.write(tx -> {
                tx.updateLookupsOnCommit(updates::add);
                tx.claimBlob(d("layer"), 42);
                tx.linkBlob(REPO, d("layer"));
                return null;
            });
            assertThat(store.changeCount()).isEqualTo(start);
            assertThat(updates).containsExactly(start);
        }
    }

    @Test
    void onlyPlainInsertsOfRegistryTablesAreCoverable() {
        assertThat(SqliteTx.lookupEffect("INSERT INTO tags (a) VALUES (?) ON CONFLICT (a) DO UPDATE SET b = 1"))
                .isEqualTo(SqliteTx.LookupEffect.INSERT);
        assertThat(SqliteTx.lookupEffect("insert into manifests (a) values (?)"))
                .isEqualTo(SqliteTx.LookupEffect.INSERT);
        assertThat(SqliteTx.lookupEffect("INSERT OR REPLACE INTO tags (a) VALUES (?)"))
                .isEqualTo(SqliteTx.LookupEffect.OTHER);
        assertThat(SqliteTx.lookupEffect("REPLACE INTO tags (a) VALUES (?)")).isEqualTo(SqliteTx.LookupEffect.OTHER);
        assertThat(SqliteTx.lookupEffect("UPDATE blobs SET deleting = 1")).isEqualTo(SqliteTx.LookupEffect.OTHER);
        assertThat(SqliteTx.lookupEffect("DELETE FROM tags WHERE 1")).isEqualTo(SqliteTx.LookupEffect.OTHER);
        assertThat(SqliteTx.lookupEffect("WITH x AS (SELECT 1) INSERT INTO tags SELECT * FROM x"))
                .isEqualTo(SqliteTx.LookupEffect.OTHER);
        assertThat(SqliteTx.lookupEffect("INSERT INTO uploads (a) VALUES (?)")).isEqualTo(SqliteTx.LookupEffect.NONE);
        assertThat(SqliteTx.lookupEffect("DELETE FROM staged_blobs WHERE digest = ?"))
                .isEqualTo(SqliteTx.LookupEffect.NONE);
    }

    @Test
    void connectionsRunNoSecondStatementAfterAnInsert() throws Exception {
        // With the driver's generated-key retrieval on, every INSERT was followed by a freshly prepared
        // "SELECT last_insert_rowid()", whose row getGeneratedKeys() then returned.
        try (java.sql.Connection c = SqliteMetadataStore.connect("jdbc:sqlite::memory:");
             java.sql.Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
            try (java.sql.PreparedStatement insert = c.prepareStatement("INSERT INTO t (v) VALUES (?)")) {
                insert.setString(1, "x");
                assertThat(insert.executeUpdate()).isEqualTo(1);
                try (java.sql.ResultSet keys = insert.getGeneratedKeys()) {
                    assertThat(keys.next()).isFalse();
                }
            }
        }
    }

    @Test
    void groupedWritesKeepTheirUndoPagesInMemoryRatherThanInATemporaryFile(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isDirectory(Path.of("/proc/self/fd")),
                "lists open files through /proc (Linux)");
        try (SqliteMetadataStore store = SqliteMetadataStore.open(dir.resolve("m.db"))) {
            int blobs = 2000; // about 50 leaf pages of the blobs table
            store.write(tx -> {
                for (int i = 0; i < blobs; i++) {
                    tx.claimBlob(d("existing" + i), i);
                }
                return null;
            });
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            // the two below queue up behind it and then run as one group, each in a savepoint
            Thread blocker = holdWriteLock(store, release);
            java.util.concurrent.ConcurrentLinkedQueue<String> temporaryFiles = new java.util.concurrent.ConcurrentLinkedQueue<>();
            List<Thread> threads = new java.util.ArrayList<>();
            for (int w = 0; w < 2; w++) {
                threads.add(Thread.ofVirtual().start(() -> store.write(tx -> {
                    for (int i = 0; i < blobs; i++) {
                        tx.claimBlob(d("existing" + i), i); // rewrites every leaf page: ~200 KiB to undo
                    }
                    temporaryFiles.addAll(openSqliteTemporaryFiles());
                    return null;
                })));
            }
            Thread.sleep(300);
            release.countDown();
            blocker.join();
            for (Thread t : threads) {
                t.join();
            }
            // SQLite moves a savepoint's undo pages (its sub-journal) past 64 KiB into a temporary file unless
            // temp_store is MEMORY: manifest pushes made 35 extra writes each that way (strace, 2026-12-02).
            assertThat(temporaryFiles).isEmpty();
        }
    }

    /** Starts a write that holds the write lock until {@code release} counts down; returns once it holds it. */
    private static Thread holdWriteLock(SqliteMetadataStore store, java.util.concurrent.CountDownLatch release)
            throws InterruptedException {
        java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
        Thread writer = Thread.ofVirtual().start(() -> store.write(tx -> {
            holding.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }));
        holding.await();
        return writer;
    }

    /** SQLite's temporary files ({@code etilqs_*}, unlinked once open) that this process has open. */
    private static List<String> openSqliteTemporaryFiles() {
        List<String> found = new java.util.ArrayList<>();
        try (var fds = java.nio.file.Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = java.nio.file.Files.readSymbolicLink(fd).toString();
                    if (target.contains("etilqs_")) {
                        found.add(target);
                    }
                } catch (java.io.IOException gone) {
                    // closed meanwhile
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return found;
    }
}
