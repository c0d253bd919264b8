package io.lading.http;

import static io.lading.http.Manifests.OCI_MANIFEST;
import static org.assertj.core.api.Assertions.assertThat;

import io.lading.core.Digest;
import io.lading.registry.RegistryOptions;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which thread answers which request, and that both ways give the same answer. */
class LadingHandlerTest {
    /** One finished request as the observer saw it, on the thread that handled it. */
    private record Seen(String method, String route, int status, boolean virtualThread) {
    }

    private final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
    private TestRegistry reg;
    private Digest layer;
    private String manifest;
    private Digest manifestDigest;

    @BeforeEach
    void start() throws Exception {
        reg = new TestRegistry(RegistryOptions.defaults().withDelete(true),
                (route, method, status, nanos, in, out) ->
                        seen.add(new Seen(method, route, status, Thread.currentThread().isVirtual())));
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        byte[] layerBytes = "layer-bytes".getBytes(StandardCharsets.UTF_8);
        Digest c = reg.pushBlob("app", config);
        layer = reg.pushBlob("app", layerBytes);
        manifest = Manifests.image(c, config.length, layer, layerBytes.length);
        manifestDigest = Manifests.digest(manifest);
        assertThat(reg.putManifest("app", "v1", OCI_MANIFEST, manifest).statusCode()).isEqualTo(201);
        // a second tag, whose deletion below is a commit that makes every kept lookup out of date
        assertThat(reg.putManifest("app", "spare", OCI_MANIFEST, manifest).statusCode()).isEqualTo(201);
        // unstaged, the bytes are kept in memory once read (a staged push keeps them at once)
        assertThat(getTag().statusCode()).isEqualTo(200);
        assertThat(virtualThreads(7)).hasSize(7); // two blob pushes (POST and PUT), two manifest pushes, the GET
    }

    @AfterEach
    void stop() throws Exception {
        reg.close();
    }

    private HttpResponse<byte[]> getTag() throws Exception {
        return reg.send("GET", "/v2/app/manifests/v1", null, "Accept", OCI_MANIFEST);
    }

    private HttpResponse<byte[]> headManifest() throws Exception {
        return reg.send("HEAD", "/v2/app/manifests/" + manifestDigest, null);
    }

    private HttpResponse<byte[]> headBlob() throws Exception {
        return reg.send("HEAD", "/v2/app/blobs/" + layer, null);
    }

    /**
     * The thread kinds of the next {@code count} requests to finish. A handler on a virtual thread reports after
     * its response is sent, so the client may have the response first, and a later request may finish first:
     * wait for them, and compare kinds only within a group of requests sent together.
     */
    private List<Boolean> virtualThreads(int count) throws InterruptedException {
        List<Boolean> kinds = new ArrayList<>();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (kinds.size() < count && System.nanoTime() < deadline) {
            Seen s = seen.poll();
            if (s == null) {
                Thread.sleep(5);
            } else {
                kinds.add(s.virtualThread());
            }
        }
        Thread.sleep(50); // and nothing more comes
        assertThat(seen).isEmpty();
        return kinds;
    }

    @Test
    void answersKeptPullsOnTheThreadThatReadTheRequestAndHandsEverythingElseToAVirtualThread() throws Exception {
        assertThat(getTag().statusCode()).isEqualTo(200);
        assertThat(headManifest().statusCode()).isEqualTo(200);
        assertThat(headBlob().statusCode()).isEqualTo(200);
        assertThat(virtualThreads(3)).containsExactly(false, false, false);

        assertThat(reg.send("GET", "/v2/app/blobs/" + layer, null).statusCode()).isEqualTo(200);
        assertThat(reg.send("GET", "/v2/app/manifests/unknown", null).statusCode()).isEqualTo(404);
        assertThat(reg.send("HEAD", "/v2/app/blobs/" + Digest.of(Digest.Algorithm.SHA256, new byte[1]), null)
                .statusCode()).isEqualTo(404);
        assertThat(reg.send("GET", "/v2/app/manifests/v1", null, "Accept", "application/vnd.docker.distribution"
                + ".manifest.v2+json").statusCode()).isEqualTo(404); // negotiation refuses: the error comes from there
        assertThat(reg.send("HEAD", "/v2/app/blobs/" + layer, null, "Range", "bytes=0-1").statusCode())
                .isEqualTo(206);
        assertThat(reg.putManifest("app", "v2", OCI_MANIFEST, manifest).statusCode()).isEqualTo(201);
        assertThat(reg.send("POST", "/v2/app/blobs/uploads/", null).statusCode()).isEqualTo(202);
        assertThat(reg.send("GET", "/v2/", null).statusCode()).isEqualTo(200);
        assertThat(virtualThreads(8)).containsOnly(true).hasSize(8);
    }

    @Test
    void memoryAndStoreGiveTheSameAnswer() throws Exception {
        HttpResponse<byte[]> getFromMemory = getTag();
        HttpResponse<byte[]> headFromMemory = headManifest();
        HttpResponse<byte[]> blobFromMemory = headBlob();
        assertThat(virtualThreads(3)).containsExactly(false, false, false);

        assertThat(reg.send("DELETE", "/v2/app/manifests/spare", null).statusCode()).isEqualTo(202);
        HttpResponse<byte[]> getFromStore = getTag();
        HttpResponse<byte[]> headFromStore = headManifest();
        HttpResponse<byte[]> blobFromStore = headBlob();
        assertThat(virtualThreads(4)).containsExactly(true, true, true, true);

        assertSameAnswer(getFromMemory, getFromStore);
        assertSameAnswer(headFromMemory, headFromStore);
        assertSameAnswer(blobFromMemory, blobFromStore);
        assertThat(TestRegistry.text(getFromMemory)).isEqualTo(manifest);
        assertThat(getFromMemory.headers().firstValue("Docker-Content-Digest")).contains(manifestDigest.toString());
        assertThat(headFromMemory.headers().firstValue("Content-Length"))
                .contains(String.valueOf(manifest.length()));
        assertThat(blobFromMemory.headers().firstValue("Content-Length")).contains("11");

        // what the store answered is kept again: the next pull is answered from memory
        assertThat(getTag().statusCode()).isEqualTo(200);
        assertThat(virtualThreads(1)).containsExactly(false);
    }

    private static void assertSameAnswer(HttpResponse<byte[]> fromMemory, HttpResponse<byte[]> fromStore) {
        assertThat(fromMemory.statusCode()).isEqualTo(fromStore.statusCode());
        assertThat(fromMemory.body()).isEqualTo(fromStore.body());
        assertThat(headersWithoutDateAndId(fromMemory)).isEqualTo(headersWithoutDateAndId(fromStore));
    }

    private static Map<String, List<String>> headersWithoutDateAndId(HttpResponse<byte[]> r) {
        Map<String, List<String>> h = new TreeMap<>(r.headers().map());
        h.remove("date");
        h.remove("x-request-id");
        return h;
    }
}
