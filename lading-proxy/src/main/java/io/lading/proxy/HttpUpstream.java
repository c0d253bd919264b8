package io.lading.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lading.core.Digest;
import io.lading.core.Manifest;
import io.lading.core.MediaTypes;
import io.lading.core.MemoryBudget;
import io.lading.core.Reference;
import io.lading.core.RepositoryName;
import io.lading.registry.Upstream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The registry a pull-through cache mirrors, asked over HTTP with the JDK's client: the Distribution API's HEADs and
 * GETs, authenticated as that registry asks (its {@code WWW-Authenticate} challenge): none, Basic with
 * {@code proxy.username}/{@code password} or a credential helper's (proxy.exec), or a Bearer token from the
 * challenge's realm (the Docker token protocol), fetched with those credentials or anonymously and kept per scope
 * until shortly before it expires.
 *
 * <p>Redirects (Docker Hub sends blob GETs to a CDN) are followed here, not by the client, so that the registry's
 * credentials never go to another host. A manifest is read to at most 4 MiB; a blob is handed over as a stream.
 */
public final class HttpUpstream implements Upstream {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ACCEPT = String.join(", ", MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST,
            MediaTypes.DOCKER_LIST, MediaTypes.DOCKER_MANIFEST);
    private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
    private static final int MAX_REDIRECTS = 5;
    /** A token is not used in its last seconds: it could expire on its way. */
    private static final Duration TOKEN_MARGIN = Duration.ofSeconds(30);
    /** What a token without expires_in lasts (the token specification's default). */
    private static final Duration TOKEN_DEFAULT = Duration.ofSeconds(60);
    /**
     * The heap an exchange with upstream may hold while its response is read: the JDK client reads a connection's
     * bytes into heap buffers of {@code jdk.httpclient.bufsize} (16 KiB by default), up to three at a time; one
     * such batch waits for the reader while it reads another, and the connection keeps the buffer being filled.
     */
    static final int EXCHANGE_BYTES = 7 * Integer.getInteger("jdk.httpclient.bufsize", 16 * 1024);
    /**
     * An eighth of the heap for the blob GETs to upstream of all caches in the process (each held while its blob
     * streams into the cache); past it a blob GET waits, in arrival order, and its request gets 429 after
     * {@link MemoryBudget#WAIT}. Without it, 200 pulls at once of blobs not cached yet stopped a cache with the
     * launcher's heap (OutOfMemoryError; decision 0034).
     */
    private static final MemoryBudget BLOB_EXCHANGES = new MemoryBudget(Runtime.getRuntime().maxMemory() / 8,
            "blob fetches from the upstream registry in flight");
    /**
     * A thirty-second of the heap for the other requests (manifests, HEADs, tokens): short ones, which a burst of
     * long blob fetches does not hold up.
     */
    private static final MemoryBudget LOOKUP_EXCHANGES = new MemoryBudget(Runtime.getRuntime().maxMemory() / 32,
            "requests to the upstream registry in flight");
    /**
     * A sixteenth of the heap for manifests being read whole from upstream (up to 4 MiB each, by their declared
     * length): a few large ones at once wait rather than fill the heap.
     */
    private static final MemoryBudget MANIFEST_BYTES = new MemoryBudget(Runtime.getRuntime().maxMemory() / 16,
            "manifests being fetched from the upstream registry");

    /**
     * The memory budgets requests to upstream take their shares of, and how long one waits for its share before
     * its client gets 429.
     *
     * @param blobFetches   blob GETs, {@link #EXCHANGE_BYTES} each until the blob's body is closed
     * @param lookups       every other request, the same
     * @param manifestBytes a manifest's declared length (or the most a manifest may be) while it is read
     * @param patience      how long a request waits for its share
     */
    record Budgets(MemoryBudget blobFetches, MemoryBudget lookups, MemoryBudget manifestBytes, Duration patience) {
        static final Budgets SHARED = new Budgets(BLOB_EXCHANGES, LOOKUP_EXCHANGES, MANIFEST_BYTES, MemoryBudget.WAIT);
    }

    private final URI remote;
    private final UpstreamCredentials credentials;
    private final HttpClient http;
    private final Duration timeout;
    private final Clock clock;
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    private final Budgets budgets;

    private record Token(String value, Instant expires) {
    }

    /**
     * @param remote   proxy.remoteurl: the registry's root ({@code https://registry-1.docker.io})
     * @param username proxy.username, or null to ask anonymously
     * @param timeout  how long to wait for a connection and for each response's head (a blob's body may take longer)
     */
    public HttpUpstream(URI remote, String username, String password, Duration timeout, Clock clock) {
        this(remote, UpstreamCredentials.of(username, password), timeout, clock);
    }

    /** @param credentials what to authenticate with: proxy.username/password, or a credential helper (proxy.exec) */
    public HttpUpstream(URI remote, UpstreamCredentials credentials, Duration timeout, Clock clock) {
        this(remote, credentials, timeout, clock, Budgets.SHARED);
    }

