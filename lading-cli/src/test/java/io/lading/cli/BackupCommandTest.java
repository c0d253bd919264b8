package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.cli.config.ConfigLoader;
import io.lading.core.Digest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code lading backup} of a serving registry, brought up to date by a second run, then served itself. */
class BackupCommandTest {
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private final HttpClient http = HttpClient.newHttpClient();

    private record Run(int exit, String out, String err) {
    }

    private static Run run(java.util.concurrent.Callable<Integer> command, ByteArrayOutputStream out,
                           ByteArrayOutputStream err, String... args) {
        int exit = new CommandLine(command) // picocli's own (usage) errors go where the command's do
                .setErr(new java.io.PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true))
                .execute(args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Run backup(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        return run(new BackupCommand(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)), out, err, args);
    }

    private static Run check(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        return run(new CheckCommand(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)), out, err, args);
    }

    private Digest push(String base, byte[] bytes) throws Exception {
        assertThat(BlobPush.monolithic(http, base, "team/app", bytes).statusCode()).isEqualTo(201);
        return Digest.of(Digest.Algorithm.SHA256, bytes);
    }

    private HttpResponse<byte[]> get(String url, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (accept != null) {
            b.header("Accept", accept);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void aBackupTakenWhileServingIsADataDirectoryThatServesTheSameContent(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path copy = dir.resolve("backup");
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = random(200_000, 1); // stored in files
        byte[] later = random(300_000, 2);
        byte[] manifest;
        Digest layerDigest;
        Digest laterDigest;
        byte[] intact = random(100_000, 3);
        Digest intactDigest;
        byte[] grown = random(50_000, 4);
        Digest grownDigest;
        try (LadingApp app = new LadingApp(ConfigLoader.load(null, Map.of("REGISTRY_HTTP_ADDR", "127.0.0.1:0"),
                data))) {
            app.start();
            String base = "http://127.0.0.1:" + app.port();
            Digest configDigest = push(base, config); // small: staged in the database at first
            layerDigest = push(base, layer);
            manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                    + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest + "\",\"size\":2},"
                    + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\""
                    + layerDigest + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/team/app/manifests/v1"))
                    .header("Content-Type", OCI_MANIFEST).PUT(HttpRequest.BodyPublishers.ofByteArray(manifest))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(201);

            Run first = backup("--data", data.toString(), "--to", copy.toString());
            assertThat(first.exit()).as(first.err()).isZero();
            assertThat(first.out()).contains("3 blobs recorded").contains(" there already");

            laterDigest = push(base, later);
            Run second = backup("--data", data.toString(), "--to", copy.toString(), "--quiet", "--rate", "100MiB");
            assertThat(second.exit()).as(second.err()).isZero();
            // Only the new layer (293.0 KiB) is copied, with the config and manifest (a few hundred bytes) when the
            // staged writer has moved them out of the database by then; never the first layer (195.3 KiB) again.
            assertThat(second.out()).as("only what is new is copied").contains("4 blobs recorded")
                    .containsPattern(" copied \\(293\\.[0-9] KiB\\), [1-3] there already");
            intactDigest = push(base, intact); // for the last backups below
            grownDigest = push(base, grown);
        }
        try (var files = Files.list(copy)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no partial copy left")
                    .noneMatch(n -> n.contains("partial"));
        }

        // The backup serves what was pushed, byte for byte, and is sound.
        try (LadingApp restored = new LadingApp(ConfigLoader.load(null,
                Map.of("REGISTRY_HTTP_ADDR", "127.0.0.1:0"), copy))) {
            restored.start();
            String base = "http://127.0.0.1:" + restored.port() + "/v2/team/app/";
            assertThat(get(base + "manifests/v1", OCI_MANIFEST).body()).isEqualTo(manifest);
            assertThat(get(base + "blobs/" + layerDigest, null).body()).isEqualTo(layer);
            assertThat(get(base + "blobs/" + laterDigest, null).body()).isEqualTo(later);
        }
        Run sound = check("--data", copy.toString(), "--verify");
        assertThat(sound.exit()).as(sound.out()).isZero();

        // Backing up into it again after it was served works; into the registry's own directory does not.
        assertThat(backup("--data", data.toString(), "--to", copy.toString(), "--quiet").exit()).isZero();
        Run inside = backup("--data", data.toString(), "--to", data.resolve("b").toString());
        assertThat(inside.exit()).isEqualTo(2);
        assertThat(inside.err()).contains("must be outside the registry's directory");
        Path file = java.nio.file.Files.writeString(dir.resolve("a-file"), "not a directory");
        Run onFile = backup("--data", data.toString(), "--to", file.toString());
        assertThat(onFile.exit()).isEqualTo(2);
        assertThat(onFile.err()).contains("--to " + file + " is a file; name a directory");
        Run badRate = backup("--data", data.toString(), "--to", dir.resolve("b").toString(), "--rate", "-5");
        assertThat(badRate.exit()).isEqualTo(2);
        assertThat(badRate.err()).contains("--rate").contains("'-5' is not a size");
        Run nowhere = backup("--data", dir.resolve("nothing").toString(), "--to", dir.resolve("b").toString());
        assertThat(nowhere.exit()).isEqualTo(2);
        assertThat(nowhere.err()).contains("no metadata database");

        // Content whose data the registry lost, or whose bytes rotted, is named and not copied; the rest is.
        Files.delete(data.resolve(io.lading.storage.BlobStore.blobPath(layerDigest).substring(1)));
        Path rotten = data.resolve(io.lading.storage.BlobStore.blobPath(laterDigest).substring(1));
        byte[] flipped = Files.readAllBytes(rotten);
        flipped[1234] ^= 0x10;
        Files.write(rotten, flipped);
        byte[] overgrown = random(400_000, 5); // a small blob's file overwritten with more than a batch takes
        Files.write(data.resolve(io.lading.storage.BlobStore.blobPath(grownDigest).substring(1)), overgrown);
        Path third = dir.resolve("third");
        Run damaged = backup("--data", data.toString(), "--to", third.toString());
        assertThat(damaged.exit()).isEqualTo(1);
        assertThat(damaged.out()).contains("no data for " + layerDigest)
                .contains("the data of " + laterDigest + " hashes to " + Digest.of(Digest.Algorithm.SHA256, flipped))
                .contains("the data of " + grownDigest + " hashes to " + Digest.of(Digest.Algorithm.SHA256, overgrown))
                .contains("3 recorded blobs had no sound data").contains("6 blobs recorded");
        assertThat(third.resolve(io.lading.storage.BlobStore.blobPath(intactDigest).substring(1)))
                .hasBinaryContent(intact);
        assertThat(third.resolve(io.lading.storage.BlobStore.blobPath(laterDigest).substring(1))).doesNotExist();
        try (var files = Files.walk(third)) {
            assertThat(files.filter(Files::isRegularFile).map(third::relativize).map(Path::toString))
                    .as("nothing of the corrupt copy is left behind").noneMatch(p -> p.startsWith("uploads"));
        }

        // A metadata database with a problem of its own (a tag whose manifest is gone) is copied as it is, and said.
        MetadataDamage.ghostTag(data, intactDigest);
        byte[] soundDatabase = Files.readAllBytes(third.resolve("metadata.db"));
        Run ghost = backup("--data", data.toString(), "--to", third.toString(), "--quiet");
        assertThat(ghost.exit()).isEqualTo(1);
        assertThat(ghost.out()).contains("METADATA tag ghost of team/app names " + intactDigest)
                .contains("the copy of the metadata database has 1 problems")
                .contains("the backup's metadata.db from before is kept");
        assertThat(third.resolve("metadata.db")).as("a damaged copy does not replace a sound backup")
                .hasBinaryContent(soundDatabase);
        try (var files = Files.list(third)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .anyMatch(n -> n.startsWith("metadata.db.") && n.endsWith(".damaged"));
        }
    }
}
