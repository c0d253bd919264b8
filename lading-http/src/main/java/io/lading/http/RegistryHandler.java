package io.lading.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.management.HotSpotDiagnosticMXBean;
import io.lading.auth.Access;
import io.lading.core.Digest;
import io.lading.core.ErrorCode;
import io.lading.core.Manifest;
import io.lading.core.MemoryBudget;
import io.lading.core.MediaTypes;
import io.lading.core.Reference;
import io.lading.core.RegistryException;
import io.lading.core.RepositoryName;
import io.lading.core.Tag;
import io.lading.metadata.ManifestRecord;
import io.lading.metadata.UploadRecord;
import io.lading.registry.BlobService;
import io.lading.registry.ManifestService;
import io.lading.registry.PullThrough;
import io.lading.registry.RegistryOptions;
import io.lading.registry.UploadRangeException;
import io.lading.registry.UploadService;
import io.lading.registry.events.RequestInfo;
import io.lading.storage.LendingChannel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * The {@code /v2/} API: one route table ({@link #dispatch}) from method and {@link Route} to a small method that
 * reads the request, calls one service and writes the response. Handlers run on virtual threads and block;
 * {@link #fromMemory} answers the pulls memory alone can answer without blocking (on Jetty's selector thread).
 * Business rules live in the services; errors are turned into responses only by {@link ErrorResponses}.
 */
public final class RegistryHandler extends Handler.Abstract {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JSON_TYPE = HttpOut.JSON_TYPE;
    /** The buffer a copied download streams through while few are running... */
    private static final int SEND_BUFFER = 1024 * 1024;
    /** ...and the least one it gets when many hold the budget below. */
    private static final int LEAST_SEND_BUFFER = 32 * 1024;
    /**
     * Blobs from this size on are sent with sendfile where possible; below it a copy costs less than the mapping
     * and the extra system call.
     */
    private static final long ZERO_COPY_MIN = 256 * 1024;
    /** The largest part of a file mapped for one write (a mapping holds at most 2 GiB). */
    private static final long MAX_MAPPING = 1L << 30;
    /** Most referrers in one response; more come through Link pages. */
    static final int REFERRERS_PAGE = 1000;

    /** Heap that manifest bodies being pushed may hold at once: four of the largest, or thousands of usual ones. */
    private static final MemoryBudget MANIFEST_BODIES = new MemoryBudget(16L << 20,
            "large request bodies being received");
    /**
     * Direct memory that copied downloads may hold at once: a quarter of what the JVM allows (19 MiB under the
     * launcher's 80 MiB heap), half of it in 1 MiB buffers and half in 32 KiB ones (9 and about 300 downloads
     * there), leaving room for Jetty's request buffers (28 MiB of them in a heap dump taken during pulls at c=512
     * when each was 128 KiB; since decision 0033 the connections share 8 MiB of them, 16 KiB each at that
     * concurrency), the buffers its pool keeps (up to 16 MiB) and the aligned buffers of direct reads and uploads'
     * stages (16 MiB kept, decision 0035). Without it, each download held 1 MiB, and past about 64 concurrent
     * ones the next failed with 500 (OutOfMemoryError: Cannot reserve direct buffer memory).
     */
    private static final MemoryBudget DOWNLOAD_BUFFERS = new MemoryBudget(directMemoryLimit() / 4,
            "blob downloads being sent");
    private final BlobService blobs;
    private final UploadService uploads;
    private final ManifestService manifests;
    private final RegistryOptions options;
    private final String baseUrl;
    private final Map<String, String> extraHeaders;
    private final PullThrough pullThrough;

    /**
     * @param baseUrl      what Location and Link URLs start with before /v2/ (http.host, http.prefix; "" for
     *                     relative locations at the root)
     * @param extraHeaders http.headers: added to every response
     */
    public RegistryHandler(BlobService blobs, UploadService uploads, ManifestService manifests,
                           RegistryOptions options, String baseUrl, Map<String, String> extraHeaders) {
        this(blobs, uploads, manifests, options, baseUrl, extraHeaders, null);
    }

    /**
     * @param pullThrough when not null, this registry is a pull-through cache (proxy.remoteurl): pulls go through
     *                    it, and pushes and deletes are refused (UNSUPPORTED)
     */
    public RegistryHandler(BlobService blobs, UploadService uploads, ManifestService manifests,
                           RegistryOptions options, String baseUrl, Map<String, String> extraHeaders,
                           PullThrough pullThrough) {
        this.pullThrough = pullThrough;
        this.blobs = blobs;
        this.uploads = uploads;
        this.manifests = manifests;
        this.options = options;
        this.baseUrl = baseUrl == null ? "" : baseUrl.replaceAll("/+$", "");
        this.extraHeaders = Map.copyOf(extraHeaders);
    }

    /** What one request brings, read once. */
    private record Call(Request request, Response response, String method, Fields query) {
        String header(HttpHeader h) {
            return request.getHeaders().get(h);
        }

        String param(String name) {
            return query.getValue(name);
        }

        boolean isHead() {
            return method.equals("HEAD");
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String method = request.getMethod();
        String path = request.getHttpURI().getPath();
        putCommonHeaders(response);
        RequestInfo info = RequestContext.info(request);
        try (RequestInfo.Scope scope = RequestInfo.bind(info)) {
            Call call = new Call(request, response, method, Request.extractQueryParameters(request));
            dispatch(call, Route.parse(path));
        } catch (Throwable failure) {
            sendError(request, response, method, path, failure);
        }
        callback.succeeded();
        return true;
    }

    /** An answer that memory alone gave, to be sent without blocking (see {@link #fromMemory}). */
    @FunctionalInterface
    interface MemoryAnswer {
        /** Sends the response and completes {@code callback} when it is written; does not block. */
        void send(Response response, Callback callback);
    }

    /**
     * The answer to a request that memory alone can give without blocking: GET and HEAD of a manifest whose lookup
     * (and for a GET, whose bytes) the services keep, and HEAD of a blob whose lookup they keep. Finding it out
     * changes nothing, not even the response. Null for any other request, and for these when something is not in
     * memory or the answer would be an error: {@link #handle}, on a thread that may block, answers those.
     */
    MemoryAnswer fromMemory(Request request) {
        String method = request.getMethod();
        boolean head = method.equals("HEAD");
        if (!head && !method.equals("GET") || EntityTags.conditional(request)) {
            return null; // If-None-Match is answered by handle()
        }
        try {
            return switch (Route.parse(request.getHttpURI().getPath())) {
                case Route.Manifests m -> {
                    Reference reference = Reference.parse(m.reference());
                    yield pullThrough != null && reference instanceof Reference.ByTag ? null // a cache asks upstream
                            : manifestFromMemory(request, m.name(), reference, head);
                }
                case Route.Blob b when head && request.getHeaders().get(HttpHeader.RANGE) == null ->
                        blobHeadFromMemory(b.name(), Digest.parse(b.digest()));
                default -> null;
            };
        } catch (RuntimeException invalid) {
            return null; // a bad name, reference or digest: handle() says which, in the spec's words
        }
    }

    private MemoryAnswer manifestFromMemory(Request request, RepositoryName name, Reference reference, boolean head) {
        ManifestRecord record;
        byte[] bytes;
        if (head) {
            record = manifests.statInMemory(name, reference).orElse(null);
            bytes = null;
        } else {
            ManifestService.Content content = manifests.getInMemory(name, reference).orElse(null);
            record = content == null ? null : content.record();
            bytes = content == null ? null : content.bytes();
        }
        if (record == null || !ContentNegotiation.acceptable(request, record.mediaType())) {
            return null;
        }
        return (response, callback) -> {
            putCommonHeaders(response);
            putManifestHeaders(response, record);
            if (bytes == null) {
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, record.size());
                callback.succeeded();
            } else {
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
                response.write(true, ByteBuffer.wrap(bytes), callback);
            }
        };
    }

    private MemoryAnswer blobHeadFromMemory(RepositoryName name, Digest digest) {
        OptionalLong size = blobs.sizeInMemory(name, digest);
        if (size.isEmpty()) {
            return null;
        }
        return (response, callback) -> {
            putCommonHeaders(response);
            putBlobHeaders(response, digest);
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, size.getAsLong());
            callback.succeeded();
        };
    }

    /** The headers of every /v2 response: the API version, and http.headers. */
    private void putCommonHeaders(Response response) {
        response.getHeaders().put("Docker-Distribution-API-Version", "registry/2.0");
        extraHeaders.forEach((k, v) -> response.getHeaders().add(k, v));
    }

    /** Status and headers of a manifest GET or HEAD, all but its length. */
    private static void putManifestHeaders(Response response, ManifestRecord record) {
        var h = response.getHeaders();
        h.put(HttpHeader.CONTENT_TYPE, record.mediaType());
        h.put("Docker-Content-Digest", record.digest().toString());
        h.put(HttpHeader.ETAG, "\"" + record.digest() + "\"");
        response.setStatus(200);
    }

    /** The headers of a blob GET or HEAD that do not depend on a range. */
    private static void putBlobHeaders(Response response, Digest digest) {
        var h = response.getHeaders();
        h.put("Docker-Content-Digest", digest.toString());
        h.put(HttpHeader.ETAG, "\"" + digest + "\"");
        h.put(HttpHeader.ACCEPT_RANGES, "bytes");
        h.put(HttpHeader.CACHE_CONTROL, "max-age=31536000");
        h.put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
    }

    /** The route table. */
    private void dispatch(Call c, Route route) throws IOException {
        String m = c.method();
        if (pullThrough != null && !m.equals("GET") && !m.equals("HEAD") && !(route instanceof Route.NotFound)) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, "this registry is a pull-through cache"
                    + " (proxy.remoteurl): it takes no pushes or deletes; send them to the registry it mirrors");
        }
        switch (route) {
            case Route.Base b when m.equals("GET") || m.equals("HEAD") -> sendJson(c, 200, "{}");
            case Route.Catalog cat when m.equals("GET") -> catalog(c);
            case Route.Tags t when m.equals("GET") -> tags(c, t.name());
            case Route.Manifests r when m.equals("GET") || m.equals("HEAD") -> getManifest(c, r.name(), r.reference());
            case Route.Manifests r when m.equals("PUT") -> putManifest(c, r.name(), r.reference());
            case Route.Manifests r when m.equals("DELETE") -> deleteManifest(c, r.name(), r.reference());
            case Route.Blob b when m.equals("GET") || m.equals("HEAD") -> getBlob(c, b.name(), Digest.parse(b.digest()));
            case Route.Blob b when m.equals("DELETE") -> deleteBlob(c, b.name(), Digest.parse(b.digest()));
            case Route.UploadStart u when m.equals("POST") -> startUpload(c, u.name());
            case Route.UploadSession s when m.equals("GET") -> uploadStatus(c, s.name(), uploadId(s.id()));
            case Route.UploadSession s when m.equals("PATCH") -> patchUpload(c, s.name(), uploadId(s.id()));
            case Route.UploadSession s when m.equals("PUT") -> completeUpload(c, s.name(), uploadId(s.id()));
            case Route.UploadSession s when m.equals("DELETE") -> cancelUpload(c, s.name(), uploadId(s.id()));
            case Route.Referrers r when m.equals("GET") -> referrers(c, r.name(), r.digest());
            case Route.NotFound n -> throw new NotFoundException();
            default -> throw new RegistryException(ErrorCode.UNSUPPORTED, "method " + m + " is not allowed here");
        }
    }

    // ---- manifests ----------------------------------------------------------------------------------------------

    private void getManifest(Call c, RepositoryName name, String ref) throws IOException {
        Reference reference = Reference.parse(ref);
        ManifestRecord record;
        byte[] bytes = null;
        if (pullThrough != null) { // a HEAD fetches it too: it is small, and the GET usually follows
            ManifestService.Content content = pullThrough.manifest(name, reference);
            record = content.record();
            bytes = c.isHead() ? null : content.bytes();
        } else if (c.isHead()) {
            record = manifests.stat(name, reference);
        } else {
            ManifestService.Content content = manifests.get(name, reference);
            record = content.record();
            bytes = content.bytes();
        }
        if (!ContentNegotiation.acceptable(c.request(), record.mediaType())) {
            throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + ref + " is a " + record.mediaType()
                    + ", which the request's Accept header does not allow");
        }
        putManifestHeaders(c.response(), record);
        if (EntityTags.noneMatchFails(c.request(), record.digest())) {
            notModified(c);
            return;
        }
        if (bytes == null) {
            c.response().getHeaders().put(HttpHeader.CONTENT_LENGTH, record.size());
            return;
        }
        write(c, bytes);
    }

    /**
     * 304 Not Modified: the client's If-None-Match names the content. The headers set so far stay but for the
     * content's type, and there is no body (RFC 9110, section 15.4.5).
     */
    private static void notModified(Call c) {
        c.response().getHeaders().remove(HttpHeader.CONTENT_TYPE);
        c.response().getHeaders().remove(HttpHeader.ACCEPT_RANGES);
        c.response().setStatus(304);
    }

    private void putManifest(Call c, RepositoryName name, String ref) throws IOException {
        Reference reference = Reference.parse(ref);
        List<Tag> extraTags = new ArrayList<>();
        for (String t : c.query().getValuesOrEmpty("tag")) {
            extraTags.add(Tag.of(t));
        }
        long declared = c.request().getLength();
        if (declared > Manifest.MAX_BYTES) {
            throw new RegistryException(ErrorCode.SIZE_TOO_LARGE, "manifest exceeds " + Manifest.MAX_BYTES + " bytes");
        }
        ManifestService.PushResult result;
        // The body and its parse live on the heap: its declared length (the most a manifest may be when unknown)
        // counts against the budget until the push is done.
        try (MemoryBudget.Share share = MANIFEST_BODIES.acquire(declared < 0 ? Manifest.MAX_BYTES : declared,
                MemoryBudget.WAIT)) {
            byte[] bytes;
            try (InputStream in = Content.Source.asInputStream(c.request())) {
                bytes = in.readNBytes(Manifest.MAX_BYTES + 1);
            }
            if (bytes.length > Manifest.MAX_BYTES) {
                throw new RegistryException(ErrorCode.SIZE_TOO_LARGE,
                        "manifest exceeds " + Manifest.MAX_BYTES + " bytes");
            }
            result = manifests.put(name, reference, bytes, c.header(HttpHeader.CONTENT_TYPE), extraTags);
        }
        var h = c.response().getHeaders();
        h.put(HttpHeader.LOCATION, baseUrl + "/v2/" + name + "/manifests/" + result.digest());
        h.put("Docker-Content-Digest", result.digest().toString());
        result.subject().ifPresent(s -> h.put("OCI-Subject", s.toString()));
        if (!extraTags.isEmpty()) {
            for (Tag t : result.tags()) {
                h.add("OCI-Tag", t.value());
            }
        }
        sendEmpty(c, 201);
    }

    private void deleteManifest(Call c, RepositoryName name, String ref) {
        manifests.delete(name, Reference.parse(ref));
        sendEmpty(c, 202);
    }

    // ---- blobs --------------------------------------------------------------------------------------------------

    private void getBlob(Call c, RepositoryName name, Digest digest) throws IOException {
        if (pullThrough != null && blobThroughCache(c, name, digest)) {
            return;
        }
        long size = blobs.size(name, digest);
        var h = c.response().getHeaders();
        if (EntityTags.noneMatchFails(c.request(), digest)) { // the client has it: no redirect, no range
            putBlobHeaders(c.response(), digest);
            notModified(c);
            return;
        }
        if (!c.isHead()) {
            Optional<java.net.URI> redirect = blobs.redirect(name, digest, size);
            if (redirect.isPresent()) {
                // The storage serves the bytes (and any Range of them) itself, for as long as the URL is valid:
                // no caching headers here.
                h.put("Docker-Content-Digest", digest.toString());
                h.put(HttpHeader.LOCATION, redirect.get().toString());
                sendEmpty(c, 307);
                return;
            }
        }
        putBlobHeaders(c.response(), digest);
        ByteRange range;
        try {
            // If-Range: the range holds only for the content the client names; for any other, all of it is sent.
            String ifRange = c.header(HttpHeader.IF_RANGE);
            range = ifRange != null && !EntityTags.names(ifRange, digest) ? null
                    : ByteRange.request(c.header(HttpHeader.RANGE), size);
        } catch (ByteRange.RangeNotSatisfiable e) {
            h.put(HttpHeader.CONTENT_RANGE, "bytes */" + size);
            throw new RegistryException(ErrorCode.RANGE_INVALID, "requested range is outside the blob's " + size + " bytes");
        }
        long start = 0;
        long length = size;
        if (range != null) {
            start = range.start();
            length = range.length();
            h.put(HttpHeader.CONTENT_RANGE, "bytes " + range.start() + "-" + range.end() + "/" + size);
            c.response().setStatus(206);
        } else {
            c.response().setStatus(200);
        }
        h.put(HttpHeader.CONTENT_LENGTH, length);
        if (c.isHead() || length == 0) {
            return;
        }
        try (ReadableByteChannel ch = blobs.open(name, digest, size, start)) {
            var connection = c.request().getConnectionMetaData();
            if (ch instanceof FileChannel file && length >= ZERO_COPY_MIN
                    && connection.getHttpVersion() == org.eclipse.jetty.http.HttpVersion.HTTP_1_1 // not h2c's frames
                    && connection.getConnection().getEndPoint() instanceof ZeroCopyEndPoint endPoint) {
                sendFile(c, endPoint, file, length);
            } else if (ch instanceof LendingChannel lending) {
                sendLent(c, lending, length, digest);
            } else {
                sendChannel(c, ch, length, digest);
            }
        }
    }

    /**
     * A blob GET or HEAD of a pull-through cache, answered here when the cache does not hold the blob: a HEAD with
     * upstream's size, a GET by streaming upstream's bytes to the client as they are stored. Returns false when the
     * blob is (now) in the cache, for {@link #getBlob} to answer as any other. A range, or a blob whose length
     * upstream does not declare, is stored whole first.
     */
    private boolean blobThroughCache(Call c, RepositoryName name, Digest digest) throws IOException {
        if (c.isHead()) {
            Optional<Long> size = pullThrough.uncachedBlobSize(name, digest);
            if (size.isEmpty()) {
                return false;
            }
            putBlobHeaders(c.response(), digest);
            c.response().setStatus(200);
            c.response().getHeaders().put(HttpHeader.CONTENT_LENGTH, size.get());
            return true;
        }
        Optional<PullThrough.Fill> fill = pullThrough.blob(name, digest);
        if (fill.isEmpty()) {
            return false;
        }
        try (PullThrough.Fill f = fill.get()) {
            if (f.length() < 0 || c.header(HttpHeader.RANGE) != null) {
                f.transferTo(null);
                return false;
            }
            putBlobHeaders(c.response(), digest);
            c.response().setStatus(200);
            c.response().getHeaders().put(HttpHeader.CONTENT_LENGTH, f.length());
            // Bytes that fail their digest at the end leave this response short of its Content-Length: Jetty
            // then cuts the connection, and the client sees a broken download, not a finished one.
            OutputStream out = Content.Sink.asOutputStream(c.response());
            f.transferTo(out);
            out.close();
        }
        return true;
    }

    /**
     * Sends {@code length} bytes of a file from its current position with sendfile: the bytes go from the page
     * cache to the socket without a copy through this process. Jetty takes each part as a read-only mapping of
     * the file, which counts against Content-Length and which {@link ZeroCopyEndPoint} sends from the file without
     * reading it.
     */
    private static void sendFile(Call c, ZeroCopyEndPoint endPoint, FileChannel file, long length)
            throws IOException {
        long position = file.position();
        long left = length;
        try {
            while (left > 0) {
                long n = Math.min(left, MAX_MAPPING);
                MappedByteBuffer part = file.map(FileChannel.MapMode.READ_ONLY, position, n);
                endPoint.expect(part, file, position);
                position += n;
                left -= n;
                if (part.isLoaded()) {
                    // All of it is in the page cache (mincore, which reads no page): the write may finish on
                    // Jetty's selector thread when the socket drains, which saves a hand-off per drain.
                    blockingWrite(c.response(), left == 0, part);
                } else {
                    HttpOut.blockingWriteMayBlock(c.response(), left == 0, part);
                }
            }
        } finally {
            endPoint.expect(null, null, 0);
        }
    }

    /**
     * Streams {@code length} bytes of a channel through one pooled direct buffer, of 1 MiB or, while many
     * downloads hold {@link #DOWNLOAD_BUFFERS}, 32 KiB: the memory of downloads is bounded, and no blob bytes ever
     * live on the heap. Used for what neither {@link #sendFile} nor {@link #sendLent} can send: content that is
     * not a local file (another driver, a staged blob), small blobs, TLS connections, and every GET of a blob read
     * through the page cache unless lading.storage.sendfile is on.
     */
    private static void sendChannel(Call c, ReadableByteChannel ch, long length, Digest digest) throws IOException {
        ByteBufferPool pool = c.request().getComponents().getByteBufferPool();
        try (MemoryBudget.Share share = DOWNLOAD_BUFFERS.acquireUpTo(Math.min(SEND_BUFFER, length),
                LEAST_SEND_BUFFER, MemoryBudget.WAIT)) {
            RetainableByteBuffer pooled = pool.acquire((int) Math.min(share.bytes(), length), true);
            try {
                send(c, ch, length, digest, pooled.getByteBuffer());
            } finally {
                pooled.release();
            }
        }
    }

    /**
     * Sends {@code length} bytes of a channel that lends its own buffers (direct reads): each is written where it
     * is, so the download takes no buffer of {@link #DOWNLOAD_BUFFERS} and copies nothing.
     */
    private static void sendLent(Call c, LendingChannel ch, long length, Digest digest) throws IOException {
        long left = length;
        while (left > 0) {
            ByteBuffer lent = ch.lend((int) Math.min(left, Integer.MAX_VALUE));
            if (lent == null) {
                throw new IOException("blob " + digest + " ended " + left + " bytes early");
            }
            left -= lent.remaining();
            blockingWrite(c.response(), left == 0, lent); // returns once the buffer is written: the next lend reuses it
        }
    }

    /** Sends {@code length} bytes of {@code ch}, a buffer at a time. */
    private static void send(Call c, ReadableByteChannel ch, long length, Digest digest, ByteBuffer buf)
            throws IOException {
        long left = length;
        while (left > 0) {
            buf.clear().limit((int) Math.min(buf.capacity(), left));
            while (buf.hasRemaining()) {
                if (ch.read(buf) < 0) {
                    throw new IOException("blob " + digest + " ended " + (left - buf.position()) + " bytes early");
                }
            }
            buf.flip();
            left -= buf.remaining();
            blockingWrite(c.response(), left == 0, buf);
        }
    }

    /** The JVM's limit on direct buffer memory: -XX:MaxDirectMemorySize, or the heap's maximum when unset. */
    private static long directMemoryLimit() {
        try {
            long set = Long.parseLong(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .getVMOption("MaxDirectMemorySize").getValue());
            if (set > 0) {
                return set;
            }
        } catch (RuntimeException notHotSpot) {
            // the JDK's default below
        }
        return Runtime.getRuntime().maxMemory();
    }

    private static void blockingWrite(Response response, boolean last, ByteBuffer buffer) throws IOException {
        HttpOut.blockingWrite(response, last, buffer);
    }

    private void deleteBlob(Call c, RepositoryName name, Digest digest) {
        blobs.delete(name, digest);
        sendEmpty(c, 202);
    }

    // ---- uploads ------------------------------------------------------------------------------------------------

    private void startUpload(Call c, RepositoryName name) throws IOException {
        String mount = c.param("mount");
        if (mount != null) {
            Digest digest = Digest.parse(mount);
            String from = c.param("from");
            Optional<RepositoryName> source = from == null ? Optional.empty()
                    : RepositoryName.isValid(from) ? Optional.of(RepositoryName.of(from)) : Optional.empty();
            // With access control, mounting needs pull on the source; a mount without `from` would search every
            // repository, including ones the client may not read, so it is not done (both fall back to upload).
            boolean permitted = AuthGate.controlled(c.request())
                    ? source.isPresent() && AuthGate.grants(c.request(), Access.repository(source.get().value(),
                    Access.PULL))
                    : from == null || source.isPresent();
            if (permitted && blobs.mount(name, digest, source)) {
                blobCreated(c, name, digest);
                return;
            }
            // Not mountable: fall through to a normal upload session (202), as the spec asks.
        }
        String digestParam = c.param("digest");
        String algorithmParam = c.param("digest-algorithm");
        Digest.Algorithm algorithm = algorithmParam == null ? Digest.Algorithm.SHA256 : Digest.Algorithm.of(algorithmParam);
        if (digestParam != null) {
            Digest digest = Digest.parse(digestParam);
            UploadRecord u = uploads.start(name, digest.algorithm());
            uploads.complete(name, u.id(), digest, null, Content.Source.asInputStream(c.request()), bodyLength(c));
            blobCreated(c, name, digest);
            return;
        }
        UploadRecord u = uploads.start(name, algorithm);
        if (options.chunkMinLength() > 0) {
            c.response().getHeaders().put("OCI-Chunk-Min-Length", options.chunkMinLength());
        }
        uploadHeaders(c, u);
        sendEmpty(c, 202);
    }

    private void uploadStatus(Call c, RepositoryName name, UUID id) {
        uploadHeaders(c, uploads.status(name, id));
        sendEmpty(c, 204);
    }

    private void patchUpload(Call c, RepositoryName name, UUID id) {
        ByteRange range = ByteRange.upload(c.header(HttpHeader.CONTENT_RANGE));
        long length = bodyLength(c);
        if (range != null && length >= 0 && range.length() != length) {
            throw new RegistryException(ErrorCode.RANGE_INVALID, "Content-Range covers " + range.length()
                    + " bytes but Content-Length is " + length);
        }
        UploadRecord u = uploads.append(name, id, range == null ? null : range.start(),
                Content.Source.asInputStream(c.request()), length);
        uploadHeaders(c, u);
        sendEmpty(c, 202);
    }

    private void completeUpload(Call c, RepositoryName name, UUID id) {
        String digestParam = c.param("digest");
        if (digestParam == null) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "the closing PUT needs ?digest=");
        }
        Digest digest = Digest.parse(digestParam);
        ByteRange range = ByteRange.upload(c.header(HttpHeader.CONTENT_RANGE));
        uploads.complete(name, id, digest, range == null ? null : range.start(),
                Content.Source.asInputStream(c.request()), bodyLength(c));
        blobCreated(c, name, digest);
    }

    private void cancelUpload(Call c, RepositoryName name, UUID id) {
        uploads.cancel(name, id);
        sendEmpty(c, 204);
    }

    /** -1 for a chunk-encoded body, else Content-Length (0 when absent). */
    private static long bodyLength(Call c) {
        long length = c.request().getLength();
        if (length >= 0) {
            return length;
        }
        String te = c.header(HttpHeader.TRANSFER_ENCODING);
        return te != null ? -1 : 0;
    }

    private static UUID uploadId(String raw) {
        try {
            UUID id = UUID.fromString(raw);
            if (!id.toString().equals(raw)) {
                throw new IllegalArgumentException();
            }
            return id;
        } catch (IllegalArgumentException e) {
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, "upload " + abbreviate(raw) + " is unknown");
        }
    }

    private void uploadHeaders(Call c, UploadRecord u) {
        putUploadHeaders(c.response().getHeaders(), u);
        c.response().getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
    }

    /** Where an upload stands: its URL, the acknowledged range and its id (success replies and 416 alike). */
    private void putUploadHeaders(org.eclipse.jetty.http.HttpFields.Mutable h, UploadRecord u) {
        h.put(HttpHeader.LOCATION, baseUrl + "/v2/" + u.repository() + "/blobs/uploads/" + u.id());
        h.put(HttpHeader.RANGE, "0-" + Math.max(0, u.offset() - 1));
        h.put("Docker-Upload-UUID", u.id().toString());
    }

    private void blobCreated(Call c, RepositoryName name, Digest digest) {
        var h = c.response().getHeaders();
        h.put(HttpHeader.LOCATION, baseUrl + "/v2/" + name + "/blobs/" + digest);
        h.put("Docker-Content-Digest", digest.toString());
        sendEmpty(c, 201);
    }

    // ---- listings -----------------------------------------------------------------------------------------------

    private void tags(Call c, RepositoryName name) throws IOException {
        String last = c.param("last");
        ManifestService.Page page = manifests.tags(name, last, pageSize(c));
        if (page.hasMore()) {
            linkNext(c, "/v2/" + name + "/tags/list", page);
        }
        sendJson(c, 200, listJson(name.value(), "tags", page.items()));
    }

    private void catalog(Call c) throws IOException {
        ManifestService.Page page = manifests.catalog(c.param("last"), pageSize(c));
        if (page.hasMore()) {
            linkNext(c, "/v2/_catalog", page);
        }
        sendJson(c, 200, listJson(null, "repositories", page.items()));
    }

    /**
     * {@code {"name": name, field: [items]}} ({@code name} left out when null), streamed: a list of 10 000 tags
     * builds no tree of nodes and no intermediate string.
     */
    private static byte[] listJson(String name, String field, List<String> items) throws IOException {
        var out = new java.io.ByteArrayOutputStream(64 + 24 * items.size());
        try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            if (name != null) {
                g.writeStringField("name", name);
            }
            g.writeArrayFieldStart(field);
            for (String item : items) {
                g.writeString(item);
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private static Integer pageSize(Call c) {
        String n = c.param("n");
        if (n == null || n.isEmpty()) {
            return null;
        }
        try {
            int v = Integer.parseInt(n);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new RegistryException(ErrorCode.PAGINATION_NUMBER_INVALID, "n must be a non-negative integer");
        }
    }

    private void linkNext(Call c, String path, ManifestService.Page page) {
        String next = page.items().get(page.items().size() - 1);
        StringBuilder url = new StringBuilder(baseUrl).append(path).append("?");
        String n = c.param("n");
        if (n != null) {
            url.append("n=").append(n).append('&');
        }
        url.append("last=").append(URLEncoder.encode(next, StandardCharsets.UTF_8));
        c.response().getHeaders().put(HttpHeader.LINK, "<" + url + ">; rel=\"next\"");
    }

    private void referrers(Call c, RepositoryName name, String rawDigest) throws IOException {
        Digest subject;
        try {
            subject = Digest.parse(rawDigest);
        } catch (RegistryException e) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, e.getMessage());
        }
        Optional<String> artifactType = Optional.ofNullable(c.param("artifactType")).filter(s -> !s.isEmpty());
        Digest after = null;
        if (c.param("last") != null) {
            try {
                after = Digest.parse(c.param("last"));
            } catch (RegistryException e) {
                throw new RegistryException(ErrorCode.PAGINATION_NUMBER_INVALID, "last must be a digest from a"
                        + " previous page's Link");
            }
        }
        Integer n = pageSize(c);
        int size = n == null || n > REFERRERS_PAGE ? REFERRERS_PAGE : n;
        ManifestService.ReferrersPage page = manifests.referrers(name, subject, artifactType, after, size);
        List<ManifestRecord> found = page.items();
        if (page.hasMore() && !found.isEmpty()) {
            StringBuilder url = new StringBuilder(baseUrl).append("/v2/").append(name).append("/referrers/")
                    .append(subject).append("?n=").append(size).append("&last=").append(found.get(found.size() - 1)
                            .digest());
            artifactType.ifPresent(t -> url.append("&artifactType=").append(URLEncoder.encode(t, StandardCharsets.UTF_8)));
            c.response().getHeaders().put(HttpHeader.LINK, "<" + url + ">; rel=\"next\"");
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("schemaVersion", 2);
        root.put("mediaType", MediaTypes.OCI_INDEX);
        ArrayNode arr = root.putArray("manifests");
        for (ManifestRecord m : found) {
            ObjectNode d = arr.addObject();
            d.put("mediaType", m.mediaType());
            d.put("digest", m.digest().toString());
            d.put("size", m.size());
            if (m.artifactType() != null) {
                d.put("artifactType", m.artifactType());
            }
            if (!m.annotations().isEmpty()) {
                ObjectNode a = d.putObject("annotations");
                m.annotations().forEach(a::put);
            }
        }
        if (artifactType.isPresent()) {
            c.response().getHeaders().put("OCI-Filters-Applied", "artifactType");
        }
        c.response().getHeaders().put(HttpHeader.CONTENT_TYPE, MediaTypes.OCI_INDEX);
        c.response().setStatus(200);
        write(c, root.toString().getBytes(StandardCharsets.UTF_8));
    }

    // ---- responses ----------------------------------------------------------------------------------------------

    private static void sendJson(Call c, int status, String body) throws IOException {
        sendJson(c, status, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void sendJson(Call c, int status, byte[] body) throws IOException {
        c.response().setStatus(status);
        c.response().getHeaders().put(HttpHeader.CONTENT_TYPE, JSON_TYPE);
        write(c, body);
    }

    private static void write(Call c, byte[] bytes) throws IOException {
        c.response().getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        if (c.isHead()) {
            return;
        }
        blockingWrite(c.response(), true, ByteBuffer.wrap(bytes));
    }

    private static void sendEmpty(Call c, int status) {
        c.response().setStatus(status);
        c.response().getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
    }

    private void sendError(Request request, Response response, String method, String path, Throwable failure) {
        if (failure instanceof EofException || (failure instanceof IOException && response.isCommitted())) {
            return; // the client went away mid-response; nothing more can be said to it
        }
        if (response.isCommitted()) {
            ErrorResponses.render(failure, method, path);
            return;
        }
        ErrorResponses.Rendered r;
        if (failure instanceof NotFoundException) {
            r = new ErrorResponses.Rendered(404, ErrorResponses.body(ErrorCode.NAME_UNKNOWN,
                    "no such endpoint: " + abbreviate(path), null));
        } else {
            r = ErrorResponses.render(failure, method, path);
        }
        var h = response.getHeaders();
        // Headers that described the content, set before the failure: an error must not carry them (a year's
        // Cache-Control on a 404 would let a proxy keep the error for a year).
        for (String content : CONTENT_HEADERS) {
            h.remove(content);
        }
        if (r.status() != 416) { // a 206's range, set before a failure that came after it
            h.remove(HttpHeader.CONTENT_RANGE);
        }
        if (failure instanceof UploadRangeException ure) {
            putUploadHeaders(h, ure.upload());
        }
        if (r.status() == 405) {
            h.put(HttpHeader.ALLOW, String.join(", ", allowedNow(path)));
        }
        HttpOut.error(request, response, r.status(), r.body());
    }

    /**
     * The methods the resource at {@code path} answers now, which RFC 9110 asks a 405 to list: the route's, less
     * the writes while the registry is a pull-through cache or read-only, and less the DELETE of manifests, tags
     * and blobs while deletes are off (cancelling an upload stays allowed).
     */
    private List<String> allowedNow(String path) {
        Route route = Route.parse(path);
        boolean readsOnly = pullThrough != null || options.readOnly().get();
        boolean deletes = options.deleteEnabled() || route instanceof Route.UploadSession;
        return route.methods().stream()
                .filter(m -> readsOnly ? m.equals("GET") || m.equals("HEAD") : deletes || !m.equals("DELETE"))
                .toList();
    }

    /** Content-Range is kept for a 416 only, which must say the size in one ({@code bytes *}/size). */
    private static final List<String> CONTENT_HEADERS = List.of("Docker-Content-Digest", HttpHeader.ETAG.asString(),
            HttpHeader.ACCEPT_RANGES.asString(), HttpHeader.CACHE_CONTROL.asString(),
            HttpHeader.LAST_MODIFIED.asString(), HttpHeader.LOCATION.asString(), "OCI-Subject", "OCI-Tag",
            "Docker-Upload-UUID", "Range");

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    /** A path outside the API. */
    private static final class NotFoundException extends RuntimeException {
        NotFoundException() {
            super("not found", null, false, false);
        }
    }
}
