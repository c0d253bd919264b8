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
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code lading gc} on a data directory a registry wrote: dry run, real run, and a second run with nothing left. */
class GcCommandTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private record Run(int exit, String out, String err) {
    }

    private static Run gc(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = new CommandLine(new GcCommand(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8))).execute(args);
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Digest push(String base, String repo, String content) throws Exception {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        assertThat(BlobPush.monolithic(http, base, repo, bytes).statusCode()).isEqualTo(201);
        return Digest.of(Digest.Algorithm.SHA256, bytes);
    }

    @Test
    void dryRunListsWhatARealRunThenDeletes(@TempDir Path data) throws Exception {
        Digest stray;
        try (LadingApp app = new LadingApp(ConfigLoader.load(null, Map.of("REGISTRY_HTTP_ADDR", "127.0.0.1:0"), data))) {
            app.start();
            String base = "http://127.0.0.1:" + app.port();
            stray = push(base, "app", "never referenced");
        }

        Run dry = gc("--data", data.toString(), "--dry-run");
        assertThat(dry.exit()).as(dry.err()).isZero();
        assertThat(dry.out()).contains("app: blob link " + stray + " eligible for deletion")
                .contains("blob " + stray + " (16 B) eligible for deletion")
                .contains("0 manifests, 1 blob links and 1 blobs (16 B) would be deleted");

        Run real = gc("--data", data.toString());
        assertThat(real.exit()).as(real.err()).isZero();
        assertThat(real.out()).contains("1 blob links and 1 blobs (16 B) deleted");
        assertThat(data.resolve("blobs/sha256/" + stray.hex().substring(0, 2) + "/" + stray.hex())).doesNotExist();

        Run again = gc("--data", data.toString(), "--quiet");
        assertThat(again.out()).contains("0 manifests, 0 blob links and 0 blobs (0 B) deleted");
        assertThat(gc("--data", data.toString(), "--grace", "soon").exit()).isEqualTo(2);

        Path mistyped = data.resolveSibling(data.getFileName() + "-typo");
        Run nowhere = gc("--data", mistyped.toString());
        assertThat(nowhere.exit()).isEqualTo(2);
        assertThat(nowhere.err()).contains("no metadata database at " + mistyped.resolve("metadata.db"));
        assertThat(mistyped).as("nothing created there").doesNotExist();
    }

    private int status(String method, String url, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (accept != null) {
            b.header("Accept", accept);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /**
     * The registry keeps what its lookups found until the metadata store reports a commit; the commits of a
     * collection run by another process must end that at once, for manifests and for blobs.
     */
    @Test
    void aRunningRegistryStopsServingWhatAnOutOfProcessRunDeleted(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        String oci = "application/vnd.oci.image.manifest.v1+json";
        try (ServerProcess server = ServerProcess.start(ServerProcess.freePort(), data)) {
            String base = "http://127.0.0.1:" + server.port;
            Digest stray = push(base, "app", "never referenced");
            Digest config = push(base, "app", "{}");
            Digest layer = push(base, "app", "layer");
            String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + oci + "\",\"config\":{\"mediaType\":"
                    + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config + "\",\"size\":2},"
                    + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + layer
                    + "\",\"size\":5}]}";
            Digest untagged = Digest.of(Digest.Algorithm.SHA256, manifest.getBytes(StandardCharsets.UTF_8));
            HttpResponse<Void> put = http.send(HttpRequest.newBuilder(URI.create(base + "/v2/app/manifests/" + untagged))
                    .header("Content-Type", oci).PUT(HttpRequest.BodyPublishers.ofString(manifest)).build(),
                    HttpResponse.BodyHandlers.discarding());
            assertThat(put.statusCode()).isEqualTo(201);
            for (int i = 0; i < 3; i++) { // the first answers are kept, the later ones come from memory
                assertThat(status("HEAD", base + "/v2/app/blobs/" + stray, null)).isEqualTo(200);
                assertThat(status("GET", base + "/v2/app/manifests/" + untagged, oci)).isEqualTo(200);
                assertThat(status("HEAD", base + "/v2/app/manifests/" + untagged, oci)).isEqualTo(200);
            }

            Run run = gc("--data", data.toString(), "--delete-untagged", "--quiet");
            assertThat(run.exit()).as(run.err()).isZero();
            assertThat(run.out()).contains("1 manifests, ");

            assertThat(status("HEAD", base + "/v2/app/blobs/" + stray, null)).isEqualTo(404);
            assertThat(status("GET", base + "/v2/app/manifests/" + untagged, oci)).isEqualTo(404);
            assertThat(status("HEAD", base + "/v2/app/manifests/" + untagged, oci)).isEqualTo(404);
        }
    }
}