    /** @param budgets what requests to upstream take their memory from (the process's, unless a test says) */
    HttpUpstream(URI remote, UpstreamCredentials credentials, Duration timeout, Clock clock, Budgets budgets) {
        this.budgets = budgets;
        String root = remote.toString().replaceAll("/+$", "");
        this.remote = URI.create(root);
        this.credentials = credentials;
        this.timeout = timeout;
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    @Override
    public Optional<ManifestHead> head(RepositoryName repository, Reference reference) throws IOException {
        String path = "/v2/" + repository + "/manifests/" + reference;
        HttpResponse<InputStream> r = send(repository, "HEAD", path, ACCEPT, budgets.lookups());
        try (InputStream ignored = r.body()) {
            if (r.statusCode() == 404) {
                return Optional.empty();
            }
            expectOk(r, "HEAD", path);
            Optional<String> digest = r.headers().firstValue("Docker-Content-Digest");
            String mediaType = MediaTypes.normalize(r.headers().firstValue("Content-Type").orElse(""));
            long size = r.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (digest.isPresent()) {
                try {
                    return Optional.of(new ManifestHead(Digest.parse(digest.get()), mediaType, size));
                } catch (RuntimeException invalid) {
                    throw new IOException("upstream answered HEAD " + path + " with a malformed digest '"
                            + digest.get() + "'");
                }
            }
        }
        // A registry that does not say the digest on a HEAD: the bytes tell it.
        return fetchManifest(repository, reference.toString()).map(b -> {
            Digest d = Digest.of(Digest.Algorithm.SHA256, b.bytes());
            return new ManifestHead(d, b.mediaType(), b.bytes().length);
        });
    }

    @Override
    public Optional<ManifestBody> manifest(RepositoryName repository, Digest digest) throws IOException {
        return fetchManifest(repository, digest.toString());
    }

    private Optional<ManifestBody> fetchManifest(RepositoryName repository, String reference) throws IOException {
        String path = "/v2/" + repository + "/manifests/" + reference;
        HttpResponse<InputStream> r = send(repository, "GET", path, ACCEPT, budgets.lookups());
        try (InputStream body = r.body()) {
            if (r.statusCode() == 404) {
                return Optional.empty();
            }
            expectOk(r, "GET", path);
            long declared = r.headers().firstValueAsLong("Content-Length").orElse(Manifest.MAX_BYTES + 1L);
            byte[] bytes;
            try (MemoryBudget.Share held = budgets.manifestBytes().acquire(Math.min(declared,
                    Manifest.MAX_BYTES + 1L), budgets.patience())) {
                bytes = body.readNBytes(Manifest.MAX_BYTES + 1);
            }
            if (bytes.length > Manifest.MAX_BYTES) {
                throw new IOException("upstream's manifest " + repository + ":" + reference + " exceeds "
                        + Manifest.MAX_BYTES + " bytes");
            }
            return Optional.of(new ManifestBody(MediaTypes.normalize(r.headers().firstValue("Content-Type")
                    .orElse("")), bytes));
        }
    }

    @Override
    public Optional<Long> blobSize(RepositoryName repository, Digest digest) throws IOException {
        String path = "/v2/" + repository + "/blobs/" + digest;
        HttpResponse<InputStream> r = send(repository, "HEAD", path, null, budgets.lookups());
        try (InputStream ignored = r.body()) {
            if (r.statusCode() == 404) {
                return Optional.empty();
            }
            expectOk(r, "HEAD", path);
            long length = r.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (length < 0) {
                throw new IOException("upstream answered HEAD " + path + " without a Content-Length");
            }
            return Optional.of(length);
        }
    }

    @Override
    public Optional<BlobBody> blob(RepositoryName repository, Digest digest) throws IOException {
        String path = "/v2/" + repository + "/blobs/" + digest;
        HttpResponse<InputStream> r = send(repository, "GET", path, null, budgets.blobFetches());
        if (r.statusCode() == 404) {
            r.body().close();
            return Optional.empty();
        }
        try {
            expectOk(r, "GET", path);
        } catch (IOException e) {
            r.body().close();
            throw e;
        }
        return Optional.of(new BlobBody(r.headers().firstValueAsLong("Content-Length").orElse(-1), r.body()));
    }

    private static void expectOk(HttpResponse<?> r, String method, String path) throws IOException {
        if (r.statusCode() == 429 || r.statusCode() == 503) {
            throw new Busy("upstream answered " + method + " " + path + " with " + r.statusCode()
                    + (r.statusCode() == 429 ? " (rate limited)" : " (unavailable)"), retryAfter(r));
        }
        if (r.statusCode() != 200) {
            throw new IOException("upstream answered " + method + " " + path + " with " + r.statusCode()
                    + (r.statusCode() == 401 || r.statusCode() == 403
                    ? " (the proxy's credentials are not accepted for it)" : ""));
        }
    }

    /** A Retry-After in seconds (the form registries send), or null. */
    private static Duration retryAfter(HttpResponse<?> r) {
        try {
            return r.headers().firstValue("Retry-After").map(String::trim).map(Long::parseLong)
                    .filter(s -> s >= 0).map(Duration::ofSeconds).orElse(null);
        } catch (NumberFormatException httpDate) {
            return null;
        }
    }

    /**
     * Sends a request to the registry, authenticated as it asks, following redirects without credentials, each
     * exchange holding a share of {@code budget} (one at a time). The response's body is the caller's to close.
     */
    private HttpResponse<InputStream> send(RepositoryName repository, String method, String path, String accept,
                                           MemoryBudget budget) throws IOException {
        URI uri = remote.resolve(path);
        String scope = "repository:" + repository + ":pull";
        HttpResponse<InputStream> r = exchange(method, uri, accept, authorization(scope), budget);
        if (r.statusCode() == 401) {
            String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
            r.body().close();
            String auth = answer(challenge, scope);
            if (auth == null) {
                throw new IOException("upstream answered " + method + " " + path + " with 401 and a challenge"
                        + " Lading cannot answer: '" + challenge + "'");
            }
            r = exchange(method, uri, accept, auth, budget);
        }
        for (int hops = 0; isRedirect(r.statusCode()); hops++) {
            Optional<String> location = r.headers().firstValue("Location");
            r.body().close();
            if (location.isEmpty() || hops == MAX_REDIRECTS) {
                throw new IOException("upstream redirected " + method + " " + path + (location.isEmpty()
                        ? " without a Location" : " more than " + MAX_REDIRECTS + " times"));
            }
            URI next = uri.resolve(location.get());
            // Credentials go to the registry's own host only (a CDN's signed URL must not get them).
            String auth = sameOrigin(next, remote) ? authorization(scope) : null;
            uri = next;
            r = exchange(method, uri, accept, auth, budget);
        }
        return r;
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && a.getPort() == b.getPort();
    }

    private HttpResponse<InputStream> exchange(String method, URI uri, String accept, String authorization,
                                               MemoryBudget budget) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout)
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (accept != null) {
            b.header("Accept", accept);
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        MemoryBudget.Share share = budget.acquire(EXCHANGE_BYTES, budgets.patience());
        try {
            return http.send(b.build(), info -> HttpResponse.BodySubscribers.mapping(
                    HttpResponse.BodySubscribers.ofInputStream(), in -> new Releasing(in, share)));
        } catch (InterruptedException e) {
            share.close();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking upstream " + uri, e);
        } catch (IOException | RuntimeException e) {
            share.close();
            throw e;
        }
    }

