package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import io.lading.registry.GarbageCollector;
import io.lading.registry.RegistryOptions;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Delete rules and the collector, over real HTTP against an in-process registry. The race tests use the
 * collector's listener to act at the exact moment between its decision (a blob marked as being deleted) and the
 * deletion of the bytes: the cases docs/design/gc.md lists.
 */
class GarbageCollectionTest {
    private static final GarbageCollector.Options NOW = new GarbageCollector.Options(Duration.ZERO, false, false,
            GarbageCollector.Orphans.SKIP);
    private static final GarbageCollector.Options NOW_UNTAGGED = new GarbageCollector.Options(Duration.ZERO, true,
            false, GarbageCollector.Orphans.SKIP);
    private static final GarbageCollector.Listener QUIET = new GarbageCollector.Listener() {
    };

    /** An image pushed by the tests: its config, layer and manifest. */
    record Image(Digest config, Digest layer, String json, Digest digest) {
    }

    static Image pushImage(TestRegistry reg, String repo, String tag, String seed) throws Exception {
        byte[] config = ("{\"seed\":\"" + seed + "\"}").getBytes(StandardCharsets.UTF_8);
        byte[] layer = ("layer of " + seed).getBytes(StandardCharsets.UTF_8);
        Digest c = reg.pushBlob(repo, config);
        Digest l = reg.pushBlob(repo, layer);
        String json = Manifests.image(c, config.length, l, layer.length);
        HttpResponse<byte[]> put = reg.putManifest(repo, tag == null ? Manifests.digest(json).toString() : tag,
                Manifests.OCI_MANIFEST, json);
        assertThat(put.statusCode()).as(TestRegistry.text(put)).isEqualTo(201);
        return new Image(c, l, json, Manifests.digest(json));
    }

    /** The image's manifest and every blob it references can be pulled, byte for byte. */
    static void assertPullable(TestRegistry reg, String repo, Image image) throws Exception {
        HttpResponse<byte[]> m = reg.send("GET", "/v2/" + repo + "/manifests/" + image.digest(), null,
                "Accept", Manifests.OCI_MANIFEST);
        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(new String(m.body(), StandardCharsets.UTF_8)).isEqualTo(image.json());
        for (Digest d : List.of(image.config(), image.layer())) {
            HttpResponse<byte[]> b = reg.send("GET", "/v2/" + repo + "/blobs/" + d, null);
            assertThat(b.statusCode()).as("blob %s", d).isEqualTo(200);
            assertThat(Digest.of(Digest.Algorithm.SHA256, b.body())).isEqualTo(d);
        }
    }

    /** True when the blob's bytes are there: in storage or staged. */
    private static boolean stored(TestRegistry reg, Digest d) throws Exception {
        return reg.staged.size(d).isPresent();
    }

    private static int status(TestRegistry reg, String method, String path) throws Exception {
        return reg.send(method, path, null).statusCode();
    }

    @Test
    void collectsBlobsNoManifestReferencesAndKeepsEverythingAnImageNeeds() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            Image kept = pushImage(reg, "app", "v1", "kept");
            Digest stray = reg.pushBlob("app", "pushed, never referenced".getBytes(StandardCharsets.UTF_8));

            GarbageCollector.Result r = reg.collector.run(NOW, QUIET);

