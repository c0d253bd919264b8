package io.lading.cli;

import io.lading.cli.config.ConfigLoader;
import io.lading.cli.config.LadingConfig;
import io.lading.core.Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lading train}: a short registry workload against a private registry in this JVM, on the default
 * storage (filesystem and SQLite) in a temporary directory that is deleted afterwards. Clients push blobs whole
 * and in chunks, check and fetch them (whole and by range), push manifests by tag and read them back, mount
 * blobs across repositories, and page through tags and the catalog, over real HTTP on loopback. A few blobs are
 * large enough ({@link #LARGE}) to take the paths the filesystem driver keeps for large blobs (direct writes and
 * reads, see {@code FileSystemDriver.DIRECT_MIN}), and each is read back several times.
 *
 * <p>The launcher runs it once per build with {@code -XX:AOTCacheOutput} on JDK 25 and later (JEPs 483, 514 and
 * 515): the JVM then stores the classes the registry loads and the profiles its hot methods gathered, and
 * {@code lading serve} starts from that cache, compiling hot code early instead of profiling it again under the
 * first clients (docs/decisions/0018-aot-cache.md). The workload is the registry's own protocol, not a
 * benchmark's: what the profiles learn is which code a registry runs.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Run a short registry workload against a temporary registry in this JVM (the launcher runs it"
                + " with -XX:AOTCacheOutput to build the JVM's ahead-of-time cache).")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--clients", defaultValue = "8", description = "concurrent clients (default: 8)")
    int clients;

    @Option(names = "--rounds", defaultValue = "150", description = "push-and-pull rounds per client (default: 150)")
    int rounds;

    @Option(names = "--dir", paramLabel = "DIR", description = "where to create the temporary registry"
            + " (default: the system's temporary directory)")
    Path dir;

    private static final int SMALL = 1024;
    /** Chunked pushes of 4 x 256 KiB: 48 such blobs (48 MiB) in a default run, besides the large ones. */
    private static final int CHUNK = 256 << 10;
    private static final int CHUNKS = 4;
    /**
     * Large blobs: one every {@link #LARGE_EVERY} rounds per client, read back {@link #LARGE_PULLS} times. With 8
     * clients and 150 rounds, 24 blobs (192 MiB on disk) and 144 pulls of eight 1 MiB chunks each, so that the JIT
     * profiles the large-blob paths here rather than under a registry's first large pulls.
     */
    private static final int LARGE = 8 << 20;
    private static final int LARGE_EVERY = 50;
    private static final int LARGE_PULLS = 6;
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    private final PrintStream err;

    TrainCommand() {
        this(System.err);
    }

    TrainCommand(PrintStream err) {
        this.err = err;
    }

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || rounds < 1) {
            err.println("lading train: --clients and --rounds must be at least 1");
            return 2;
        }
        Path work;
        try {
            work = dir == null ? Files.createTempDirectory("lading-train-") : Files.createTempDirectory(dir, "lading-train-");
        } catch (IOException e) {
            err.println("lading train: cannot create a working directory under "
                    + (dir == null ? System.getProperty("java.io.tmpdir") : dir) + ": " + e.getMessage());
            return 2;
        }
        err.printf("lading train: %d clients x %d rounds against a temporary registry in %s%n", clients, rounds, work);
        long started = System.nanoTime();
        try {
            LadingConfig cfg = ConfigLoader.load(null, Map.of("REGISTRY_HTTP_ADDR", "127.0.0.1:0"), work.resolve("data"));
            // The server's own logging, batched as in `serve`, into nothing: the access log is part of what runs.
            Logging.configure(cfg.log(), new BatchedLogStream(OutputStream.nullOutputStream(), 64 * 1024), true);
            Totals totals = new Totals();
            LadingApp app;
            try {
                app = startRegistry(cfg);
            } catch (IOException e) {
                err.println("lading train: cannot start the temporary registry: " + e.getMessage());
                return 2;
            }
            try (app) {
                run(URI.create("http://127.0.0.1:" + app.port()), totals);
            }
            err.printf("lading train: %d requests (%d MiB of large blobs pushed, %d MiB pulled) in %.1f s%n",
                    totals.requests.get(), totals.largePushed.get() >> 20, totals.largePulled.get() >> 20,
                    (System.nanoTime() - started) / 1e9);
            return 0;
        } catch (WorkloadException e) {
            err.println("lading train: failed: " + e.getMessage());
            return 1;
        } finally {
            deleteTree(work);
        }
    }

    private static LadingApp startRegistry(LadingConfig cfg) throws Exception {
        LadingApp app = new LadingApp(cfg);
        try {
            app.start();
            return app;
        } catch (Exception e) {
            app.close();
            throw e;
        }
    }

    /** What the clients did, counted across them. */
    private static final class Totals {
        final AtomicLong requests = new AtomicLong();
        final AtomicLong largePushed = new AtomicLong();
        final AtomicLong largePulled = new AtomicLong();
    }

    private void run(URI base, Totals totals) throws Exception {
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build()) {
            run(http, base, totals);
        }
    }

    private void run(HttpClient http, URI base, Totals totals) throws Exception {
        // One body shared by all large blobs (each client prefixes its own line to make its blobs distinct): the
        // registry runs in this JVM with the heap `serve` has, which cannot hold a large blob per client.
        byte[] largeBody = randomBytes(new SplittableRandom(-1), LARGE);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int c = 0; c < clients; c++) {
            Client client = new Client(http, base, "train/client-" + c, new SplittableRandom(c), totals, largeBody);
            threads.add(Thread.ofVirtual().name("lading-train-" + c).start(() -> {
                try {
                    client.run(rounds);
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        if (!failures.isEmpty()) {
            Throwable first = failures.get(0);
            throw first instanceof WorkloadException w ? w : new WorkloadException(first.toString(), first);
        }
    }

    /** One client's pushes and pulls, in a repository of its own. */
    private static final class Client {
        private final HttpClient http;
        private final URI base;
        private final String repo;
        private final SplittableRandom random;
        private final Totals totals;
        private final byte[] largeBody;

        Client(HttpClient http, URI base, String repo, SplittableRandom random, Totals totals, byte[] largeBody) {
            this.http = http;
            this.base = base;
            this.repo = repo;
            this.random = random;
            this.totals = totals;
            this.largeBody = largeBody;
        }

        void run(int rounds) throws Exception {
            byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
            Digest configDigest = pushWhole(repo, config);
            for (int r = 0; r < rounds; r++) {
                byte[] layer = randomBytes(random, SMALL);
                Digest layerDigest = pushWhole(repo, layer);
                expect(send(request("/v2/" + repo + "/blobs/" + layerDigest).HEAD()), 200);
                HttpResponse<byte[]> blob = send(request("/v2/" + repo + "/blobs/" + layerDigest).GET());
                expect(blob, 200);
                same(blob.body(), layer, "blob " + layerDigest);
                byte[] manifest = manifest(configDigest, config.length, layerDigest, layer.length);
                String tag = "r" + r;
                expect(send(request("/v2/" + repo + "/manifests/" + tag).header("Content-Type", OCI_MANIFEST)
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest))), 201);
                HttpResponse<byte[]> got = send(request("/v2/" + repo + "/manifests/" + tag)
                        .header("Accept", OCI_MANIFEST + ", application/vnd.docker.distribution.manifest.v2+json")
                        .GET());
                expect(got, 200);
                same(got.body(), manifest, "manifest " + tag);
                expect(send(request("/v2/" + repo + "/manifests/" + Digest.of(Digest.Algorithm.SHA256, manifest))
                        .header("Accept", OCI_MANIFEST).HEAD()), 200);
                if (r % LARGE_EVERY == 0) {
                    pushAndPullLarge(r);
                }
                if (r % 25 == 0) {
                    Digest chunked = pushChunked(repo);
                    HttpResponse<byte[]> part = send(request("/v2/" + repo + "/blobs/" + chunked)
                            .header("Range", "bytes=0-1023").GET());
                    expect(part, 206);
                    if (part.body().length != 1024) {
                        throw new WorkloadException("a range of 1024 bytes of " + chunked + " came back with "
                                + part.body().length, null);
                    }
                    HttpResponse<byte[]> whole = send(request("/v2/" + repo + "/blobs/" + chunked).GET());
                    expect(whole, 200);
                    if (!Digest.of(Digest.Algorithm.SHA256, whole.body()).equals(chunked)) {
                        throw new WorkloadException("blob " + chunked + " came back with other bytes", null);
                    }
                    expect(send(request("/v2/" + repo + "-mirror/blobs/uploads/?mount=" + layerDigest + "&from=" + repo)
                            .POST(HttpRequest.BodyPublishers.noBody())), 201);
                    walk("/v2/" + repo + "/tags/list?n=20");
                    walk("/v2/_catalog?n=5");
                }
            }
        }

        private static byte[] manifest(Digest config, int configSize, Digest layer, int layerSize) {
            return ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\","
                    + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config
                    + "\",\"size\":" + configSize + "},"
                    + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + layer
                    + "\",\"size\":" + layerSize + "}]}").getBytes(StandardCharsets.UTF_8);
        }

        /** POST then PUT with the whole body. */
        private Digest pushWhole(String repository, byte[] bytes) throws Exception {
            Digest digest = Digest.of(Digest.Algorithm.SHA256, bytes);
            String location = start(repository);
            expect(send(request(location, "digest=" + digest).header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes))), 201);
            return digest;
        }

        /** POST, PATCHes of {@link #CHUNK} bytes with Content-Range, then PUT without a body. */
        private Digest pushChunked(String repository) throws Exception {
            Digest.Digester sha = Digest.Algorithm.SHA256.digester();
            String location = start(repository);
            for (int i = 0; i < CHUNKS; i++) {
                byte[] chunk = randomBytes(random, CHUNK);
                sha.update(chunk, 0, chunk.length);
                HttpResponse<byte[]> r = send(request(location)
                        .header("Content-Type", "application/octet-stream")
                        .header("Content-Range", (long) i * CHUNK + "-" + ((long) (i + 1) * CHUNK - 1))
                        .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(chunk)));
                expect(r, 202);
                location = r.headers().firstValue("Location").orElseThrow(() -> new WorkloadException("PATCH "
                        + "answered without a Location", null));
            }
            Digest digest = sha.digest();
            expect(send(request(location, "digest=" + digest).PUT(HttpRequest.BodyPublishers.noBody())), 201);
            return digest;
        }

        /**
         * POST then PUT of a large blob whose length is known (the shared body after a line naming this client and
         * round), then GETs of it whole, each streamed through a digest and checked.
         */
        private void pushAndPullLarge(int round) throws Exception {
            byte[] head = (repo + " round " + round + "\n").getBytes(StandardCharsets.UTF_8);
            Digest.Digester sha = Digest.Algorithm.SHA256.digester();
            sha.update(head, 0, head.length);
            sha.update(largeBody, 0, largeBody.length);
            Digest digest = sha.digest();
            String location = start(repo);
            // Read from streams as it is sent: ofByteArray would copy the whole blob onto the heap first.
            HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(
                    HttpRequest.BodyPublishers.ofInputStream(() -> new SequenceInputStream(
                            new ByteArrayInputStream(head), new ByteArrayInputStream(largeBody))),
                    head.length + largeBody.length);
            expect(send(request(location, "digest=" + digest).header("Content-Type", "application/octet-stream")
                    .PUT(body)), 201);
            totals.largePushed.addAndGet(head.length + largeBody.length);
            byte[] buffer = new byte[64 << 10];
            for (int i = 0; i < LARGE_PULLS; i++) {
                HttpResponse<InputStream> r = send(request("/v2/" + repo + "/blobs/" + digest).GET(),
                        HttpResponse.BodyHandlers.ofInputStream());
                Digest.Digester got = Digest.Algorithm.SHA256.digester();
                long length = 0;
                try (InputStream in = r.body()) {
                    expect(r, 200);
                    for (int n; (n = in.read(buffer)) >= 0; ) {
                        got.update(buffer, 0, n);
                        length += n;
                    }
                }
                if (!got.digest().equals(digest)) {
                    throw new WorkloadException("blob " + digest + " came back with other bytes", null);
                }
                totals.largePulled.addAndGet(length);
            }
        }

        private String start(String repository) throws Exception {
            HttpResponse<byte[]> r = send(request("/v2/" + repository + "/blobs/uploads/")
                    .POST(HttpRequest.BodyPublishers.noBody()));
            expect(r, 202);
            return r.headers().firstValue("Location").orElseThrow(() -> new WorkloadException("POST "
                    + "answered without a Location", null));
        }

        /** Follows {@code Link: <...>; rel="next"} to the last page. */
        private void walk(String path) throws Exception {
            for (String next = path; next != null; ) {
                HttpResponse<byte[]> r = send(request(next).GET());
                expect(r, 200);
                next = r.headers().firstValue("Link").map(l -> l.substring(l.indexOf('<') + 1, l.indexOf('>')))
                        .orElse(null);
            }
        }

        private HttpRequest.Builder request(String path) {
            return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60));
        }

        /** A request to an upload's {@code location} with {@code query} added to the query it may already have. */
        private HttpRequest.Builder request(String location, String query) {
            URI u = base.resolve(location);
            return request(u + (u.getRawQuery() == null ? "?" : "&") + query);
        }

        private HttpResponse<byte[]> send(HttpRequest.Builder b) throws Exception {
            return send(b, HttpResponse.BodyHandlers.ofByteArray());
        }

        private <T> HttpResponse<T> send(HttpRequest.Builder b, HttpResponse.BodyHandler<T> handler) throws Exception {
            totals.requests.incrementAndGet();
            return http.send(b.build(), handler);
        }

        /** Fails unless {@code r} has {@code status}; the message quotes the body when it was read as bytes. */
        private static void expect(HttpResponse<?> r, int status) {
            if (r.statusCode() != status) {
                String quoted = "";
                if (r.body() instanceof byte[] bytes) {
                    String body = new String(bytes, StandardCharsets.UTF_8);
                    quoted = ": " + body.substring(0, Math.min(300, body.length()));
                }
                throw new WorkloadException(r.request().method() + " " + r.request().uri().getRawPath() + " answered "
                        + r.statusCode() + ", not " + status + quoted, null);
            }
        }

        private static void same(byte[] got, byte[] want, String what) {
            if (!Arrays.equals(got, want)) {
                throw new WorkloadException(what + " came back with other bytes", null);
            }
        }
    }

    private static byte[] randomBytes(SplittableRandom random, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i += 8) {
            long v = random.nextLong();
            for (int j = 0; j < 8 && i + j < n; j++) {
                b[i + j] = (byte) (v >>> (8 * j));
            }
        }
        return b;
    }

    private void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            err.println("lading train: cannot delete the temporary registry " + root + ": " + e.getMessage());
        }
    }

    /** A response the workload did not expect. */
    static final class WorkloadException extends RuntimeException {
        WorkloadException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
