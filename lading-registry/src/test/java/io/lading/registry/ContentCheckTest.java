package io.lading.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lading.core.Digest;
import io.lading.core.Reference;
import io.lading.core.RepositoryName;
import io.lading.core.Tag;
import io.lading.metadata.BlobUse;
import io.lading.metadata.sqlite.SqliteMetadataStore;
import io.lading.registry.events.Notifier;
import io.lading.storage.BlobStore;
import io.lading.storage.FileSystemDriver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The content check over a real file system and a real SQLite database. */
class ContentCheckTest {
    private static final RepositoryName REPO = RepositoryName.of("lib/app");
    private static final RepositoryName OTHER = RepositoryName.of("lib/other");
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    @TempDir
    Path dir;
    private Path root;
    private SqliteMetadataStore metadata;
    private BlobStore blobs;
    private StagedContent staged;
    private final List<Digest> lost = new CopyOnWriteArrayList<>();
    private ContentCheck check;

    @BeforeEach
    void open() throws Exception {
        root = dir.resolve("data");
        metadata = SqliteMetadataStore.open(dir.resolve("metadata.db"));
        blobs = new BlobStore(new FileSystemDriver(root));
        staged = new StagedContent(metadata, blobs, StagedContent.Settings.DEFAULTS);
        check = new ContentCheck(metadata, blobs, Clock.systemUTC(), lost::add);
    }

    @org.junit.jupiter.api.AfterEach
    void close() {
        metadata.close();
    }

    private Digest push(RepositoryName repository, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        Digest d = Digest.of(Digest.Algorithm.SHA256, bytes);
        staged.store(d, bytes, tx -> {
            tx.linkBlob(repository, d);
            return null;
        });
        return d;
    }

    private long size(Digest blob) {
        return metadata.<java.util.Optional<Long>>read(tx -> tx.linkedBlobSize(REPO, blob)).orElseThrow();
    }

