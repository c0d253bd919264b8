package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.cli.config.ConfigLoader;
import io.lading.core.Digest;
import io.lading.storage.BlobStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code lading check} on a data directory a registry wrote, after its files were damaged by hand. */
class CheckCommandTest {
    private record Run(int exit, String out, String err) {
    }

    private static Run check(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errors = new PrintStream(err, true, StandardCharsets.UTF_8);
        int exit = new CommandLine(new CheckCommand(new PrintStream(out, true, StandardCharsets.UTF_8), errors))
                .setErr(new java.io.PrintWriter(errors, true)).execute(args); // picocli's own (usage) errors too
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theScheduledCheckMakesLostContentAnswer404BeforeAnyoneReadsIt(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path config = Files.writeString(dir.resolve("config.yml"), "version: 0.1\nlading:\n  check:\n"
                + "    interval: 200ms\n");
        HttpClient http = HttpClient.newHttpClient();
        byte[] layer = new byte[200_000]; // past the staging limit: stored by the push itself
        new java.util.Random(3).nextBytes(layer);
        Digest d = Digest.of(Digest.Algorithm.SHA256, layer);
        try (LadingApp app = new LadingApp(ConfigLoader.load(config, Map.of("REGISTRY_HTTP_ADDR", "127.0.0.1:0"),
                data))) {
            app.start();
            String base = "http://127.0.0.1:" + app.port();
            assertThat(BlobPush.monolithic(http, base, "team/app", layer).statusCode()).isEqualTo(201);
            java.net.http.HttpRequest head = java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(base + "/v2/team/app/blobs/" + d))
                    .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody()).build();
            assertThat(http.send(head, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode())
                    .isEqualTo(200);
            Files.delete(data.resolve(BlobStore.blobPath(d).substring(1)));
            int status = 200;
            for (int i = 0; i < 100 && status == 200; i++) {
                Thread.sleep(50);
                status = http.send(head, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
            }
            assertThat(status).as("answered 404 by the check's mark, with no GET in between").isEqualTo(404);
        }
    }

    @Test
    void reportsLostAndCorruptContentAndMovesCorruptDataAsideWhenAsked(@TempDir Path data) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        byte[] one = "layer one".getBytes(StandardCharsets.UTF_8);
        byte[] two = "layer two".getBytes(StandardCharsets.UTF_8);
        try (LadingApp app = new LadingApp(ConfigLoader.load(null, Map.of("REGISTRY_HTTP_ADDR", "127.0.0.1:0"), data))) {
            app.start();
            String base = "http://127.0.0.1:" + app.port();
            assertThat(BlobPush.monolithic(http, base, "team/app", one).statusCode()).isEqualTo(201);
            assertThat(BlobPush.monolithic(http, base, "team/app", two).statusCode()).isEqualTo(201);
        }
        Run clean = check("--data", data.toString(), "--verify");
        assertThat(clean.exit()).as(clean.err()).isZero();
        assertThat(clean.out()).contains("2 blobs (18 B) checked, every byte read and hashed")
                .contains("nothing is damaged");

        Digest lost = Digest.of(Digest.Algorithm.SHA256, one);
        Digest rotten = Digest.of(Digest.Algorithm.SHA256, two);
        Path lostFile = data.resolve(BlobStore.blobPath(lost).substring(1));
        Path rottenFile = data.resolve(BlobStore.blobPath(rotten).substring(1));
        Files.delete(lostFile);
        Files.writeString(rottenFile, "layer 2wo");

        Run quick = check("--data", data.toString());
        assertThat(quick.exit()).isEqualTo(1);
        assertThat(quick.out()).contains("MISSING " + lost + " (9 B): no data in storage\n  reached from team/app")
                .doesNotContain("CORRUPT").contains("presence and size").contains("1 damaged")
                .contains("POST /lading/v1/check");

        Run full = check("--data", data.toString(), "--verify");
        assertThat(full.exit()).isEqualTo(1);
        assertThat(full.out()).contains("CORRUPT " + rotten + " (9 B): its bytes hash to sha256:")
                .contains("2 damaged").contains("--quarantine moves it aside");
        assertThat(rottenFile).exists();

        Run moved = check("--data", data.toString(), "--verify", "--quarantine", "--quiet");
        assertThat(moved.exit()).isEqualTo(1);
        assertThat(moved.out()).contains("; moved to /quarantine/sha256/" + rotten.hex() + ".")
                .doesNotContain("--quarantine moves it aside");
        assertThat(rottenFile).doesNotExist();
        try (Stream<Path> q = Files.list(data.resolve("quarantine/sha256"))) {
            assertThat(q.toList()).singleElement().satisfies(f -> assertThat(f).hasContent("layer 2wo"));
        }

        // Good bytes put back by hand (a restore from backup): sound again.
        Files.write(lostFile, one);
        Files.write(rottenFile, two);
        Run restored = check("--data", data.toString(), "--verify", "--quiet", "--rate", "64MiB");
        assertThat(restored.exit()).as(restored.out()).isZero();
        Run badRate = check("--data", data.toString(), "--verify", "--rate", "fast");
        assertThat(badRate.exit()).isEqualTo(2);
        assertThat(badRate.err()).contains("--rate").contains("'fast' is not a size");

        // A metadata database damaged behind the registry's back (a tag whose manifest row is gone).
        MetadataDamage.ghostTag(data, lost);
        Run metadata = check("--data", data.toString());
        assertThat(metadata.exit()).isEqualTo(1);
        assertThat(metadata.out()).contains("METADATA tag ghost of team/app names " + lost
                + ", which is not a manifest of that repository").contains("1 problems in the metadata database")
                .contains("metadata.db-wal and metadata.db-shm\naside, and put back the metadata.db of the last")
                .contains("backup (`lading backup`)");

        Run wrongDir = check("--data", data.resolve("nothing here").toString());
        assertThat(wrongDir.exit()).isEqualTo(2);
        assertThat(wrongDir.err()).contains("no metadata database at").contains("--data");
    }
}
