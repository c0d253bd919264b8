package io.lading.cli;

import io.lading.core.Digest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** The one-request push the tests of this module use: {@code POST /v2/<repo>/blobs/uploads/?digest=} with the body. */
final class BlobPush {
    private BlobPush() {
    }

    /** Pushes {@code bytes} to {@code repo} on the registry at {@code base} (http://host:port); returns the response. */
    static HttpResponse<String> monolithic(HttpClient http, String base, String repo, byte[] bytes) throws Exception {
        Digest d = Digest.of(Digest.Algorithm.SHA256, bytes);
        return http.send(HttpRequest.newBuilder(URI.create(base + "/v2/" + repo + "/blobs/uploads/?digest=" + d))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
