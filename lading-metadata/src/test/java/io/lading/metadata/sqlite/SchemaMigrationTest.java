package io.lading.metadata.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import io.lading.core.Tag;
import io.lading.metadata.BlobRecord;
import io.lading.metadata.ManifestRecord;
import io.lading.metadata.MetadataException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A database written by an earlier schema version opens with everything in it (schema version 5: blob ids). */
class SchemaMigrationTest {
    private static final RepositoryName REPO = RepositoryName.of("lib/app");
    private static final RepositoryName OTHER = RepositoryName.of("lib/other");
    private static final Instant LATER = Instant.now().plusSeconds(3600);

    private static Digest d(String s) {
        return Digest.of(Digest.Algorithm.SHA256, s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aVersion4DatabaseKeepsEveryManifestTagLinkReferenceAndStagedBlob(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("metadata.db");
        writeVersion4(file);
        try (SqliteMetadataStore store = SqliteMetadataStore.open(file)) {
            store.read(tx -> {
                assertThat(tx.taggedManifest(REPO, Tag.of("latest"))).hasValueSatisfying(m -> {
                    assertThat(m.digest()).isEqualTo(d("image"));
                    assertThat(m.mediaType()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
                    assertThat(m.size()).isEqualTo(100);
                    assertThat(m.created()).isEqualTo(Instant.ofEpochMilli(1_000));
                });
                assertThat(tx.taggedManifest(REPO, Tag.of("multi")).map(ManifestRecord::digest)).hasValue(d("index"));
                // A manifest an old version recorded without a blob row is still there, and now has one.
                assertThat(tx.taggedManifest(REPO, Tag.of("old")).map(ManifestRecord::digest)).hasValue(d("rowless"));
                assertThat(tx.blobSize(d("rowless"))).contains(30L);
                // A tag whose manifest was gone named nothing; it is not carried over.
                assertThat(tx.tags(REPO, null, 10)).containsExactly("latest", "multi", "old");
                assertThat(tx.referrers(REPO, d("image"))).singleElement().satisfies(m -> {
                    assertThat(m.digest()).isEqualTo(d("sig"));
                    assertThat(m.subject()).isEqualTo(d("image"));
                    assertThat(m.artifactType()).isEqualTo("application/x-sig");
                    assertThat(m.annotations()).isEqualTo(Map.of("k", "v"));
                });
                assertThat(tx.linkedBlobSize(REPO, d("layer"))).contains(10L);
                assertThat(tx.linkedBlobSize(OTHER, d("layer"))).contains(10L);
                assertThat(tx.linkedBlobSize(OTHER, d("config"))).isEmpty();
                assertThat(tx.staging().get(d("staged")))
                        .hasValueSatisfying(b -> assertThat(b).containsExactly(1, 2, 3));
                assertThat(tx.staging().first(10)).extracting(s -> s.digest()).containsExactly(d("staged"));
                return null;
            });
            store.write(tx -> {
                assertThat(tx.indexesReferencing(REPO, d("image"))).containsExactly(d("index"));
                assertThat(tx.blobReferenced(REPO, d("layer"))).isTrue();
                assertThat(tx.blobReferenced(OTHER, d("layer"))).isFalse();
                // Untagged and nobody's child or referrer; the referrer of the index's missing child stays.
                assertThat(tx.unreachableManifests(REPO, LATER, 10)).containsExactly(d("loose"));
                assertThat(tx.unreferencedLinks(REPO, LATER, null, 10)).containsExactly(d("spare"));
                assertThat(tx.collectableBlobs(LATER, null, 10)).extracting(BlobRecord::digest)
                        .containsExactly(d("unused"));
                return null;
            });
            // Deleting a manifest takes its tags and references with it.
            assertThat(store.<Boolean>write(tx -> tx.deleteManifest(REPO, d("index")))).isTrue();
            store.write(tx -> {
                assertThat(tx.tags(REPO, null, 10)).containsExactly("latest", "old");
                assertThat(tx.indexesReferencing(REPO, d("image"))).isEmpty();
                return null;
            });
            // Content is still recorded by digest: a manifest whose bytes were never claimed is refused.
            assertThatThrownBy(() -> store.write(tx -> tx.putManifest(REPO, new ManifestRecord(d("unclaimed"),
                    "application/vnd.oci.image.manifest.v1+json", 5, null, null, Map.of(), Instant.now()),
                    List.of(), List.of()))).isInstanceOf(MetadataException.class);
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement();
             ResultSet version = s.executeQuery("PRAGMA user_version")) {
            assertThat(version.next()).isTrue();
            assertThat(version.getInt(1)).isEqualTo(5);
        }
        try (SqliteMetadataStore again = SqliteMetadataStore.open(file)) { // opens without migrating again
            assertThat(again.<List<String>>read(tx -> tx.tags(REPO, null, 10))).containsExactly("latest", "old");
        }
    }

    /** The schema up to version 4 (rows keyed by digest), with rows of every kind in the shape it held them. */
    private static void writeVersion4(Path file) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            try (Statement s = c.createStatement()) {
                for (String name : SqliteMetadataStore.MIGRATIONS.subList(0, 4)) {
                    for (String statement : SqliteMetadataStore.statements(SqliteMetadataStore.resource(name))) {
                        s.execute(statement);
                    }
                }
                s.execute("PRAGMA user_version = 4");
                s.execute("INSERT INTO repositories (id, name, created_at)"
                        + " VALUES (1, 'lib/app', 1), (2, 'lib/other', 1)");
            }
            String[][] blobs = {{"layer", "10"}, {"config", "5"}, {"image", "100"}, {"index", "200"}, {"sig", "50"},
                    {"sig2", "50"}, {"loose", "60"}, {"spare", "7"}, {"staged", "3"}, {"unused", "8"}};
            for (String[] b : blobs) {
                exec(c, "INSERT INTO blobs (digest, size, created_at, touched_at, generation)"
                        + " VALUES (?, ?, 1000, 1000, 7)", d(b[0]), Long.parseLong(b[1]));
            }
            for (String b : List.of("layer", "config", "image", "index", "sig", "sig2", "loose", "spare")) {
                exec(c, "INSERT INTO repository_blobs (repository_id, digest, created_at) VALUES (1, ?, 1000)", d(b));
            }
            for (String b : List.of("layer", "staged")) {
                exec(c, "INSERT INTO repository_blobs (repository_id, digest, created_at) VALUES (2, ?, 1000)", d(b));
            }
            String image = "application/vnd.oci.image.manifest.v1+json";
            manifest(c, "image", image, 100, null, null, null);
            manifest(c, "index", "application/vnd.oci.image.index.v1+json", 200, null, null, null);
            manifest(c, "sig", image, 50, d("image"), "application/x-sig", "{\"k\":\"v\"}");
            manifest(c, "sig2", image, 50, d("missing-child"), "application/x-sig", null);
            manifest(c, "loose", image, 60, null, null, null);
            manifest(c, "rowless", image, 30, null, null, null);
            reference(c, "image", "b", "layer");
            reference(c, "image", "b", "config");
            reference(c, "index", "m", "image");
            reference(c, "index", "m", "missing-child");
            tag(c, "latest", "image");
            tag(c, "multi", "index");
            tag(c, "old", "rowless");
            tag(c, "dangling", "nothing");
            exec(c, "INSERT INTO staged_blobs (digest, bytes) VALUES (?, ?)", d("staged"), new byte[] {1, 2, 3});
        }
    }

    private static void manifest(Connection c, String seed, String mediaType, long size, Digest subject,
                                 String artifactType, String annotations) throws Exception {
        exec(c, "INSERT INTO manifests (repository_id, digest, media_type, size, subject, artifact_type, annotations,"
                + " created_at) VALUES (1, ?, ?, ?, ?, ?, ?, 1000)", d(seed), mediaType, size, subject, artifactType,
                annotations);
    }

    private static void reference(Connection c, String manifest, String kind, String child) throws Exception {
        exec(c, "INSERT INTO manifest_references (repository_id, manifest_digest, kind, child_digest)"
                + " VALUES (1, ?, ?, ?)", d(manifest), kind, d(child));
    }

    private static void tag(Connection c, String name, String manifest) throws Exception {
        exec(c, "INSERT INTO tags (repository_id, name, digest, updated_at) VALUES (1, ?, ?, 1000)", name, d(manifest));
    }

    private static void exec(Connection c, String sql, Object... params) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                Object p = params[i];
                ps.setObject(i + 1, p instanceof Digest digest ? digest.toString() : p);
            }
            ps.executeUpdate();
        }
    }
}
