package io.lading.registry;

import io.lading.core.Digest;
import io.lading.core.ErrorCode;
import io.lading.core.Reference;
import io.lading.core.RegistryException;
import io.lading.core.RepositoryName;
import io.lading.core.Tag;
import io.lading.metadata.UploadRecord;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls of a pull-through cache ({@code proxy.remoteurl}): what the cache holds is answered from it, the rest is
 * fetched from the {@link Upstream}, checked against its digest, stored, and answered.
 *
 * <ul>
 *   <li>A manifest by tag asks upstream where the tag points now (a HEAD, which registries such as Docker Hub do
 *       not count against pull limits) and answers the cached manifest of that digest, fetching it only when the
 *       cache lacks it. When upstream cannot be asked (down, refusing, rate limiting), the tag as last cached is
 *       the answer; when upstream says the tag does not exist, neither does it here.</li>
 *   <li>A manifest or blob by digest is answered from the cache when it is there, without asking upstream.</li>
 *   <li>A blob the cache lacks is fetched once however many clients ask for it at the same time: the first one's
 *       request streams it from upstream into the store and to its client at once, the others wait for it to be
 *       stored and are answered from the cache. A first client that goes away does not stop the fetch.</li>
 *   <li>Nothing upstream sends is stored unless it hashes to the digest it was asked by (a manifest fetched by tag
 *       is fetched again by the digest upstream named). A blob whose bytes do not match reaches its first client
 *       cut short, and is not stored.</li>
 *   <li>After upstream could not be asked, cached tags are answered without asking it for a while ({@link #QUIET},
 *       or its Retry-After), so that pulls neither wait out its timeouts nor press it while it rate limits.</li>
 *   <li>What it fetches is no push (no push event); its clients' pulls are recorded as on any registry.</li>
 * </ul>
 *
 * Content is cached per repository, as upstream authorizes it per repository: a blob fetched for one repository is
 * fetched again, not shared, when another asks for it (its bytes are stored once all the same).
 */
public final class PullThrough {
    private static final Logger LOG = LoggerFactory.getLogger(PullThrough.class);

    /** How long tags are answered from the cache alone after upstream could not be asked. */
    static final Duration QUIET = Duration.ofSeconds(30);
    /** The longest a Retry-After keeps the cache from asking upstream about tags. */
    static final Duration MAX_QUIET = Duration.ofMinutes(5);

    private final ManifestService manifests;
    private final BlobService blobs;
    private final UploadService uploads;
    private final Upstream upstream;

    private final Map<Linked, CompletableFuture<Void>> fills = new ConcurrentHashMap<>();
    private final Counts counts = new Counts();
    private final Clock clock;
    /** Until when tags the cache holds are answered without asking upstream (it failed just before). */
    private volatile Instant quietUntil = Instant.MIN;

    /**
     * What the cache did since it started, for metrics: pulls answered from what it holds, content fetched from
     * upstream (and its bytes), tags answered as last cached because upstream could not be asked, and requests to
     * upstream that failed (could not be made, or brought content that does not match its digest).
     */
    public static final class Counts {
        private final LongAdder manifestHits = new LongAdder();
        private final LongAdder blobHits = new LongAdder();
        private final LongAdder manifestFetches = new LongAdder();
        private final LongAdder blobFetches = new LongAdder();
        private final LongAdder fetchedBytes = new LongAdder();
        private final LongAdder staleTags = new LongAdder();
        private final LongAdder upstreamFailures = new LongAdder();

        public long manifestHits() {
            return manifestHits.sum();
        }

        public long blobHits() {
            return blobHits.sum();
        }

        public long manifestFetches() {
            return manifestFetches.sum();
        }

        public long blobFetches() {
            return blobFetches.sum();
        }

        public long fetchedBytes() {
            return fetchedBytes.sum();
        }

        public long staleTags() {
            return staleTags.sum();
        }

        public long upstreamFailures() {
            return upstreamFailures.sum();
        }
    }

    private record Linked(RepositoryName repository, Digest digest) {
    }

    public PullThrough(ManifestService manifests, BlobService blobs, UploadService uploads, Upstream upstream,
                       Clock clock) {
        this.clock = clock;
        this.manifests = manifests;
        this.blobs = blobs;
        this.uploads = uploads;
        this.upstream = upstream;
    }

    /** Something upstream may answer, or fail to. */
    @FunctionalInterface
    private interface Ask<T> {
        Optional<T> run() throws IOException;
    }

    /** What the cache did since it started. */
    public Counts counts() {
        return counts;
    }

    private <T> Optional<T> ask(String what, Ask<T> ask) {
        try {
            Optional<T> answer = ask.run();
            quietUntil = Instant.MIN; // it answers again
            return answer;
        } catch (IOException e) {
            failed(e);
            throw new RegistryException(ErrorCode.UPSTREAM_FAILED, "the upstream registry could not be asked for "
                    + what + ": " + reason(e), null, e);
        }
    }

    /**
     * Upstream could not be asked: for a while ({@link #QUIET}, or as long as its Retry-After asked, up to
     * {@link #MAX_QUIET}), tags the cache holds are answered without asking it, so that pulls do not each wait for
     * a timeout of an upstream that is down, or press one that is rate limiting.
     */
    private void failed(IOException e) {
        counts.upstreamFailures.increment();
        Duration wait = e instanceof Upstream.Busy busy && busy.retryAfter() != null
                ? min(busy.retryAfter(), MAX_QUIET) : QUIET;
        Instant now = clock.instant();
        if (!now.isBefore(quietUntil)) {
            LOG.warn("the upstream registry could not be asked ({}); for {} s tags the cache holds are answered"
                    + " without asking it", reason(e), wait.toSeconds());
        }
        quietUntil = now.plus(wait);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** What went wrong, for a client and a log line (the JDK's client leaves some messages empty). */
    private static String reason(IOException e) {
        return e.getMessage() != null && !e.getMessage().isBlank() ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** A manifest (GET and HEAD). @throws RegistryException MANIFEST_UNKNOWN, UPSTREAM_FAILED */
    public ManifestService.Content manifest(RepositoryName repository, Reference reference) {
        return switch (reference) {
            case Reference.ByDigest d -> cached(repository, d.digest())
                    .orElseGet(() -> fetch(repository, null, d.digest()));
            case Reference.ByTag t -> byTag(repository, t);
        };
    }

    private ManifestService.Content byTag(RepositoryName repository, Reference.ByTag reference) {
        if (clock.instant().isBefore(quietUntil)) {
            Optional<ManifestService.Content> last = lastCached(repository, reference);
            if (last.isPresent()) {
                counts.staleTags.increment();
                return last.get();
            }
        }
        Optional<Upstream.ManifestHead> head;
        try {
            head = upstream.head(repository, reference);
            quietUntil = Instant.MIN;
        } catch (IOException e) {
            failed(e);
            Optional<ManifestService.Content> last = lastCached(repository, reference);
            if (last.isEmpty()) {
                throw new RegistryException(ErrorCode.UPSTREAM_FAILED, "the upstream registry could not be asked"
                        + " for " + repository + ":" + reference.tag().value() + ", which is not cached: "
                        + reason(e), null, e);
            }
            counts.staleTags.increment();
            LOG.debug("answering {}:{} as last cached: {}", repository, reference.tag().value(), reason(e));
            return last.get();
        }
        if (head.isEmpty()) {
            throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + reference.tag().value()
                    + " is unknown upstream in " + repository);
        }
        Digest digest = head.get().digest();
        if (taggedAs(repository, reference, digest)) { // read by tag, so that its pull event names the tag
            Optional<ManifestService.Content> last = lastCached(repository, reference);
            if (last.isPresent() && last.get().record().digest().equals(digest)) {
                counts.manifestHits.increment();
                return last.get();
            }
        }
        Optional<ManifestService.Content> cached = cached(repository, digest);
        if (cached.isEmpty()) {
            return fetch(repository, reference.tag(), digest);
        }
        ManifestService.Content content = cached.get(); // the tag moved upstream to content cached already
        manifests.mirror(repository, reference.tag(), digest, content.bytes(), content.record().mediaType());
        return content;
    }

    /** What {@code lookup} answers, or empty when it finds nothing ({@code absent}); other errors go on. */
    private static <T> Optional<T> unless(ErrorCode absent, java.util.function.Supplier<T> lookup) {
        try {
            return Optional.of(lookup.get());
        } catch (RegistryException e) {
            if (e.code() != absent) {
                throw e;
            }
            return Optional.empty();
        }
    }

    private Optional<ManifestService.Content> lastCached(RepositoryName repository, Reference.ByTag reference) {
        return unless(ErrorCode.MANIFEST_UNKNOWN, () -> manifests.get(repository, reference));
    }

    private boolean taggedAs(RepositoryName repository, Reference.ByTag reference, Digest digest) {
        return unless(ErrorCode.MANIFEST_UNKNOWN, () -> manifests.stat(repository, reference))
                .map(r -> r.digest().equals(digest)).orElse(false);
    }

    private Optional<ManifestService.Content> cached(RepositoryName repository, Digest digest) {
        Optional<ManifestService.Content> content = unless(ErrorCode.MANIFEST_UNKNOWN,
                () -> manifests.get(repository, new Reference.ByDigest(digest)));
        content.ifPresent(c -> counts.manifestHits.increment());
        return content;
    }

    private ManifestService.Content fetch(RepositoryName repository, Tag tag, Digest digest) {
        Upstream.ManifestBody body = ask("manifest " + repository + "@" + digest,
                () -> upstream.manifest(repository, digest))
                .orElseThrow(() -> new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + digest
                        + " is unknown upstream in " + repository));
        try {
            manifests.mirror(repository, tag, digest, body.bytes(), body.mediaType());
        } catch (RegistryException e) {
            if (e.code() == ErrorCode.UPSTREAM_FAILED || e.code() == ErrorCode.MANIFEST_INVALID) {
                counts.upstreamFailures.increment(); // it sent what it should not have
            }
            throw e;
        }
        counts.manifestFetches.increment();
        counts.fetchedBytes.add(body.bytes().length);
        LOG.info("cached manifest {}@{} ({} bytes) from upstream", repository, digest, body.bytes().length);
        // Read back as any pull is, so that it is recorded (with its tag) as one.
        return manifests.get(repository, tag != null ? new Reference.ByTag(tag) : new Reference.ByDigest(digest));
    }

    /**
     * A blob HEAD: empty when the cache holds the blob (answer it from there), else upstream's size, without
     * fetching the blob. @throws RegistryException BLOB_UNKNOWN, UPSTREAM_FAILED
     */
    public Optional<Long> uncachedBlobSize(RepositoryName repository, Digest digest) {
        if (cachedSize(repository, digest).isPresent()) {
            counts.blobHits.increment();
            return Optional.empty();
        }
        return Optional.of(ask("blob " + repository + "@" + digest, () -> upstream.blobSize(repository, digest))
                .orElseThrow(() -> blobUnknown(repository, digest)));
    }

    private Optional<Long> cachedSize(RepositoryName repository, Digest digest) {
        return unless(ErrorCode.BLOB_UNKNOWN, () -> blobs.size(repository, digest));
    }

    private static RegistryException blobUnknown(RepositoryName repository, Digest digest) {
        return new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob " + digest + " is unknown upstream in "
                + repository, Map.of("digest", digest.toString()));
    }

    /**
     * A blob GET: empty when the cache holds the blob (answer it from there), else the fetch this request is to
     * make, which the caller must {@link Fill#transferTo} or {@link Fill#close}. When another request is fetching
     * the blob, this waits until it is done.
     *
     * @throws RegistryException BLOB_UNKNOWN, UPSTREAM_FAILED
     */
    public Optional<Fill> blob(RepositoryName repository, Digest digest) {
        Linked key = new Linked(repository, digest);
        while (true) {
            if (cachedSize(repository, digest).isPresent()) {
                counts.blobHits.increment();
                return Optional.empty();
            }
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> other = fills.putIfAbsent(key, mine);
            if (other != null) {
                other.handle((ok, failed) -> null).join(); // then look again: stored, or try it ourselves
                continue;
            }
            try {
                if (cachedSize(repository, digest).isPresent()) { // stored between the look and the claim
                    done(key, mine);
                    counts.blobHits.increment();
                    return Optional.empty();
                }
                Upstream.BlobBody body = ask("blob " + repository + "@" + digest,
                        () -> upstream.blob(repository, digest)).orElseThrow(() -> blobUnknown(repository, digest));
                return Optional.of(new Fill(key, mine, body));
            } catch (RuntimeException e) {
                done(key, mine);
                throw e;
            }
        }
    }

    private void done(Linked key, CompletableFuture<Void> fill) {
        fills.remove(key, fill);
        fill.complete(null);
    }

    /** One fetch of a blob from upstream into the cache, copied to the client that asked as it arrives. */
    public final class Fill implements AutoCloseable {
        private final Linked key;
        private final CompletableFuture<Void> done;
        private final Upstream.BlobBody body;

        private Fill(Linked key, CompletableFuture<Void> done, Upstream.BlobBody body) {
            this.key = key;
            this.done = done;
            this.body = body;
        }

        /** The blob's length as upstream declared it, or -1. */
        public long length() {
            return body.length();
        }

        /**
         * Stores the blob, copying each piece to {@code client} (null for none) as it arrives. A client that fails
         * is dropped and the blob is stored all the same. @throws RegistryException UPSTREAM_FAILED when the bytes
         * do not hash to the digest or upstream's stream breaks (nothing is stored)
         */
        public void transferTo(OutputStream client) {
            Linked k = key;
            UploadRecord upload = null;
            try {
                upload = uploads.start(k.repository(), k.digest().algorithm());
                Tee tee = new Tee(body.body(), client);
                long size = uploads.completeFetched(k.repository(), upload.id(), k.digest(), tee, body.length());
                tee.release();
                LOG.info("cached blob {}@{} ({} bytes) from upstream", k.repository(), k.digest(), size);
                counts.blobFetches.increment();
                counts.fetchedBytes.add(size);
                if (client != null) {
                    blobs.pulled(k.repository(), k.digest(), size); // its client pulled it as it arrived
                }
                upload = null;
            } catch (RegistryException e) {
                if (e.code() == ErrorCode.DIGEST_INVALID || e.code() == ErrorCode.SIZE_INVALID) {
                    counts.upstreamFailures.increment();
                    throw new RegistryException(ErrorCode.UPSTREAM_FAILED, "upstream sent blob " + k.digest()
                            + " with other content: " + e.getMessage() + "; nothing was stored", null, e);
                }
                throw e;
            } catch (UncheckedIOException e) {
                failed((IOException) e.getCause());
                throw new RegistryException(ErrorCode.UPSTREAM_FAILED, "fetching blob " + k.digest()
                        + " from upstream failed: " + reason((IOException) e.getCause()), null, e);
            } finally {
                if (upload != null) {
                    discard(upload);
                }
                close();
            }
        }

        private void discard(UploadRecord upload) {
            try {
                uploads.cancel(upload.repository(), upload.id());
            } catch (RegistryException gone) {
                LOG.debug("upload {} of a failed fetch: {}", upload.id(), gone.getMessage()); // ended with it
            }
        }

        /** Gives up the fetch (if not done yet): the requests waiting for it look again. */
        @Override
        public void close() {
            try {
                body.close();
            } catch (IOException e) {
                LOG.debug("closing upstream's blob stream: {}", e.getMessage());
            } finally {
                done(key, done);
            }
        }
    }

    /** A failure reading from upstream, told apart from the store's failures. */
    private static final class UncheckedIOException extends RuntimeException {
        UncheckedIOException(IOException cause) {
            super(cause);
        }
    }

    /**
     * Upstream's bytes as the store reads them, copied to the client on the way while the client takes them. The
     * last piece read is held back until {@link #release}, which is called once the store has verified the whole:
     * bytes that do not match their digest never reach the client complete.
     */
    private static final class Tee extends FilterInputStream {
        /**
         * Bytes gathered per read and per write to the client. An HTTP client's body stream hands over a socket
         * read at a time (16 KiB for the JDK's); one write to the client per such piece cost a thread wake-up each.
         */
        private static final int PIECE = 1 << 20;
        private OutputStream client;
        private byte[] held = new byte[0];
        private int heldLength;

        Tee(InputStream upstream, OutputStream client) {
            super(upstream);
            this.client = client;
        }

        /** Sends the piece held back: the bytes were verified. */
        void release() {
            send(held, 0, heldLength);
            heldLength = 0;
        }

        private void send(byte[] b, int off, int n) {
            if (n == 0 || client == null) {
                return;
            }
            try {
                client.write(b, off, n);
            } catch (IOException gone) {
                LOG.debug("the client of a blob fetch went away ({}); storing it all the same", gone.getMessage());
                client = null;
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int want = Math.min(len, PIECE);
            int n = 0;
            try {
                while (n < want) { // gather a large piece: the store and the client each take it in one go
                    int r = super.read(b, off + n, want - n);
                    if (r < 0) {
                        break;
                    }
                    n += r;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (n > 0 && client != null) {
                release(); // what was held back is not the last piece any more
                if (held.length < n) {
                    held = new byte[Math.max(n, Math.min(PIECE, 2 * held.length))];
                }
                System.arraycopy(b, off, held, 0, n);
                heldLength = n;
            }
            return n == 0 && want > 0 ? -1 : n;
        }
    }
}
