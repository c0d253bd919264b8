package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import io.lading.registry.GarbageCollector;
import io.lading.registry.RegistryOptions;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Pushers (new and shared layers, multi-arch indexes, referrers), deleters and the collector at a 50 ms interval
 * with no grace period, all at once over real HTTP, for a bounded time ({@code -Dlading.stress.seconds}, 20 s by
 * default; the figures in docs/design/gc.md come from a 600 s run). Pinned images that nobody deletes are pulled
 * in full throughout: a single failure means the collector removed something a committed manifest needs. At the
 * end every manifest left is pulled in full, and after one more collection storage holds exactly the blobs the
 * remaining manifests need.
 *
 * <p>With no grace period a push can lose a race: its layer unlinked (or its index children deleted) between its
 * blob pushes and its manifest PUT. That PUT is then refused with MANIFEST_BLOB_UNKNOWN, which is counted, not an
 * error: the registry never accepts a manifest whose content is gone.
 */
class GarbageCollectionStressTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHURN_REPOS = 4;

    private final AtomicBoolean stop = new AtomicBoolean();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final AtomicLong pushes = new AtomicLong();
    private final AtomicLong racesLost = new AtomicLong();
    private final AtomicLong deletes = new AtomicLong();
    private final AtomicLong pinnedPulls = new AtomicLong();
    private final AtomicLong gcRuns = new AtomicLong();
    private final AtomicLong reclaimed = new AtomicLong();
    private final AtomicLong blobsDeleted = new AtomicLong();
    private final AtomicLong manifestsDeleted = new AtomicLong();

    @Test
    void concurrentPushesDeletesAndCollectionsNeverLoseReferencedContent() throws Exception {
        long seconds = Long.getLong("lading.stress.seconds", 20);
        RegistryOptions options = RegistryOptions.defaults()
                .withReferrersOnDelete(RegistryOptions.ReferrersOnDelete.CASCADE);
        try (TestRegistry reg = new TestRegistry(options)) {
            List<GarbageCollectionTest.Image> pinned = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                pinned.add(GarbageCollectionTest.pushImage(reg, "base", "keep" + i, "pinned " + i));
            }
            GarbageCollector.Options gcOptions = new GarbageCollector.Options(Duration.ZERO, true, false,
                    GarbageCollector.Orphans.SKIP);

            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                threads.add(worker("pusher-" + i, () -> push(reg, pinned)));
            }
            for (int i = 0; i < 2; i++) {
                threads.add(worker("deleter-" + i, () -> delete(reg)));
            }
            threads.add(worker("verifier", () -> {
                GarbageCollectionTest.Image image = pinned.get(ThreadLocalRandom.current().nextInt(pinned.size()));
                GarbageCollectionTest.assertPullable(reg, "base", image);
                pinnedPulls.incrementAndGet();
            }));
            threads.add(worker("collector", () -> {
                GarbageCollector.Result r = reg.collector.run(gcOptions, new GarbageCollector.Listener() {
                });
                gcRuns.incrementAndGet();
                reclaimed.addAndGet(r.bytesReclaimed());
                blobsDeleted.addAndGet(r.blobsDeleted());
                manifestsDeleted.addAndGet(r.manifestsDeleted());
                Thread.sleep(50);
            }));
            Thread.sleep(seconds * 1000);
            stop.set(true);
            for (Thread t : threads) {
                t.join(30_000);
            }
            assertThat(failures).as("failures while running").isEmpty();

            // Quiescent: every manifest left is whole, and after one more collection storage holds exactly what
            // the remaining manifests need.
            GarbageCollector.Result last = reg.collector.run(gcOptions, new GarbageCollector.Listener() {
            });
            reclaimed.addAndGet(last.bytesReclaimed());
            Set<Digest> needed = new HashSet<>();
            long manifests = 0;
            for (String repo : catalog(reg)) {
                for (Digest m : reg.metadata.<List<Digest>>read(tx -> tx.manifestDigests(RepositoryName.of(repo), null,
                        100_000))) {
                    manifests++;
                    needed.add(m);
                    needed.addAll(pullWhole(reg, repo, m));
                }
            }
            Set<Digest> stored = new HashSet<>();
            reg.staged.writeStaged(); // everything in storage, where the collector looks for orphans
            reg.blobs.forEachStoredBlob(b -> stored.add(b.digest()));
            Set<Digest> missing = new HashSet<>(needed);
            missing.removeAll(stored);
            Set<Digest> garbage = new HashSet<>(stored);
            garbage.removeAll(needed);
            System.out.printf("gc stress: %d s, %d images pushed, %d pushes lost a race, %d deletes, %d collections"
                            + " (%d manifests, %d blobs, %d bytes reclaimed), %d pinned pulls, %d manifests left,"
                            + " %d blobs needed, %d missing, %d unreferenced left%n", seconds, pushes.get(),
                    racesLost.get(), deletes.get(), gcRuns.get() + 1, manifestsDeleted.get() + last.manifestsDeleted(),
                    blobsDeleted.get() + last.blobsDeleted(), reclaimed.get(), pinnedPulls.get(), manifests,
                    needed.size(), missing.size(), garbage.size());
            assertThat(missing).as("blobs a manifest needs but storage lacks").isEmpty();
            assertThat(garbage).as("blobs no manifest needs, left after the last collection").isEmpty();
            assertThat(pushes.get()).isPositive();
            assertThat(deletes.get()).isPositive();
            assertThat(blobsDeleted.get() + last.blobsDeleted()).isPositive();
            assertThat(pinnedPulls.get()).isPositive();
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private Thread worker(String name, Step step) {
        return Thread.ofPlatform().name(name).start(() -> {
            while (!stop.get()) {
                try {
                    step.run();
                } catch (Throwable t) {
                    failures.add(name + ": " + t);
                    return;
                }
            }
        });
    }

    private static byte[] random(int min, int max) {
        byte[] b = new byte[ThreadLocalRandom.current().nextInt(min, max)];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    private static String churnRepo() {
        return "churn/" + ThreadLocalRandom.current().nextInt(CHURN_REPOS);
    }

    /** One push: an image, sometimes two under an index, sometimes with a referrer. */
    private void push(TestRegistry reg, List<GarbageCollectionTest.Image> pinned) throws Exception {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        String repo = churnRepo();
        String tag = "t" + rnd.nextInt(20);
        boolean index = rnd.nextInt(4) == 0;
        List<String> children = new ArrayList<>();
        for (int i = 0; i < (index ? 2 : 1); i++) {
            byte[] config = ("{\"n\":" + rnd.nextLong() + "}").getBytes(StandardCharsets.UTF_8);
            Digest c = pushBlob(reg, repo, config);
            if (c == null) {
                return;
            }
            Digest layer;
            long layerSize;
            if (rnd.nextBoolean()) {
                // A shared layer, mounted from the pinned images' repository.
                GarbageCollectionTest.Image from = pinned.get(rnd.nextInt(pinned.size()));
                layer = from.layer();
                HttpResponse<byte[]> mount = reg.send("POST", "/v2/" + repo + "/blobs/uploads/?mount=" + layer
                        + "&from=base", null);
                if (mount.statusCode() != 201) {
                    throw new AssertionError("mount of a pinned layer failed: " + mount.statusCode());
                }
                layerSize = reg.send("HEAD", "/v2/base/blobs/" + layer, null).headers()
                        .firstValueAsLong("Content-Length").orElseThrow();
            } else {
                byte[] bytes = random(1024, 16 * 1024);
                layer = pushBlob(reg, repo, bytes);
                if (layer == null) {
                    return;
                }
                layerSize = bytes.length;
            }
            String json = Manifests.image(c, config.length, layer, layerSize);
            String ref = index ? Manifests.digest(json).toString() : tag;
            if (!putManifest(reg, repo, ref, Manifests.OCI_MANIFEST, json)) {
                return;
            }
            children.add(Manifests.digest(json).toString());
            children.add(String.valueOf(json.length()));
        }
        String top = null;
        if (index) {
            top = Manifests.index(children.toArray(String[]::new));
            if (!putManifest(reg, repo, tag, Manifests.OCI_INDEX, top)) {
                return;
            }
        }
        if (rnd.nextInt(4) == 0) {
            Digest subject = index ? Manifests.digest(top) : Digest.parse(children.get(0));
            long subjectSize = index ? top.length() : Long.parseLong(children.get(1));
            Digest empty = pushBlob(reg, repo, "{}".getBytes(StandardCharsets.UTF_8));
            if (empty == null) {
                return;
            }
            String sbom = Manifests.artifact("application/spdx+json", empty, subject, subjectSize,
                    String.valueOf(rnd.nextLong()));
            putManifest(reg, repo, Manifests.digest(sbom).toString(), Manifests.OCI_MANIFEST, sbom);
        }
        pushes.incrementAndGet();
    }

    /**
     * Pushes a blob; null when it lost a race with the collector (collected between claim and link: 503, only
     * possible because the grace period is 0).
     */
    private Digest pushBlob(TestRegistry reg, String repo, byte[] bytes) throws Exception {
        Digest d = Digest.of(Digest.Algorithm.SHA256, bytes);
        HttpResponse<byte[]> r = reg.send("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + d, bytes);
        if (r.statusCode() == 201) {
            return d;
        }
        if (r.statusCode() == 503 && TestRegistry.text(r).contains("garbage collected while it was being stored")) {
            racesLost.incrementAndGet();
            return null;
        }
        throw new AssertionError("blob push " + repo + " -> " + r.statusCode() + " " + TestRegistry.text(r));
    }

    /** PUTs a manifest; false when it lost a race with the collector (MANIFEST_BLOB_UNKNOWN). */
    private boolean putManifest(TestRegistry reg, String repo, String ref, String type, String json) throws Exception {
        HttpResponse<byte[]> r = reg.putManifest(repo, ref, type, json);
        if (r.statusCode() == 201) {
            return true;
        }
        if (r.statusCode() == 400 && TestRegistry.text(r).contains("MANIFEST_BLOB_UNKNOWN")
                || r.statusCode() == 503 && TestRegistry.text(r).contains("garbage collected while it was being stored")) {
            racesLost.incrementAndGet();
            return false;
        }
        throw new AssertionError("manifest PUT " + repo + ":" + ref + " -> " + r.statusCode() + " " + TestRegistry.text(r));
    }

    /** One delete: untag, or delete a tagged manifest by digest (409 when an index lists it is fine). */
    private void delete(TestRegistry reg) throws Exception {
        String repo = churnRepo();
        HttpResponse<byte[]> list = reg.send("GET", "/v2/" + repo + "/tags/list", null);
        if (list.statusCode() == 404) {
            Thread.sleep(20);
            return;
        }
        JsonNode tags = JSON.readTree(list.body()).get("tags");
        if (tags == null || tags.isEmpty()) {
            Thread.sleep(20);
            return;
        }
        String tag = tags.get(ThreadLocalRandom.current().nextInt(tags.size())).asText();
        String target = tag;
        if (ThreadLocalRandom.current().nextBoolean()) {
            HttpResponse<byte[]> head = reg.send("HEAD", "/v2/" + repo + "/manifests/" + tag, null,
                    "Accept", Manifests.OCI_MANIFEST + ", " + Manifests.OCI_INDEX);
            if (head.statusCode() != 200) {
                return;
            }
            target = head.headers().firstValue("Docker-Content-Digest").orElseThrow();
        }
        int status = reg.send("DELETE", "/v2/" + repo + "/manifests/" + target, null).statusCode();
        if (status != 202 && status != 404 && status != 409) {
            throw new AssertionError("DELETE " + repo + " " + target + " -> " + status);
        }
        if (status == 202) {
            deletes.incrementAndGet();
        }
        Thread.sleep(10);
    }

    private static List<String> catalog(TestRegistry reg) throws Exception {
        List<String> out = new ArrayList<>();
        JSON.readTree(reg.send("GET", "/v2/_catalog", null).body()).get("repositories").forEach(n -> out.add(n.asText()));
        return out;
    }

    /** Pulls a manifest and everything it references; returns the blob digests it needs. */
    private static Set<Digest> pullWhole(TestRegistry reg, String repo, Digest manifest) throws Exception {
        HttpResponse<byte[]> m = reg.send("GET", "/v2/" + repo + "/manifests/" + manifest, null,
                "Accept", Manifests.OCI_MANIFEST + ", " + Manifests.OCI_INDEX);
        assertThat(m.statusCode()).as("manifest %s in %s", manifest, repo).isEqualTo(200);
        assertThat(Digest.of(Digest.Algorithm.SHA256, m.body())).isEqualTo(manifest);
        JsonNode root = JSON.readTree(m.body());
        Set<Digest> needed = new HashSet<>();
        List<JsonNode> blobs = new ArrayList<>();
        if (root.has("config")) {
            blobs.add(root.get("config"));
        }
        if (root.has("layers")) {
            root.get("layers").forEach(blobs::add);
        }
        for (JsonNode d : blobs) {
            Digest digest = Digest.parse(d.get("digest").asText());
            HttpResponse<byte[]> b = reg.send("GET", "/v2/" + repo + "/blobs/" + digest, null);
            assertThat(b.statusCode()).as("blob %s of %s in %s", digest, manifest, repo).isEqualTo(200);
            assertThat(Digest.of(Digest.Algorithm.SHA256, b.body())).isEqualTo(digest);
            needed.add(digest);
        }
        if (root.has("manifests")) {
            for (JsonNode child : root.get("manifests")) {
                Digest c = Digest.parse(child.get("digest").asText());
                needed.add(c);
                needed.addAll(pullWhole(reg, repo, c));
            }
        }
        return needed;
    }
}
