package io.lading.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lading.core.Digest;
import io.lading.core.ErrorCode;
import io.lading.core.Reference;
import io.lading.core.RegistryException;
import io.lading.core.RepositoryName;
import io.lading.core.Tag;
import io.lading.metadata.ManifestRecord;
import io.lading.metadata.MetadataStore;
import io.lading.metadata.ObservedMetadataStore;
import io.lading.metadata.sqlite.SqliteMetadataStore;
import io.lading.registry.events.Notifier;
import io.lading.storage.BlobStore;
import io.lading.storage.InMemoryDriver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestServiceTest {
    private static final RepositoryName REPO = RepositoryName.of("lib/app");
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    private final AtomicInteger reads = new AtomicInteger();

    private static byte[] image(Digest config, Digest layer, String note) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config + "\",\"size\":2},"
                + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + layer
                + "\",\"size\":5}],\"annotations\":{\"note\":\"" + note + "\"}}").getBytes(StandardCharsets.UTF_8);
    }

    private static Reference tag(String t) {
        return new Reference.ByTag(Tag.of(t));
    }

    @Test
    void pushedManifestsAreServedWithoutAReadAsTheStoreHasThemAndAMovedTagFollows(@TempDir Path dir) {
        try (SqliteMetadataStore sqlite = SqliteMetadataStore.open(dir.resolve("metadata.db"))) {
            MetadataStore metadata = new ObservedMetadataStore(sqlite, (kind, nanos, failed) -> {
                if (kind.equals("read")) {
                    reads.incrementAndGet();
                }
            });
            BlobStore blobs = new BlobStore(new InMemoryDriver());
            StagedContent staged = new StagedContent(metadata, blobs, StagedContent.Settings.DEFAULTS);
            RegistryOptions options = RegistryOptions.defaults().withDelete(true);
            ManifestService manifests = new ManifestService(metadata, blobs, staged, options,
                    new SpaceReserve(blobs, options.reserve()), Clock.systemUTC(), Notifier.none());
            Digest config = push(staged, "{}");
            Digest layer = push(staged, "layer");

            Digest one = manifests.put(REPO, tag("v1"), image(config, layer, "one"), OCI_MANIFEST, List.of()).digest();
            Digest two = manifests.put(REPO, tag("v2"), image(config, layer, "two"), OCI_MANIFEST, List.of()).digest();
            int before = reads.get();
            ManifestRecord v1 = manifests.stat(REPO, tag("v1"));
            assertThat(v1.digest()).isEqualTo(one);
            assertThat(manifests.stat(REPO, new Reference.ByDigest(one))).isEqualTo(v1);
            assertThat(manifests.stat(REPO, tag("v2")).digest()).isEqualTo(two);
            assertThat(reads.get()).as("kept by the pushes; the second did not drop the first").isEqualTo(before);
            assertThat(v1).as("what the store has").isEqualTo(sqlite.<java.util.Optional<ManifestRecord>>read(
                    tx -> tx.taggedManifest(REPO, Tag.of("v1"))).orElseThrow());

            // v1 moves to a manifest the repository has already, v2 to a new one: both kept by their pushes, v1
            // with the record the repository had.
            ManifestRecord v2 = manifests.stat(REPO, tag("v2"));
            manifests.put(REPO, tag("v1"), image(config, layer, "two"), OCI_MANIFEST, List.of());
            Digest three = manifests.put(REPO, tag("v2"), image(config, layer, "three"), OCI_MANIFEST, List.of())
                    .digest();
            int moved = reads.get();
            assertThat(manifests.stat(REPO, tag("v1"))).isEqualTo(v2);
            assertThat(manifests.stat(REPO, tag("v2")).digest()).isEqualTo(three);
            assertThat(reads.get()).isEqualTo(moved);

            // A delete drops everything kept.
            manifests.delete(REPO, new Reference.ByDigest(three));
            assertThatThrownBy(() -> manifests.stat(REPO, tag("v2"))).isInstanceOfSatisfying(RegistryException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.MANIFEST_UNKNOWN));
            assertThatThrownBy(() -> manifests.stat(REPO, new Reference.ByDigest(three)))
                    .isInstanceOf(RegistryException.class);
            assertThat(manifests.stat(REPO, tag("v1")).digest()).isEqualTo(two);
        }
    }

    @Test
    void sizesArePushedChecksAndMirroredContentIsStoredAsItCame() {
        try (SqliteMetadataStore metadata = SqliteMetadataStore.inMemory()) {
            BlobStore blobs = new BlobStore(new InMemoryDriver());
            StagedContent staged = new StagedContent(metadata, blobs, StagedContent.Settings.DEFAULTS);
            RegistryOptions options = RegistryOptions.defaults();
            ManifestService manifests = new ManifestService(metadata, blobs, staged, options,
                    new SpaceReserve(blobs, options.reserve()), Clock.systemUTC(), Notifier.none());
            Digest config = push(staged, "{}");
            Digest layer = push(staged, "a layer of 15"); // not the 5 bytes image() gives it
            byte[] wrong = image(config, layer, "sizes");
            assertThatThrownBy(() -> manifests.put(REPO, tag("v1"), wrong, OCI_MANIFEST, List.of()))
                    .isInstanceOfSatisfying(RegistryException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.MANIFEST_INVALID);
                        assertThat(e.getMessage()).contains(layer + " has 13 bytes, not 5");
                    });
            byte[] twice = image(config, config, "twice"); // config given as 2 bytes, and as 5 among the layers
            assertThatThrownBy(() -> manifests.put(REPO, tag("v1"), twice, OCI_MANIFEST, List.of()))
                    .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.getMessage())
                            .contains("two sizes"));

            // A pull-through cache (or an import) keeps upstream's manifest as it is, whatever it says.
            for (byte[] bytes : List.of(wrong, twice)) {
                Digest d = Digest.of(Digest.Algorithm.SHA256, bytes);
                assertThat(manifests.mirror(REPO, Tag.of("cached"), d, bytes, OCI_MANIFEST).digest()).isEqualTo(d);
                assertThat(manifests.stat(REPO, tag("cached")).digest()).isEqualTo(d);
            }
        }
    }

    private static Digest push(StagedContent staged, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        Digest d = Digest.of(Digest.Algorithm.SHA256, bytes);
        staged.store(d, bytes, tx -> {
            tx.linkBlob(REPO, d);
            return null;
        });
        return d;
    }
}
