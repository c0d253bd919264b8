package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lading.core.Digest;
import io.lading.storage.BlobStore;
import io.lading.storage.FileSystemDriver;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /lading/v1/check}: a content check of the running registry over its admin API. What it finds gone is
 * answered 404 at once, before any client pulls it, so clients push it again.
 */
class ContentCheckApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aCheckFindsLostAndCorruptLayersAndTheirHeadsAnswer404UntilTheyArePushedAgain(@TempDir Path dir)
            throws Exception {
        try (TestRegistry reg = new TestRegistry(null, new FileSystemDriver(dir))) {
            byte[] lost = new byte[100_000];
            byte[] rotten = new byte[100_000];
            new Random(1).nextBytes(lost);
            new Random(2).nextBytes(rotten);
            Digest lostLayer = reg.pushBlob("team/app", lost);
            Digest rottenLayer = reg.pushBlob("team/app", rotten);
            Digest config = reg.pushBlob("team/app", "{}".getBytes(StandardCharsets.UTF_8));
            String manifest = Manifests.image(config, 2, lostLayer, lost.length);
            assertThat(reg.putManifest("team/app", "v1", Manifests.OCI_MANIFEST, manifest).statusCode())
                    .isEqualTo(201);
            reg.staged.writeStaged();

            JsonNode clean = runCheck(reg, "?verify=true&verifyRate=1GiB");
            assertThat(clean.get("problems").asLong()).isZero();
            assertThat(clean.get("verifyRate").asLong()).isEqualTo(1L << 30);
            assertThat(clean.get("metadataProblems").isArray()).isTrue();
            assertThat(clean.get("metadataProblems")).isEmpty();
            assertThat(clean.get("blobs").asLong()).isEqualTo(4);
            assertThat(clean.get("bytesRead").asLong()).isGreaterThanOrEqualTo(200_000);

            Files.delete(dir.resolve(BlobStore.blobPath(lostLayer).substring(1)));
            Path rottenFile = dir.resolve(BlobStore.blobPath(rottenLayer).substring(1));
            byte[] flipped = rotten.clone();
            flipped[50_000] ^= 1;
            Files.write(rottenFile, flipped);
            assertThat(reg.send("HEAD", "/v2/team/app/blobs/" + lostLayer, null).statusCode())
                    .as("nothing read it yet").isEqualTo(200);

            JsonNode last = runCheck(reg, "?verify=true&quarantine=true");
            assertThat(last.get("problems").asLong()).isEqualTo(2);
            assertThat(last.get("findingsTruncated").asBoolean()).isFalse();
            Map<String, JsonNode> byDigest = new HashMap<>();
            last.get("findings").forEach(f -> byDigest.put(f.get("digest").asText(), f));
            JsonNode missing = byDigest.get(lostLayer.toString());
            assertThat(missing.get("problem").asText()).isEqualTo("MISSING");
            assertThat(missing.get("movedTo").isNull()).isTrue();
            assertThat(missing.get("usedBy").toString()).contains("\"repository\":\"team/app\",\"manifest\":null")
                    .contains("\"manifest\":\"" + Manifests.digest(manifest) + "\",\"tags\":[\"v1\"]");
            JsonNode corrupt = byDigest.get(rottenLayer.toString());
            assertThat(corrupt.get("problem").asText()).isEqualTo("CORRUPT");
            assertThat(corrupt.get("detail").asText()).contains("hash to sha256:");
            String movedTo = corrupt.get("movedTo").asText();
            assertThat(Files.readAllBytes(dir.resolve(movedTo.substring(1)))).as("kept for the operator")
                    .isEqualTo(flipped);

            // Both answer 404 before any GET, so a client pushing the image sends them again, and that heals them.
            for (Digest d : new Digest[]{lostLayer, rottenLayer}) {
                assertThat(reg.send("HEAD", "/v2/team/app/blobs/" + d, null).statusCode()).isEqualTo(404);
            }
            assertThat(reg.send("HEAD", "/v2/team/app/blobs/" + config, null).statusCode()).isEqualTo(200);
            reg.pushBlob("team/app", lost);
            reg.pushBlob("team/app", rotten);
            assertThat(reg.send("GET", "/v2/team/app/blobs/" + lostLayer, null).body()).isEqualTo(lost);
            assertThat(reg.send("GET", "/v2/team/app/blobs/" + rottenLayer, null).body()).isEqualTo(rotten);
            assertThat(runCheck(reg, "?verify=true").get("problems").asLong()).isZero();
        }
    }

    @Test
    void theCheckEndpointRefusesWhatItDoesNotUnderstand() throws Exception {
        try (TestRegistry reg = new TestRegistry()) {
            JsonNode idle = JSON.readTree(reg.send("GET", "/lading/v1/check", null).body());
            assertThat(idle.get("running").asBoolean()).isFalse();
            assertThat(idle.get("last").isNull()).isTrue();
            assertThat(idle.get("lastFailure").isNull()).isTrue();
            HttpResponse<byte[]> bad = reg.send("POST", "/lading/v1/check?verify=maybe", null);
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(TestRegistry.text(bad)).contains("verify must be true or false");
            HttpResponse<byte[]> badRate = reg.send("POST", "/lading/v1/check?verify=true&verifyRate=fast", null);
            assertThat(badRate.statusCode()).isEqualTo(400);
            assertThat(TestRegistry.text(badRate)).contains("verifyRate: 'fast' is not a size");
            assertThat(idle.get("settings").get("verifyRate").asLong()).as("TestRegistry's settings").isZero();
            assertThat(idle.get("settings").get("enabled").asBoolean()).isFalse();
            assertThat(reg.send("DELETE", "/lading/v1/check", null).statusCode()).isEqualTo(405);
        }
    }

    /** Starts a check and waits for it; returns its result. */
    private static JsonNode runCheck(TestRegistry reg, String query) throws Exception {
        JsonNode before = JSON.readTree(reg.send("GET", "/lading/v1/check", null).body()).get("last");
        HttpResponse<byte[]> start = reg.send("POST", "/lading/v1/check" + query, null);
        assertThat(start.statusCode()).isEqualTo(202);
        for (int i = 0; i < 200; i++) {
            JsonNode status = JSON.readTree(reg.send("GET", "/lading/v1/check", null).body());
            JsonNode last = status.get("last");
            if (!status.get("running").asBoolean() && !last.isNull() && !last.equals(before)) {
                return last;
            }
            Thread.sleep(25);
        }
        throw new AssertionError("the check did not finish");
    }
}