    private Digest pushImage(Digest config, List<Digest> layers, String tag) {
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST
                + "\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config
                + "\",\"size\":" + size(config) + "},\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            json.append(i == 0 ? "" : ",").append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                    + "\"digest\":\"").append(layers.get(i)).append("\",\"size\":").append(size(layers.get(i)))
                    .append("}");
        }
        json.append("]}");
        RegistryOptions options = RegistryOptions.defaults();
        ManifestService manifests = new ManifestService(metadata, blobs, staged, options,
                new SpaceReserve(blobs, options.reserve()), Clock.systemUTC(), Notifier.none());
        return manifests.put(REPO, new Reference.ByTag(Tag.of(tag)), json.toString().getBytes(StandardCharsets.UTF_8),
                OCI_MANIFEST, List.of()).digest();
    }

    private Path data(Digest d) {
        return root.resolve(BlobStore.blobPath(d).substring(1));
    }

    private static ContentCheck.Options statOnly() {
        return new ContentCheck.Options(false, false);
    }

    @Test
    void findsMissingTruncatedAndCorruptDataAndWhatReachesIt() throws Exception {
        Digest config = push(REPO, "{}");
        Digest gone = push(REPO, "layer one");
        Digest cut = push(REPO, "layer two");
        Digest flipped = push(REPO, "layer six");
        push(OTHER, "layer one"); // the same content in a second repository
        Digest image = pushImage(config, List.of(gone, cut, flipped), "v1");
        staged.writeStaged();
        Digest stillStaged = push(REPO, "pushed after the staged writer ran");
        metadata.write(tx -> tx.claimBlob(Digest.of(Digest.Algorithm.SHA256, "claimed only".getBytes()), 12));

        ContentCheck.Result clean = check.run(new ContentCheck.Options(true, false), new ContentCheck.Listener() {
        });
        assertThat(clean.problems()).isZero();
        assertThat(clean.blobs()).as("config, three layers, the manifest, the staged blob and the bare claim")
                .isEqualTo(7);
        assertThat(clean.bytesRead()).as("every byte hashed, the staged ones too").isGreaterThan(0);
        assertThat(metadata.<java.util.Optional<byte[]>>read(tx -> tx.staging().get(stillStaged))).isPresent();

        Files.delete(data(gone));
        Files.write(data(cut), "layer".getBytes(StandardCharsets.UTF_8));
        Files.write(data(flipped), "layer 6ix".getBytes(StandardCharsets.UTF_8));

        List<ContentCheck.Progress> progress = new ArrayList<>();
        List<ContentCheck.Finding> told = new ArrayList<>();
        ContentCheck.Result quick = check.run(statOnly(), new ContentCheck.Listener() {
            @Override
            public void progress(ContentCheck.Progress p) {
                progress.add(p);
            }

            @Override
            public void found(ContentCheck.Finding f) {
                told.add(f);
            }
        });
        assertThat(quick.findings()).as("presence and size only: the flipped bytes go unseen")
                .extracting(ContentCheck.Finding::digest, ContentCheck.Finding::problem)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(gone, ContentCheck.Problem.MISSING),
                        org.assertj.core.groups.Tuple.tuple(cut, ContentCheck.Problem.WRONG_SIZE));
        assertThat(told).isEqualTo(quick.findings());
        assertThat(quick.bytesRead()).isZero();
        assertThat(progress).hasSize(7).last().satisfies(p -> {
            assertThat(p.blobs()).isEqualTo(7);
            assertThat(p.totalBlobs()).isEqualTo(7);
            assertThat(p.problems()).isEqualTo(2);
        });
        ContentCheck.Finding missing = quick.findings().stream().filter(f -> f.digest().equals(gone)).findFirst()
                .orElseThrow();
        assertThat(missing.uses()).containsExactlyInAnyOrder(new BlobUse(REPO, null, List.of()),
                new BlobUse(OTHER, null, List.of()), new BlobUse(REPO, image, List.of("v1")));
        assertThat(ContentCheck.describe(missing.uses())).contains("lib/app@" + image + " (tags v1)", "lib/other");
        assertThat(lost).as("only data that is gone; the cut file is still in place").containsExactly(gone);

        ContentCheck.Result full = check.run(new ContentCheck.Options(true, false), new ContentCheck.Listener() {
        });
        assertThat(full.findings()).extracting(ContentCheck.Finding::digest, ContentCheck.Finding::problem)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(gone, ContentCheck.Problem.MISSING),
                        org.assertj.core.groups.Tuple.tuple(cut, ContentCheck.Problem.WRONG_SIZE),
                        org.assertj.core.groups.Tuple.tuple(flipped, ContentCheck.Problem.CORRUPT));
        assertThat(Files.exists(data(flipped))).as("reported, not moved, unless asked").isTrue();
        assertThat(check.last()).contains(full);
    }

    @Test
    void quarantinedDataIsMovedAsideSoThatTheNextPushStoresTheContentAgain() throws Exception {
        Digest config = push(REPO, "{}");
        Digest flipped = push(REPO, "layer six");
        pushImage(config, List.of(flipped), "v1");
        staged.writeStaged();
        Files.write(data(flipped), "layer 6ix".getBytes(StandardCharsets.UTF_8));

        ContentCheck.Result r = check.run(new ContentCheck.Options(true, true), new ContentCheck.Listener() {
        });
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.problem()).isEqualTo(ContentCheck.Problem.CORRUPT);
            assertThat(f.movedTo()).startsWith("/quarantine/sha256/" + flipped.hex() + ".");
            assertThat(Files.readString(root.resolve(f.movedTo().substring(1)))).isEqualTo("layer 6ix");
        });
        assertThat(Files.exists(data(flipped))).isFalse();
        assertThat(lost).containsExactly(flipped);

        // The content pushed again is stored (not dropped as a copy of bytes in place), and the check is clean.
        byte[] good = "layer six".getBytes(StandardCharsets.UTF_8);
        blobs.putSmall(flipped, good);
        assertThat(Files.readAllBytes(data(flipped))).isEqualTo(good);
        assertThat(check.run(new ContentCheck.Options(true, true), new ContentCheck.Listener() {
        }).problems()).isZero();
    }

    @Test
    void dataThatCannotBeReadIsReportedAndTheCheckGoesOn() throws Exception {
        // A directory where the empty blob's file should be: the driver gives it size 0, so it passes the size
        // check, and reading it fails (EISDIR), as a failing disk's EIO would.
        Digest config = push(REPO, "{}");
        Digest unreadable = push(REPO, "");
        push(REPO, "another");
        pushImage(config, List.of(unreadable), "v1");
        staged.writeStaged();
        Files.delete(data(unreadable));
        Files.createDirectory(data(unreadable));

        ContentCheck.Result r = check.run(new ContentCheck.Options(true, true), new ContentCheck.Listener() {
        });
        assertThat(r.blobs()).as("the check went on past it").isEqualTo(4);
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.digest()).isEqualTo(unreadable);
            assertThat(f.problem()).isEqualTo(ContentCheck.Problem.UNREADABLE);
            assertThat(f.detail()).startsWith("reading it failed: ");
            assertThat(f.movedTo()).as("moved aside, as asked").startsWith("/quarantine/");
        });
        assertThat(lost).containsExactly(unreadable);
        assertThat(check.lastFailure()).isEmpty();
    }

    @Test
    void aCheckThatCannotFinishSaysWhyAndKeepsTheLastResult() {
        push(REPO, "first, still staged");
        push(REPO, "second, still staged");
        ContentCheck.Result finished = check.run(statOnly(), new ContentCheck.Listener() {
        });
        assertThatThrownBy(() -> check.run(statOnly(), new ContentCheck.Listener() {
            @Override
            public void progress(ContentCheck.Progress p) {
                metadata.close(); // the next blob's staged bytes cannot be looked up
            }
        })).isInstanceOf(RuntimeException.class);
        assertThat(check.lastFailure()).hasValueSatisfying(why -> assertThat(why).isNotBlank());
        assertThat(check.last()).contains(finished);
        assertThat(check.isRunning()).isFalse();
    }

    @Test
    void anInterruptStopsTheCheckBetweenTwoBlobsWithoutCallingAnythingDamaged() throws Exception {
        Digest config = push(REPO, "{}");
        Digest layer = push(REPO, "layer");
        pushImage(config, List.of(layer), "v1");
        staged.writeStaged();
        List<Throwable> outcome = new ArrayList<>();
        List<ContentCheck.Finding> found = new ArrayList<>();
        Thread t = Thread.ofPlatform().start(() -> outcome.add(org.assertj.core.api.Assertions.catchThrowable(
                () -> check.run(new ContentCheck.Options(true, true), new ContentCheck.Listener() {
                    @Override
                    public void progress(ContentCheck.Progress p) {
                        Thread.currentThread().interrupt(); // what stopping the registry does to its thread
                    }

                    @Override
                    public void found(ContentCheck.Finding f) {
                        found.add(f);
                    }
                }))));
        t.join();
        assertThat(outcome).singleElement().isInstanceOf(java.util.concurrent.CancellationException.class);
        assertThat(found).isEmpty();
        assertThat(lost).isEmpty();
        assertThat(check.lastFailure()).hasValueSatisfying(why -> assertThat(why).contains("stopped"));
        assertThat(Files.exists(root.resolve("quarantine"))).isFalse();
    }

    /**
     * A verify check with a rate reads no faster than it, on a clock only its sleeps move (so the test takes no
     * time); an interrupt while it waits stops it like one between two blobs.
     */
    @Test
    void aVerifyCheckReadsNoFasterThanTheRateAskedAndStopsWhileWaiting() throws Exception {
        Digest config = push(REPO, "{}");
        List<Digest> layers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            layers.add(push(REPO, ("layer " + i + " ").repeat(40_000)));
        }
        pushImage(config, layers, "v1");
        staged.writeStaged();
        long[] now = {0};
        List<Long> sleeps = new ArrayList<>();
        ContentCheck paced = new ContentCheck(metadata, blobs, Clock.systemUTC(), lost::add, () -> now[0],
                nanos -> {
                    sleeps.add(nanos);
                    now[0] += nanos;
                });
        long rate = 100_000;
        ContentCheck.Result r = paced.run(new ContentCheck.Options(true, false, rate), new ContentCheck.Listener() {
        });
        assertThat(r.problems()).isZero();
        assertThat(r.bytesRead()).as("four layers of 320 000 bytes, the config and the manifest")
                .isGreaterThan(4 * 320_000);
        assertThat(now[0]).as("waited until every byte read was due at %d bytes/s", rate)
                .isCloseTo(r.bytesRead() * 1_000_000_000L / rate, org.assertj.core.data.Offset.offset(10L));
        assertThat(sleeps.size()).as("paced piece by piece, not once at the end").isGreaterThan(4);

        ContentCheck unpaced = new ContentCheck(metadata, blobs, Clock.systemUTC(), lost::add, () -> now[0],
                nanos -> sleeps.add(-1L));
        sleeps.clear();
        unpaced.run(new ContentCheck.Options(true, false), new ContentCheck.Listener() {
        });
        assertThat(sleeps).as("no rate, no waiting").isEmpty();

        ContentCheck stopped = new ContentCheck(metadata, blobs, Clock.systemUTC(), lost::add, () -> now[0],
                nanos -> {
                    throw new InterruptedException();
                });
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> stopped.run(
                new ContentCheck.Options(true, true, rate), new ContentCheck.Listener() {
                }))).isInstanceOf(java.util.concurrent.CancellationException.class);
        assertThat(Thread.interrupted()).as("the interrupt is kept for the caller").isTrue();
        assertThat(stopped.last()).isEmpty();
        assertThat(lost).isEmpty();
        assertThat(Files.exists(root.resolve("quarantine"))).isFalse();
    }

    @Test
    void aDamagedMetadataStoreIsReportedWithTheBlobsItStillRecords() throws Exception {
        Digest config = push(REPO, "{}");
        Digest layer = push(REPO, "layer");
        Digest image = pushImage(config, List.of(layer), "v1");
        staged.writeStaged();
        ContentCheck.Result sound = check.run(statOnly(), new ContentCheck.Listener() {
        });
        assertThat(sound.sound()).isTrue();
        assertThat(sound.metadataProblems()).isEmpty();

        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("metadata.db"));
             java.sql.Statement s = c.createStatement()) {
            s.execute("PRAGMA foreign_keys = OFF"); // the manifest's row goes behind the registry's back
            s.execute("DELETE FROM manifest_references");
            s.execute("DELETE FROM manifests");
        }
        ContentCheck.Result damaged = check.run(statOnly(), new ContentCheck.Listener() {
        });
        assertThat(damaged.metadataProblems()).containsExactly("tag v1 of " + REPO + " names " + image
                + ", which is not a manifest of that repository");
        assertThat(damaged.problems()).as("every blob's data is still there").isZero();
        assertThat(damaged.sound()).isFalse();
        assertThat(damaged.damaged()).isEqualTo(1);
    }

    @Test
    void oneCheckRunsAtATime() {
        push(REPO, "a");
        List<Throwable> second = new ArrayList<>();
        check.run(statOnly(), new ContentCheck.Listener() {
            @Override
            public void progress(ContentCheck.Progress p) {
                assertThat(check.isRunning()).isTrue();
                assertThat(check.progress()).contains(p);
                second.add(org.assertj.core.api.Assertions.catchThrowable(() -> check.run(statOnly(),
                        new ContentCheck.Listener() {
                        })));
            }
        });
        assertThat(second).singleElement().isInstanceOf(ContentCheck.AlreadyRunningException.class)
                .satisfies(e -> assertThat(e).hasMessageContaining("already running"));
        assertThat(check.isRunning()).isFalse();
        assertThat(check.progress()).isEmpty();
    }
}
