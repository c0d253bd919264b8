package io.lading.http;

import static io.lading.http.TestRegistry.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.lading.core.Digest;
import io.lading.registry.RegistryOptions;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Blob pushes (every upload flavour), pulls, mounts and deletes over real HTTP. One registry; each test its own repositories. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BlobApiTest {
    private TestRegistry reg;

    @BeforeAll
    void start() throws Exception {
        reg = new TestRegistry();
    }

    @AfterAll
    void stop() throws Exception {
        reg.close();
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private String startUpload(String repo) throws Exception {
        HttpResponse<byte[]> r = reg.send("POST", "/v2/" + repo + "/blobs/uploads/", null);
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(r.headers().firstValue("Docker-Upload-UUID")).isPresent();
        assertThat(r.headers().firstValue("Range")).hasValue("0-0");
        return r.headers().firstValue("Location").orElseThrow();
    }

    /** Its data removed behind the registry's back: the 404 must not carry the content's caching headers. */
    @Test
    void anErrorAfterTheContentHeadersWereSetCarriesNoneOfThem() throws Exception {
        byte[] content = new byte[100_000]; // above staging: its data is a file of the driver's
        new Random(5).nextBytes(content);
        Digest d = reg.pushBlob("lost/data", content);
        reg.blobs.driver().delete(io.lading.storage.BlobStore.blobPath(d));
        HttpResponse<byte[]> r = reg.send("GET", "/v2/lost/data/blobs/" + d, null);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(text(r)).contains("BLOB_UNKNOWN");
        for (String header : new String[]{"Cache-Control", "ETag", "Docker-Content-Digest", "Accept-Ranges"}) {
            assertThat(r.headers().firstValue(header)).as(header).isEmpty();
        }
        assertThat(r.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");
        assertThat(r.headers().firstValue("X-Request-Id")).isPresent();
    }

    /** The same for a range request: a 404 describes no range of anything. */
    @Test
    void anErrorAfterARangeWasSetCarriesNoContentRange() throws Exception {
        byte[] content = new byte[100_000];
        new Random(7).nextBytes(content);
        Digest d = reg.pushBlob("lost/range", content);
        reg.blobs.driver().delete(io.lading.storage.BlobStore.blobPath(d));
        HttpResponse<byte[]> r = reg.send("GET", "/v2/lost/range/blobs/" + d, null, "Range", "bytes=0-99");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(text(r)).contains("BLOB_UNKNOWN");
        assertThat(r.headers().firstValue("Content-Range")).isEmpty();
    }

    /**
     * A blob whose data went missing answers 404 to HEAD too once a read found out, so a client pushes it again, and
     * that push stores its bytes; a manifest's bytes come back when it is pushed again.
     */
    @Test
    void contentWhoseDataWentMissingIsStoredAgainByTheNextPush() throws Exception {
        byte[] layer = new byte[100_000];
        new Random(6).nextBytes(layer);
        Digest blob = reg.pushBlob("lost/remedy", layer);
        Digest config = reg.pushBlob("lost/remedy", "{}".getBytes(StandardCharsets.UTF_8));
        String manifest = Manifests.image(config, 2, blob, layer.length);
        assertThat(reg.putManifest("lost/remedy", "v1", Manifests.OCI_MANIFEST, manifest).statusCode())
                .isEqualTo(201);
        reg.staged.writeStaged(); // the manifest's bytes to their file, as the background writer would
        assertThat(reg.send("POST", "/v2/lost/other/blobs/uploads/?mount=" + blob + "&from=lost/remedy", null)
                .statusCode()).isEqualTo(201);
        Digest m = Manifests.digest(manifest);
        reg.blobs.driver().delete(io.lading.storage.BlobStore.blobPath(blob));
        reg.blobs.driver().delete(io.lading.storage.BlobStore.blobPath(m));
        assertThat(reg.send("GET", "/v2/lost/remedy/blobs/" + blob, null).statusCode()).isEqualTo(404);

        assertThat(reg.send("HEAD", "/v2/lost/remedy/blobs/" + blob, null).statusCode()).isEqualTo(404);
        assertThat(reg.send("HEAD", "/v2/lost/other/blobs/" + blob, null).statusCode()).isEqualTo(404);
        assertThat(reg.send("HEAD", "/v2/lost/remedy/blobs/" + config, null).statusCode()).isEqualTo(200);
        reg.pushBlob("lost/remedy", layer); // what a client does after that HEAD
        assertThat(reg.send("HEAD", "/v2/lost/remedy/blobs/" + blob, null).statusCode()).isEqualTo(200);
        assertThat(reg.send("GET", "/v2/lost/remedy/blobs/" + blob, null).body()).isEqualTo(layer);

        // The manifest's bytes are still in memory here, so its GET works; pushing it again puts its file back.
        assertThat(reg.putManifest("lost/remedy", "v1", Manifests.OCI_MANIFEST, manifest).statusCode())
                .isEqualTo(201);
        reg.staged.writeStaged();
        assertThat(reg.blobs.driver().stat(io.lading.storage.BlobStore.blobPath(m)).size())
                .isEqualTo(manifest.getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void baseEndpointAnswers200WithApiVersionHeader() throws Exception {
        HttpResponse<byte[]> r = reg.send("GET", "/v2/", null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");
    }

    @Test
    void anErrorBeforeTheBodyWasReadClosesTheConnectionAndSaysSo() throws Exception {
        // A PATCH to an unknown upload is refused before its body is read, so the connection cannot carry another
        // request: the response must say Connection: close, or a keep-alive client sends its next request into a
        // socket the server is closing.
        try (Socket socket = new Socket("127.0.0.1", reg.server.port())) {
            socket.setSoTimeout(10_000);
            var out = socket.getOutputStream();
            out.write(("PATCH /v2/app/blobs/uploads/" + UUID.randomUUID() + " HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[1000]);
            out.flush();
            byte[] response = socket.getInputStream().readAllBytes(); // returns when the server closes the socket
            String head = new String(response, StandardCharsets.ISO_8859_1);
            assertThat(head).startsWith("HTTP/1.1 404").containsIgnoringCase("Connection: close")
                    .contains("BLOB_UPLOAD_UNKNOWN");
        }
        // A refused request without a body keeps the connection.
        HttpResponse<byte[]> r = reg.send("GET", "/v2/app/blobs/uploads/" + UUID.randomUUID(), null);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.headers().firstValue("Connection")).isEmpty();
    }

    @Test
    void anErrorAfterTheWholeBodyArrivedKeepsTheConnection() throws Exception {
        // A monolithic push whose digest does not match is refused after its body was read; the same connection then
        // carries the next request (closing it would make a keep-alive client race the close with that request).
        byte[] content = random(5000);
        Digest wrong = Digest.of(Digest.Algorithm.SHA256, new byte[]{1});
        try (Socket socket = new Socket("127.0.0.1", reg.server.port())) {
            socket.setSoTimeout(10_000);
            var out = socket.getOutputStream();
            out.write(("POST /v2/app/blobs/uploads/?digest=" + wrong + " HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/octet-stream\r\nContent-Length: " + content.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(content);
            out.write("GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            var in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.ISO_8859_1));
            String first = readResponse(in);
            assertThat(first).startsWith("HTTP/1.1 400").contains("DIGEST_INVALID")
                    .doesNotContainIgnoringCase("Connection: close");
            assertThat(readResponse(in)).startsWith("HTTP/1.1 200").contains("{}");
        }
    }

    /** Reads one response with a Content-Length body: its status line, headers and body. */
    private static String readResponse(BufferedReader in) throws IOException {
        StringBuilder b = new StringBuilder();
        int length = 0;
        for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
            b.append(line).append('\n');
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        char[] body = new char[length];
        for (int n = 0; n < length; ) {
            int r = in.read(body, n, length - n);
            if (r < 0) {
                throw new EOFException("the server closed the connection inside a response body");
            }
            n += r;
        }
        return b.append('\n').append(body).toString();
    }

    @Test
    void monolithicPostThenPutStoresBlob() throws Exception {
        byte[] content = random(100_000);
        Digest d = reg.pushBlob("monolithic-post-then-put-stores-blob/a/b", content);
        HttpResponse<byte[]> get = reg.send("GET", "/v2/monolithic-post-then-put-stores-blob/a/b/blobs/" + d, null);
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo(content);
        assertThat(get.headers().firstValue("Docker-Content-Digest")).hasValue(d.toString());
    }

    @Test
    void singlePostWithDigestCreatesBlob() throws Exception {
        byte[] content = random(1000);
        Digest d = Digest.of(Digest.Algorithm.SHA256, content);
        HttpResponse<byte[]> r = reg.send("POST", "/v2/single-post-with-digest-creates-blob/blobs/uploads/?digest=" + d, content);
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().firstValue("Location")).hasValue("/v2/single-post-with-digest-creates-blob/blobs/" + d);
        assertThat(r.headers().firstValue("Docker-Content-Digest")).hasValue(d.toString());
    }

    @Test
    void headReportsRealContentLengthAndDigest() throws Exception {
        byte[] content = random(12345);
        Digest d = reg.pushBlob("head-reports-real-content-length-and-digest", content);
        HttpResponse<byte[]> r = reg.send("HEAD", "/v2/head-reports-real-content-length-and-digest/blobs/" + d, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Length")).hasValue("12345");
        assertThat(r.headers().firstValue("Docker-Content-Digest")).hasValue(d.toString());
        assertThat(r.body()).isEmpty();
    }

    @Test
    void chunkedUploadWithContentRangeAppendsInOrder() throws Exception {
        byte[] content = random(300_000);
        Digest d = Digest.of(Digest.Algorithm.SHA256, content);
        String loc = startUpload("chunked-upload-with-content-range-appends-in-order");
        int[] cuts = {0, 100_000, 250_000, 300_000};
        for (int i = 0; i < 3; i++) {
            byte[] chunk = Arrays.copyOfRange(content, cuts[i], cuts[i + 1]);
            HttpResponse<byte[]> p = reg.send("PATCH", loc, chunk, "Content-Range", cuts[i] + "-" + (cuts[i + 1] - 1),
                    "Content-Type", "application/octet-stream");
            assertThat(p.statusCode()).isEqualTo(202);
            assertThat(p.headers().firstValue("Range")).hasValue("0-" + (cuts[i + 1] - 1));
            loc = p.headers().firstValue("Location").orElseThrow();
        }
        HttpResponse<byte[]> put = reg.send("PUT", loc + "?digest=" + d, null);
        assertThat(put.statusCode()).isEqualTo(201);
        assertThat(reg.send("GET", "/v2/chunked-upload-with-content-range-appends-in-order/blobs/" + d, null).body()).isEqualTo(content);
    }

    @Test
    void chunkedUploadWithoutContentRangeAndFinalChunkInPut() throws Exception {
        byte[] content = random(50_000);
        Digest d = Digest.of(Digest.Algorithm.SHA256, content);
        String loc = startUpload("chunked-upload-without-content-range-and-final-chunk-in-put");
        HttpResponse<byte[]> p = reg.send("PATCH", loc, Arrays.copyOfRange(content, 0, 20_000));
        assertThat(p.statusCode()).isEqualTo(202);
        HttpResponse<byte[]> put = reg.send("PUT", loc + "?digest=" + d, Arrays.copyOfRange(content, 20_000, 50_000));
        assertThat(put.statusCode()).isEqualTo(201);
        assertThat(reg.send("GET", "/v2/chunked-upload-without-content-range-and-final-chunk-in-put/blobs/" + d, null).body()).isEqualTo(content);
    }

    @Test
    void transferEncodingChunkedPatchBodyIsAccepted() throws Exception {
        byte[] content = random(70_000);
        Digest d = Digest.of(Digest.Algorithm.SHA256, content);
        String loc = startUpload("transfer-encoding-chunked-patch-body-is-accepted");
        HttpRequest.Builder b = reg.request(loc).method("PATCH",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(content)));
        HttpResponse<byte[]> p = reg.send(b);
        assertThat(p.statusCode()).isEqualTo(202);
        assertThat(p.headers().firstValue("Range")).hasValue("0-69999");
        assertThat(reg.send("PUT", loc + "?digest=" + d, null).statusCode()).isEqualTo(201);
    }

    @Test
    void outOfOrderChunkGets416WithCurrentRange() throws Exception {
        String loc = startUpload("out-of-order-chunk-gets416-with-current-range");
        reg.send("PATCH", loc, random(10), "Content-Range", "0-9");
        HttpResponse<byte[]> p = reg.send("PATCH", loc, random(10), "Content-Range", "20-29");
        assertThat(p.statusCode()).isEqualTo(416);
        assertThat(p.headers().firstValue("Range")).hasValue("0-9");
        assertThat(text(p)).contains("RANGE_INVALID");
    }

    @Test
    void uploadStatusReportsOffsetAndCancelEndsSession() throws Exception {
        String loc = startUpload("upload-status-reports-offset-and-cancel-ends-session");
        reg.send("PATCH", loc, random(42), "Content-Range", "0-41");
        HttpResponse<byte[]> status = reg.send("GET", loc, null);
        assertThat(status.statusCode()).isEqualTo(204);
        assertThat(status.headers().firstValue("Range")).hasValue("0-41");
        assertThat(reg.send("DELETE", loc, null).statusCode()).isEqualTo(204);
        HttpResponse<byte[]> after = reg.send("GET", loc, null);
        assertThat(after.statusCode()).isEqualTo(404);
        assertThat(text(after)).contains("BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    void unknownUploadIdIs404() throws Exception {
        assertThat(reg.send("PATCH", "/v2/unknown-upload-id-is404/blobs/uploads/not-a-uuid", random(3)).statusCode()).isEqualTo(404);
        assertThat(reg.send("GET", "/v2/unknown-upload-id-is404/blobs/uploads/3f1e0a42-5c4b-4f65-9a43-2f0d1b1f6c11", null).statusCode())
                .isEqualTo(404);
    }

    @Test
    void digestMismatchStoresNothing() throws Exception {
        byte[] content = random(1000);
        Digest wrong = Digest.of(Digest.Algorithm.SHA256, random(5));
        String loc = startUpload("digest-mismatch-stores-nothing");
        HttpResponse<byte[]> put = reg.send("PUT", loc + "?digest=" + wrong, content);
        assertThat(put.statusCode()).isEqualTo(400);
        assertThat(text(put)).contains("DIGEST_INVALID");
        assertThat(reg.send("HEAD", "/v2/digest-mismatch-stores-nothing/blobs/" + wrong, null).statusCode()).isEqualTo(404);
        assertThat(reg.send("HEAD", "/v2/digest-mismatch-stores-nothing/blobs/" + Digest.of(Digest.Algorithm.SHA256, content), null).statusCode())
                .isEqualTo(404);
        assertThat(reg.send("GET", loc, null).statusCode()).isEqualTo(404);
    }

    @Test
    void sha512BlobsAreVerified() throws Exception {
        byte[] content = random(5000);
        Digest d = Digest.of(Digest.Algorithm.SHA512, content);
        HttpResponse<byte[]> post = reg.send("POST", "/v2/sha512-blobs-are-verified/blobs/uploads/?digest-algorithm=sha512", null);
        String loc = post.headers().firstValue("Location").orElseThrow();
        assertThat(reg.send("PUT", loc + "?digest=" + d, content).statusCode()).isEqualTo(201);
        assertThat(reg.send("GET", "/v2/sha512-blobs-are-verified/blobs/" + d, null).body()).isEqualTo(content);
    }

    @Test
    void unsupportedOrMalformedDigestIs400() throws Exception {
        String loc = startUpload("unsupported-or-malformed-digest-is400");
        HttpResponse<byte[]> r = reg.send("PUT", loc + "?digest=md5:abc", random(3));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(text(r)).contains("DIGEST_INVALID");
        assertThat(reg.send("GET", "/v2/unsupported-or-malformed-digest-is400/blobs/sha256:xyz", null).statusCode()).isEqualTo(400);
    }

    @Test
    void rangeGetReturns206AndUnsatisfiableRangeIs416() throws Exception {
        byte[] content = random(1000);
        Digest d = reg.pushBlob("range-get-returns206-and-unsatisfiable-range-is416", content);
        HttpResponse<byte[]> r = reg.send("GET", "/v2/range-get-returns206-and-unsatisfiable-range-is416/blobs/" + d, null, "Range", "bytes=10-19");
        assertThat(r.statusCode()).isEqualTo(206);
        assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes 10-19/1000");
        assertThat(r.body()).isEqualTo(Arrays.copyOfRange(content, 10, 20));
        HttpResponse<byte[]> suffix = reg.send("GET", "/v2/range-get-returns206-and-unsatisfiable-range-is416/blobs/" + d, null, "Range", "bytes=-5");
        assertThat(suffix.body()).isEqualTo(Arrays.copyOfRange(content, 995, 1000));
        HttpResponse<byte[]> bad = reg.send("GET", "/v2/range-get-returns206-and-unsatisfiable-range-is416/blobs/" + d, null, "Range", "bytes=2000-");
        assertThat(bad.statusCode()).isEqualTo(416);
        assertThat(bad.headers().firstValue("Content-Range")).hasValue("bytes */1000");
    }

    @Test
    void blobIsVisibleOnlyInRepositoriesThatHoldIt() throws Exception {
        Digest d = reg.pushBlob("blob-is-visible-only-in-repositories-that-hold-it/one", random(10));
        assertThat(reg.send("HEAD", "/v2/blob-is-visible-only-in-repositories-that-hold-it/two/blobs/" + d, null).statusCode()).isEqualTo(404);
        HttpResponse<byte[]> get = reg.send("GET", "/v2/blob-is-visible-only-in-repositories-that-hold-it/two/blobs/" + d, null);
        assertThat(text(get)).contains("BLOB_UNKNOWN");
    }

    @Test
    void mountFromAnotherRepositoryCreatesLink() throws Exception {
        Digest d = reg.pushBlob("mount-from-another-repository-creates-link/src", random(10));
        HttpResponse<byte[]> r = reg.send("POST", "/v2/mount-from-another-repository-creates-link/dst/blobs/uploads/?mount=" + d + "&from=mount-from-another-repository-creates-link/src", null);
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().firstValue("Location")).hasValue("/v2/mount-from-another-repository-creates-link/dst/blobs/" + d);
        assertThat(reg.send("HEAD", "/v2/mount-from-another-repository-creates-link/dst/blobs/" + d, null).statusCode()).isEqualTo(200);
    }

    @Test
    void mountWithoutFromFindsBlobAnywhere() throws Exception {
        Digest d = reg.pushBlob("mount-without-from-finds-blob-anywhere/src", random(11));
        assertThat(reg.send("POST", "/v2/mount-without-from-finds-blob-anywhere/other/blobs/uploads/?mount=" + d, null).statusCode()).isEqualTo(201);
    }

    @Test
    void mountOfUnavailableBlobFallsBackToUploadSession() throws Exception {
        Digest d = reg.pushBlob("mount-of-unavailable-blob-falls-back-to-upload-session/src", random(12));
        HttpResponse<byte[]> r = reg.send("POST", "/v2/mount-of-unavailable-blob-falls-back-to-upload-session/dst/blobs/uploads/?mount=" + d + "&from=elsewhere", null);
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(r.headers().firstValue("Location").orElseThrow()).startsWith("/v2/mount-of-unavailable-blob-falls-back-to-upload-session/dst/blobs/uploads/");
        assertThat(reg.send("HEAD", "/v2/mount-of-unavailable-blob-falls-back-to-upload-session/dst/blobs/" + d, null).statusCode()).isEqualTo(404);
    }

    @Test
    void deleteUnlinksBlobFromRepository() throws Exception {
        Digest d = reg.pushBlob("delete-unlinks-blob-from-repository", random(10));
        assertThat(reg.send("DELETE", "/v2/delete-unlinks-blob-from-repository/blobs/" + d, null).statusCode()).isEqualTo(202);
        assertThat(reg.send("HEAD", "/v2/delete-unlinks-blob-from-repository/blobs/" + d, null).statusCode()).isEqualTo(404);
        assertThat(reg.send("DELETE", "/v2/delete-unlinks-blob-from-repository/blobs/" + d, null).statusCode()).isEqualTo(404);
    }

    @Test
    void deletesAreRefusedWhenDisabled() throws Exception {
        try (TestRegistry noDelete = new TestRegistry(RegistryOptions.defaults().withDelete(false))) {
            Digest d = noDelete.pushBlob("deletes-are-refused-when-disabled", random(10));
            HttpResponse<byte[]> r = noDelete.send("DELETE", "/v2/deletes-are-refused-when-disabled/blobs/" + d, null);
            assertThat(r.statusCode()).isEqualTo(405);
            assertThat(text(r)).contains("UNSUPPORTED");
        }
    }

    @Test
    void readOnlyModeRefusesWritesButServesReads() throws Exception {
        Digest d = reg.pushBlob("read-only-mode-refuses-writes-but-serves-reads", random(10));
        reg.options.readOnly().set(true);
        try {
            HttpResponse<byte[]> post = reg.send("POST", "/v2/read-only-mode-refuses-writes-but-serves-reads/blobs/uploads/", null);
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(text(post)).contains("UNSUPPORTED");
            assertThat(reg.send("GET", "/v2/read-only-mode-refuses-writes-but-serves-reads/blobs/" + d, null).statusCode()).isEqualTo(200);
        } finally {
            reg.options.readOnly().set(false);
        }
    }

    @Test
    void chunkMinLengthIsAdvertisedWhenConfigured() throws Exception {
        RegistryOptions d = RegistryOptions.defaults();
        RegistryOptions withMin = new RegistryOptions(true, d.readOnly(), d.indexValidation(), d.indexPlatforms(),
                5 * 1024 * 1024, d.catalogMaxEntries(), d.tagsMaxEntries(), d.referrers(), d.reserve(),
                d.manifestUrls(), d.redirects());
        try (TestRegistry r = new TestRegistry(withMin)) {
            HttpResponse<byte[]> post = r.send("POST", "/v2/x/blobs/uploads/", null);
            assertThat(post.headers().firstValue("OCI-Chunk-Min-Length")).hasValue(String.valueOf(5 * 1024 * 1024));
        }
        assertThat(reg.send("POST", "/v2/x/blobs/uploads/", null).headers().firstValue("OCI-Chunk-Min-Length")).isEmpty();
    }

    @Test
    void invalidNamesAndPathsGetNameInvalid() throws Exception {
        for (String path : new String[]{"/v2/UPPER/blobs/uploads/", "/v2/a/../b/blobs/uploads/",
                "/v2/a%2Fb/blobs/uploads/", "/v2/a//b/blobs/uploads/", "/v2/-a/blobs/uploads/"}) {
            HttpResponse<byte[]> r = reg.send("POST", path, null);
            assertThat(r.statusCode()).as(path).isEqualTo(400);
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).as(path).contains("NAME_INVALID");
        }
    }

    @Test
    void unknownEndpointIs404AndWrongMethodIs405() throws Exception {
        assertThat(reg.send("GET", "/v3/", null).statusCode()).isEqualTo(404);
        assertThat(reg.send("GET", "/v2/unknown-endpoint-is404-and-wrong-method-is405/nothing/here", null).statusCode()).isEqualTo(404);
        assertThat(reg.send("PATCH", "/v2/unknown-endpoint-is404-and-wrong-method-is405/manifests/latest", new byte[1]).statusCode()).isEqualTo(405);
    }
}