    /** A response's body that gives its exchange's share of the budget back when it is closed. */
    private static final class Releasing extends FilterInputStream {
        private final MemoryBudget.Share share;

        Releasing(InputStream in, MemoryBudget.Share share) {
            super(in);
            this.share = share;
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } finally {
                share.close();
            }
        }
    }

    /** What to send before any challenge: a token kept for the scope, else Basic credentials, else nothing. */
    private String authorization(String scope) throws IOException {
        Token t = tokens.get(scope);
        if (t != null && clock.instant().isBefore(t.expires())) {
            return "Bearer " + t.value();
        }
        return credentials.basic();
    }

    /** The Authorization answering {@code challenge}, or null when there is none to give. */
    private String answer(String challenge, String scope) throws IOException {
        String scheme = challenge.split("\\s+", 2)[0];
        if (scheme.equalsIgnoreCase("Basic")) {
            return credentials.basic();
        }
        if (!scheme.equalsIgnoreCase("Bearer")) {
            return null;
        }
        Map<String, String> params = new LinkedHashMap<>();
        Matcher m = PARAM.matcher(challenge);
        while (m.find()) {
            params.put(m.group(1).toLowerCase(java.util.Locale.ROOT), m.group(2));
        }
        String realm = params.get("realm");
        if (realm == null) {
            return null;
        }
        StringBuilder url = new StringBuilder(realm).append(realm.contains("?") ? '&' : '?');
        if (params.containsKey("service")) {
            url.append("service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8))
                    .append('&');
        }
        url.append("scope=").append(URLEncoder.encode(params.getOrDefault("scope", scope), StandardCharsets.UTF_8));
        HttpResponse<InputStream> r = exchange("GET", URI.create(url.toString()), null, credentials.basic(),
                budgets.lookups());
        JsonNode body;
        try (InputStream in = r.body()) {
            if (r.statusCode() != 200) {
                throw new IOException("upstream's token service " + realm + " answered " + r.statusCode()
                        + (r.statusCode() == 401 ? " (the proxy's credentials are not accepted)" : ""));
            }
            body = JSON.readTree(in.readNBytes(1 << 20));
        }
        String token = body.path("token").asText(body.path("access_token").asText(""));
        if (token.isEmpty()) {
            throw new IOException("upstream's token service " + realm + " answered without a token");
        }
        long seconds = body.path("expires_in").asLong(TOKEN_DEFAULT.toSeconds());
        Instant expires = clock.instant().plusSeconds(seconds).minus(TOKEN_MARGIN);
        tokens.put(scope, new Token(token, expires));
        return "Bearer " + token;
    }
}