            assertThat(r.linksRemoved()).isEqualTo(1);
            assertThat(r.blobsDeleted()).isEqualTo(1);
            assertThat(r.bytesReclaimed()).isEqualTo("pushed, never referenced".length());
            assertThat(stored(reg, stray)).isFalse();
            assertThat(status(reg, "HEAD", "/v2/app/blobs/" + stray)).isEqualTo(404);
            assertPullable(reg, "app", kept);
        }
    }

    @Test
    void aBlobSharedWithAnotherRepositoryKeepsItsBytesUntilNoManifestNeedsIt() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            Image two = pushImage(reg, "two", "v1", "two");
            byte[] layer = "layer of two".getBytes(StandardCharsets.UTF_8);
            reg.pushBlob("one", layer); // "one" holds the same bytes, but no manifest of "one" uses them

            GarbageCollector.Result r = reg.collector.run(NOW, QUIET);
            assertThat(r.linksRemoved()).isEqualTo(1);
            assertThat(r.blobsDeleted()).isZero();
            assertThat(status(reg, "HEAD", "/v2/one/blobs/" + two.layer())).isEqualTo(404);
            assertPullable(reg, "two", two);

            assertThat(status(reg, "DELETE", "/v2/two/manifests/" + two.digest())).isEqualTo(202);
            r = reg.collector.run(NOW, QUIET);
            assertThat(r.blobsDeleted()).isEqualTo(3); // config, layer and the manifest's own bytes
            assertThat(stored(reg, two.layer())).isFalse();
        }
    }

    @Test
    void nothingYoungerThanTheGracePeriodIsCollected() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            Digest stray = reg.pushBlob("app", "fresh".getBytes(StandardCharsets.UTF_8));
            GarbageCollector.Result r = reg.collector.run(new GarbageCollector.Options(Duration.ofHours(1), true, false,
                    GarbageCollector.Orphans.SKIP), QUIET);
            assertThat(r.linksRemoved() + r.blobsDeleted() + r.manifestsDeleted()).isZero();
            assertThat(status(reg, "HEAD", "/v2/app/blobs/" + stray)).isEqualTo(200);
        }
    }

    @Test
    void deleteUntaggedKeepsIndexChildrenAndReferrersOfTaggedManifests() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            Image amd = pushImage(reg, "multi", null, "amd64");
            Image arm = pushImage(reg, "multi", null, "arm64");
            String index = Manifests.index(amd.digest().toString(), String.valueOf(amd.json().length()),
                    arm.digest().toString(), String.valueOf(arm.json().length()));
            assertThat(reg.putManifest("multi", "latest", Manifests.OCI_INDEX, index).statusCode()).isEqualTo(201);
            Digest empty = reg.pushBlob("multi", "{}".getBytes(StandardCharsets.UTF_8));
            String sbom = Manifests.artifact("application/spdx+json", empty, Manifests.digest(index), index.length(), "x");
            assertThat(reg.putManifest("multi", Manifests.digest(sbom).toString(), Manifests.OCI_MANIFEST, sbom)
                    .statusCode()).isEqualTo(201);
            Image orphan = pushImage(reg, "multi", null, "untagged and alone");

            GarbageCollector.Result r = reg.collector.run(NOW_UNTAGGED, QUIET);

            assertThat(r.manifestsDeleted()).isEqualTo(1);
            assertThat(status(reg, "GET", "/v2/multi/manifests/" + orphan.digest())).isEqualTo(404);
            assertThat(stored(reg, orphan.layer())).isFalse();
            assertPullable(reg, "multi", amd);
            assertPullable(reg, "multi", arm);
            assertThat(status(reg, "GET", "/v2/multi/manifests/" + Manifests.digest(sbom))).isEqualTo(200);
            assertThat(TestRegistry.text(reg.send("GET", "/v2/multi/referrers/" + Manifests.digest(index), null)))
                    .contains(Manifests.digest(sbom).toString());

            // Untag the index: now the whole tree is unreachable and goes, indexes before their children.
            assertThat(status(reg, "DELETE", "/v2/multi/manifests/latest")).isEqualTo(202);
            r = reg.collector.run(NOW_UNTAGGED, QUIET);
            assertThat(r.manifestsDeleted()).isEqualTo(4);
            assertThat(stored(reg, amd.layer())).isFalse();
            assertThat(TestRegistry.text(reg.send("GET", "/v2/_catalog", null))).doesNotContain("multi");
        }
    }

    @Test
    void aManifestAnIndexListsCannotBeDeletedBeforeTheIndex() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            Image child = pushImage(reg, "idx", null, "child");
            String index = Manifests.index(child.digest().toString(), String.valueOf(child.json().length()));
            reg.putManifest("idx", "v1", Manifests.OCI_INDEX, index);

            HttpResponse<byte[]> refused = reg.send("DELETE", "/v2/idx/manifests/" + child.digest(), null);
            assertThat(refused.statusCode()).isEqualTo(409);
            assertThat(TestRegistry.text(refused)).contains("\"code\":\"DENIED\"").contains(Manifests.digest(index).toString());
            assertPullable(reg, "idx", child);

            assertThat(status(reg, "DELETE", "/v2/idx/manifests/" + Manifests.digest(index))).isEqualTo(202);
            assertThat(status(reg, "DELETE", "/v2/idx/manifests/" + child.digest())).isEqualTo(202);
        }
    }

    @Test
    void aSubjectWithReferrersIsRefusedByDefaultAndCascadesWhenConfigured() throws Exception {
        for (RegistryOptions.ReferrersOnDelete rule : RegistryOptions.ReferrersOnDelete.values()) {
            try (TestRegistry reg = new TestRegistry(RegistryOptions.defaults().withReferrersOnDelete(rule))) {
                Image subject = pushImage(reg, "signed", "v1", "subject");
                Digest empty = reg.pushBlob("signed", "{}".getBytes(StandardCharsets.UTF_8));
                String sig = Manifests.artifact("application/vnd.example.sig", empty, subject.digest(),
                        subject.json().length(), "sig");
                String sigOfSig = Manifests.artifact("application/vnd.example.sig", empty, Manifests.digest(sig),
                        sig.length(), "countersig");
                reg.putManifest("signed", Manifests.digest(sig).toString(), Manifests.OCI_MANIFEST, sig);
                reg.putManifest("signed", Manifests.digest(sigOfSig).toString(), Manifests.OCI_MANIFEST, sigOfSig);

                HttpResponse<byte[]> delete = reg.send("DELETE", "/v2/signed/manifests/" + subject.digest(), null);
                if (rule == RegistryOptions.ReferrersOnDelete.REFUSE) {
                    assertThat(delete.statusCode()).isEqualTo(409);
                    assertThat(TestRegistry.text(delete)).contains("lading.deletes.referrers");
                    assertPullable(reg, "signed", subject);
                } else {
                    assertThat(delete.statusCode()).isEqualTo(202);
                    assertThat(status(reg, "GET", "/v2/signed/manifests/" + Manifests.digest(sig))).isEqualTo(404);
                    assertThat(status(reg, "GET", "/v2/signed/manifests/" + Manifests.digest(sigOfSig))).isEqualTo(404);
                    assertThat(status(reg, "GET", "/v2/signed/manifests/v1")).isEqualTo(404);
                }
            }
        }
    }

    @Test
    void aBlobAManifestUsesCannotBeDeletedThroughTheBlobApi() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            Image image = pushImage(reg, "app", "v1", "in use");
            HttpResponse<byte[]> layer = reg.send("DELETE", "/v2/app/blobs/" + image.layer(), null);
            assertThat(layer.statusCode()).isEqualTo(409);
            assertThat(status(reg, "DELETE", "/v2/app/blobs/" + image.digest())).isEqualTo(409);
            Digest stray = reg.pushBlob("app", "unused".getBytes(StandardCharsets.UTF_8));
            assertThat(status(reg, "DELETE", "/v2/app/blobs/" + stray)).isEqualTo(202);
            assertPullable(reg, "app", image);
        }
    }

    @Test
    void aPushOfTheSameBytesDuringTheSweepWaitsAndItsBlobSurvives() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            byte[] bytes = "collected, then pushed again".getBytes(StandardCharsets.UTF_8);
            Digest d = reg.pushBlob("app", bytes);
            AtomicReference<CompletableFuture<Digest>> push = new AtomicReference<>();
            reg.collector.run(NOW, new GarbageCollector.Listener() {
                @Override
                public void blobMarked(Digest digest, long size) {
                    // The collector has decided; the bytes are not deleted yet. A client pushes the same blob.
                    push.set(CompletableFuture.supplyAsync(() -> {
                        try {
                            return reg.pushBlob("other", bytes);
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    }));
                    sleep(300); // the push is now waiting for the deletion to finish
                    assertThat(push.get()).isNotDone();
                }
            });
            assertThat(push.get().get()).isEqualTo(d);
            HttpResponse<byte[]> get = reg.send("GET", "/v2/other/blobs/" + d, null);
            assertThat(get.statusCode()).isEqualTo(200);
            assertThat(get.body()).isEqualTo(bytes);
            assertThat(stored(reg, d)).isTrue();
        }
    }

    @Test
    void aManifestPutOrMountDuringTheSweepCannotReferenceTheBlobBeingDeleted() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            Image image = pushImage(reg, "app", "v1", "base");
            byte[] bytes = "old layer".getBytes(StandardCharsets.UTF_8);
            Digest old = reg.pushBlob("app", bytes);
            List<Integer> statuses = new ArrayList<>();
            reg.collector.run(NOW, new GarbageCollector.Listener() {
                @Override
                public void blobMarked(Digest digest, long size) {
                    try {
                        String json = Manifests.image(image.config(), ("{\"seed\":\"base\"}").length(), old, bytes.length);
                        statuses.add(reg.putManifest("app", "v2", Manifests.OCI_MANIFEST, json).statusCode());
                        statuses.add(reg.send("POST", "/v2/app2/blobs/uploads/?mount=" + old + "&from=app", null)
                                .statusCode());
                        statuses.add(reg.send("POST", "/v2/app2/blobs/uploads/?mount=" + old, null).statusCode());
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }
            });
            // The PUT is refused (the blob is no longer in the repository) and both mounts fall back to uploads.
            assertThat(statuses).containsExactly(400, 202, 202);
            assertThat(status(reg, "GET", "/v2/app/manifests/v2")).isEqualTo(404);
            assertPullable(reg, "app", image);
        }
    }

    @Test
    void aBlobAClientLookedAtIsNotUnlinkedUnderItsManifestPush() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            Image image = pushImage(reg, "app", "v1", "base");
            byte[] bytes = "known layer".getBytes(StandardCharsets.UTF_8);
            Digest known = reg.pushBlob("app", bytes);
            Digest ignored = reg.pushBlob("app", "nobody asked".getBytes(StandardCharsets.UTF_8));
            Thread.sleep(1200); // both links are now older than the grace period
            // A client checks the blob exists (and so will not upload it), then the collector runs, then the PUT.
            assertThat(status(reg, "HEAD", "/v2/app/blobs/" + known)).isEqualTo(200);
            GarbageCollector.Result r = reg.collector.run(new GarbageCollector.Options(Duration.ofSeconds(1), false,
                    false, GarbageCollector.Orphans.SKIP), QUIET);
            assertThat(r.linksRemoved()).isEqualTo(1);
            assertThat(status(reg, "HEAD", "/v2/app/blobs/" + ignored)).isEqualTo(404);
            String json = Manifests.image(image.config(), ("{\"seed\":\"base\"}").length(), known, bytes.length);
            assertThat(reg.putManifest("app", "v2", Manifests.OCI_MANIFEST, json).statusCode()).isEqualTo(201);
        }
    }

    @Test
    void aCollectionKilledBetweenMarkAndForgetIsFinishedByTheNext() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            byte[] bytes = "half deleted".getBytes(StandardCharsets.UTF_8);
            Digest d = reg.pushBlob("app", bytes);
            reg.metadata.write(tx -> tx.unlinkBlob(RepositoryName.of("app"), d));
            // What a kill -9 right after the mark leaves: the blob marked, its bytes still there.
            assertThat(reg.metadata.<Boolean>write(tx -> tx.markDeleting(d, java.time.Instant.now().plusSeconds(1))))
                    .isTrue();
            assertThat(stored(reg, d)).isTrue();

            assertThat(reg.collector.recover()).isEqualTo(1);
            assertThat(stored(reg, d)).isFalse();
            assertThat(reg.metadata.<Boolean>read(tx -> tx.blobKnown(d))).isFalse();
            assertThat(reg.pushBlob("app", bytes)).isEqualTo(d);
            assertThat(reg.send("GET", "/v2/app/blobs/" + d, null).body()).isEqualTo(bytes);
        }
    }

    @Test
    void aDryRunReportsExactlyWhatARealRunDeletesAndChangesNothing() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            Image kept = pushImage(reg, "app", "v1", "kept");
            Image untagged = pushImage(reg, "app", null, "untagged");
            reg.pushBlob("app", "stray".getBytes(StandardCharsets.UTF_8));
            GarbageCollector.Options dry = new GarbageCollector.Options(Duration.ZERO, true, true,
                    GarbageCollector.Orphans.SKIP);

            GarbageCollector.Result wouldDo = reg.collector.run(dry, QUIET);
            assertThat(status(reg, "GET", "/v2/app/manifests/" + untagged.digest())).isEqualTo(200);
            assertThat(stored(reg, untagged.layer())).isTrue();
            GarbageCollector.Result did = reg.collector.run(NOW_UNTAGGED, QUIET);

            assertThat(wouldDo.manifestsDeleted()).isEqualTo(did.manifestsDeleted()).isEqualTo(1);
            assertThat(wouldDo.linksRemoved()).isEqualTo(did.linksRemoved());
            assertThat(wouldDo.blobsDeleted()).isEqualTo(did.blobsDeleted()).isEqualTo(4);
            assertThat(wouldDo.bytesReclaimed()).isEqualTo(did.bytesReclaimed());
            assertPullable(reg, "app", kept);
        }
    }

    @Test
    void usageCountsSharedBlobsOnceAndUniqueBlobsPerRepository() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            byte[] shared = "shared bytes".getBytes(StandardCharsets.UTF_8);
            byte[] mine = "only in a".getBytes(StandardCharsets.UTF_8);
            reg.pushBlob("a", shared);
            reg.pushBlob("b", shared);
            reg.pushBlob("a", mine);

            String total = TestRegistry.text(reg.send("GET", "/lading/v1/usage", null));
            assertThat(total).contains("\"blobs\":2").contains("\"bytes\":" + (shared.length + mine.length));
            String a = TestRegistry.text(reg.send("GET", "/lading/v1/usage/a", null));
            assertThat(a).contains("\"bytes\":" + (shared.length + mine.length))
                    .contains("\"uniqueBlobs\":1").contains("\"uniqueBytes\":" + mine.length);
            assertThat(reg.send("GET", "/lading/v1/usage/nope", null).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void readOnlyModeSwitchesAtRuntimeThroughTheAdminApi() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            assertThat(TestRegistry.text(reg.send("GET", "/lading/v1/readonly", null))).isEqualTo("{\"readOnly\":false}");
            HttpResponse<byte[]> on = reg.send("PUT", "/lading/v1/readonly", "{\"readOnly\":true}".getBytes());
            assertThat(on.statusCode()).isEqualTo(200);

            HttpResponse<byte[]> push = reg.send("POST", "/v2/app/blobs/uploads/", null);
            assertThat(push.statusCode()).isEqualTo(405);
            assertThat(TestRegistry.text(push)).contains("\"code\":\"UNSUPPORTED\"");
            assertThat(status(reg, "GET", "/v2/_catalog")).isEqualTo(200);

            assertThat(reg.send("PUT", "/lading/v1/readonly", "yes".getBytes()).statusCode()).isEqualTo(400);
            assertThat(reg.send("PUT", "/lading/v1/readonly", "{\"readOnly\":\"no\"}".getBytes()).statusCode())
                    .isEqualTo(400);
            reg.send("PUT", "/lading/v1/readonly", "{\"readOnly\":false}".getBytes());
            assertThat(reg.send("POST", "/v2/app/blobs/uploads/", null).statusCode()).isEqualTo(202);
        }
    }

    @Test
    void collectionsStartAndReportThroughTheAdminApi() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            reg.pushBlob("app", "stray".getBytes(StandardCharsets.UTF_8));
            HttpResponse<byte[]> start = reg.send("POST", "/lading/v1/gc", null);
            assertThat(start.statusCode()).isEqualTo(202);
            String status = "";
            for (int i = 0; i < 100 && !status.contains("\"finished\":\""); i++) {
                Thread.sleep(50);
                status = TestRegistry.text(reg.send("GET", "/lading/v1/gc", null));
            }
            assertThat(status).contains("\"running\":false").contains("\"blobsDeleted\":1").contains("\"error\":null");
            assertThat(reg.send("POST", "/lading/v1/gc?dryRun=maybe", null).statusCode()).isEqualTo(400);
            assertThat(reg.send("DELETE", "/lading/v1/gc", null).statusCode()).isEqualTo(405);
            assertThat(reg.send("GET", "/lading/v1/nothing", null).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void uploadPurgingRemovesIdleSessionsAndUploadBytesWithoutASession() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            String location = reg.send("POST", "/v2/app/blobs/uploads/", null).headers().firstValue("Location")
                    .orElseThrow();
            reg.send("PATCH", location, "some bytes".getBytes(StandardCharsets.UTF_8),
                    "Content-Type", "application/octet-stream");
            java.util.UUID orphan = java.util.UUID.randomUUID(); // bytes a crash left with no session record
            try (var w = reg.blobs.driver().writer(io.lading.storage.BlobStore.uploadPath(orphan), 0)) {
                w.write(java.nio.ByteBuffer.wrap("left behind".getBytes(StandardCharsets.UTF_8)));
                w.commit();
            }
            Thread.sleep(20);

            assertThat(reg.uploads.purge(Duration.ofHours(1), false)).isZero();
            assertThat(reg.uploads.purge(Duration.ZERO, true)).isEqualTo(2);
            assertThat(reg.send("GET", location, null).statusCode()).isEqualTo(204);

            assertThat(reg.uploads.purge(Duration.ZERO, false)).isEqualTo(2);
            assertThat(reg.send("GET", location, null).statusCode()).isEqualTo(404);
            assertThat(reg.blobs.driver().list("/uploads")).isEmpty();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
