package io.lading.storage.s3;

import io.lading.storage.Futures;
import io.lading.storage.InvalidOffsetException;
import io.lading.storage.PathNotFoundException;
import io.lading.storage.StorageDriver;
import io.lading.storage.StreamChannel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.client.config.SdkAdvancedClientOption;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpConfigurationOption;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.utils.AttributeMap;

/**
 * The storage driver API over Amazon S3 or an S3-compatible service ({@code storage.s3}).
 *
 * <p>A file is an object whose key is the root directory followed by the path. Object stores cannot append, but an
 * upload grows over several requests (chunked pushes, resumed uploads), each durable before it is acknowledged.
 * A file written again at an offset past 0 is therefore kept as <em>segments</em>: objects named
 * {@code <key>~<offset, 19 digits>}, each holding the bytes from its offset to the next one's. {@code ~} is outside
 * the driver path grammar, so no path's key can collide with a segment's, and listings leave segments out but for
 * the file they make up. A plain object at the key wins over segments left by a crash. {@link #move} joins a
 * file's segments into one object at the destination (server-side where every part but the last is at least
 * 5 MiB); blobs are written once and so are plain objects.
 *
 * <p>A write of known length streams into one PUT (or, past 5 GiB, into parts) as the bytes arrive, with no
 * buffer of its size; one of unknown length fills parts of {@code chunksize} from a small pool and uploads each
 * when full. A writer closed without a commit aborts its PUT or multipart upload: S3 stores nothing of it.
 */
public final class S3Driver implements StorageDriver {
    private static final Logger LOG = LoggerFactory.getLogger(S3Driver.class);
    private static final char SEGMENT = '~';
    /** Writes smaller than this are gathered in memory and PUT at commit. */
    static final int SMALL = 1024 * 1024;
    /** Part buffers for writes of unknown length, taken from a pool of this many. */
    static final int PART_BUFFERS = 4;
    /** Requests of one operation (a batch of small files, a delete of many) sent at once. */
    private static final int CONCURRENT_REQUESTS = 8;

    private final S3Settings settings;
    private final long maxPut;
    private final software.amazon.awssdk.http.SdkHttpClient http;
    private final S3Client s3;
    /** For request bodies streamed as they arrive, which cannot be sent twice: the writer's caller retries. */
    private final S3Client s3Once;
    private final S3Presigner presigner;
    private final String bucket;
    private final String prefix;
    private final Semaphore partBuffers = new Semaphore(PART_BUFFERS);
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.ConcurrentLinkedQueue<ByteBuffer> freeParts =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final ExecutorService background = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("lading-s3-", 0).factory());

    public S3Driver(S3Settings settings) {
        this(settings, S3Settings.MAX_PUT);
    }

    /** @param maxPut the largest write sent as one PUT (S3's limit; smaller in tests of the parts past it) */
    S3Driver(S3Settings settings, long maxPut) {
        this.settings = settings;
        this.maxPut = maxPut;
        this.bucket = settings.bucket();
        this.prefix = settings.rootDirectory().isEmpty() ? "" : settings.rootDirectory() + "/";
        AwsCredentialsProvider credentials = settings.accessKey() == null || settings.accessKey().isEmpty()
                ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(),
                        settings.secretKey() == null ? "" : settings.secretKey()));
        // skipverify: the SDK's own switch, which trusts any certificate and any host name, as Go's
        // InsecureSkipVerify in distribution's driver does.
        this.http = Apache5HttpClient.builder().maxConnections(64).buildWithDefaults(AttributeMap.builder()
                .put(SdkHttpConfigurationOption.TRUST_ALL_CERTIFICATES, settings.skipVerify()).build());
        URI endpoint = endpoint(settings.endpoint(), settings.secure());
        this.s3 = client(credentials, endpoint, true);
        this.s3Once = client(credentials, endpoint, false);
        S3Presigner.Builder p = S3Presigner.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .dualstackEnabled(settings.dualStack())
                .fipsEnabled(settings.fips())
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(settings.forcePathStyle())
                        .accelerateModeEnabled(settings.accelerate()).build());
        URI redirect = settings.redirectEndpoint() != null ? settings.redirectEndpoint() : endpoint;
        if (redirect != null) {
            p.endpointOverride(redirect);
        }
        this.presigner = p.build();
    }

    /** A client over the shared connection pool; with {@code retries}, the SDK's standard retries. */
    private S3Client client(AwsCredentialsProvider credentials, URI endpoint, boolean retries) {
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .httpClient(http)
                .forcePathStyle(settings.forcePathStyle())
                .dualstackEnabled(settings.dualStack())
                .fipsEnabled(settings.fips())
                .accelerate(settings.accelerate())
                // Checksums only where S3 requires them (no request of this driver's): S3-compatible services
                // often refuse the SDK's newer checksum headers.
                .requestChecksumCalculation(software.amazon.awssdk.core.checksums.RequestChecksumCalculation
                        .WHEN_REQUIRED)
                .responseChecksumValidation(software.amazon.awssdk.core.checksums.ResponseChecksumValidation
                        .WHEN_REQUIRED)
                .overrideConfiguration(c -> {
                    if (settings.userAgent() != null) {
                        c.putAdvancedOption(SdkAdvancedClientOption.USER_AGENT_SUFFIX, settings.userAgent());
                    }
                    if (!retries) {
                        c.retryStrategy(software.amazon.awssdk.awscore.retry.AwsRetryStrategy.doNotRetry());
                    }
                });
        if (endpoint != null) {
            builder.endpointOverride(endpoint);
        }
        return builder.build();
    }

    /** An endpoint without a scheme takes https, or http with {@code secure: false}, as in distribution. */
    private static URI endpoint(URI configured, boolean secure) {
        if (configured == null) {
            return null;
        }
        return configured.getScheme() == null ? URI.create((secure ? "https://" : "http://") + configured) : configured;
    }

    @Override
    public String name() {
        return "s3";
    }

    /** The object key of a driver path ({@code /a/b} → {@code root/a/b}). */
    private String key(String path) {
        return prefix + path.substring(1);
    }

    private String path(String key) {
        return "/" + key.substring(prefix.length());
    }

    private static String segmentKey(String key, long offset) {
        return key + SEGMENT + String.format("%019d", offset);
    }

    // ---- what a file is made of

    /** One object of a file: the plain object (offset 0), or a segment from {@code offset}. */
    private record Piece(String key, long offset, long size, Instant modified) {
        long end() {
            return offset + size;
        }
    }

    /** A file's objects in order, or null when there is no such file. */
    private List<Piece> pieces(String key) throws IOException {
        try {
            HeadObjectResponse head = call(() -> s3.headObject(b -> b.bucket(bucket).key(key)));
            return List.of(new Piece(key, 0, head.contentLength(), head.lastModified()));
        } catch (PathNotFoundException e) {
            List<Piece> segments = segments(key);
            return segments.isEmpty() ? null : segments;
        }
    }

    /** The segments of a file, in order of offset. */
    private List<Piece> segments(String key) throws IOException {
        List<Piece> out = new ArrayList<>();
        for (S3Object o : listAll(key + SEGMENT, null)) {
            String suffix = o.key().substring(key.length() + 1);
            if (suffix.length() == 19 && suffix.chars().allMatch(Character::isDigit)) {
                out.add(new Piece(o.key(), Long.parseLong(suffix), o.size(), o.lastModified()));
            }
        }
        out.sort(java.util.Comparator.comparingLong(Piece::offset));
        return out;
    }

    private static long size(List<Piece> pieces) {
        return pieces.get(pieces.size() - 1).end();
    }

    // ---- reading

    @Override
    public ReadableByteChannel reader(String path, long offset) throws IOException {
        String key = key(path);
        if (offset == 0) {
            try {
                return new GetChannel(get(key, 0, -1));
            } catch (PathNotFoundException e) {
                List<Piece> segments = segments(key);
                if (segments.isEmpty()) {
                    throw new PathNotFoundException(path);
                }
                return new PiecesChannel(segments, 0);
            }
        }
        List<Piece> pieces = pieces(key);
        if (pieces == null) {
            throw new PathNotFoundException(path);
        }
        long size = size(pieces);
        if (offset > size) {
            throw new InvalidOffsetException(path, offset, size);
        }
        return new PiecesChannel(pieces, offset);
    }

    /** A GET of {@code key} from {@code from}, to {@code to} inclusive (-1: to the end). */
    private ResponseInputStream<GetObjectResponse> get(String key, long from, long to) throws IOException {
        String range = from == 0 && to < 0 ? null : "bytes=" + from + "-" + (to < 0 ? "" : to);
        return call(() -> s3.getObject(b -> b.bucket(bucket).key(key).range(range)));
    }

    /** Reads the pieces of a file from an offset, one GET at a time. */
    private final class PiecesChannel implements ReadableByteChannel {
        private final Iterator<Piece> next;
        private long offset;
        private GetChannel current;
        private boolean open = true;

        PiecesChannel(List<Piece> pieces, long offset) {
            this.next = pieces.stream().filter(p -> p.end() > offset).iterator();
            this.offset = offset;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
            while (true) {
                if (current == null) {
                    if (!next.hasNext()) {
                        return -1;
                    }
                    Piece p = next.next();
                    if (p.size() == 0) {
                        continue;
                    }
                    current = new GetChannel(get(p.key(), offset - p.offset(), -1));
                    offset = p.end();
                }
                int n = current.read(dst);
                if (n >= 0) {
                    return n;
                }
                current.close();
                current = null;
            }
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
            if (current != null) {
                current.close();
            }
        }
    }

    /** A GET's body as a channel; closing it early aborts the connection rather than reading the rest. */
    private static final class GetChannel extends StreamChannel {
        GetChannel(ResponseInputStream<GetObjectResponse> in) {
            super(in);
        }

        @Override
        protected void closeStream(InputStream stream, boolean ended) {
            if (!ended) {
                ((ResponseInputStream<?>) stream).abort();
            }
            super.closeStream(stream, ended);
        }
    }

    // ---- writing

    @Override
    public FileWriter writer(String path, long offset) throws IOException {
        return writer(path, offset, -1);
    }

    @Override
    public FileWriter writer(String path, long offset, long expected) throws IOException {
        String key = key(path);
        if (offset == 0) {
            return new Writer(path, key, key, 0, expected, true);
        }
        List<Piece> pieces = pieces(key);
        long size = pieces == null ? 0 : size(pieces);
        if (pieces == null || offset > size) {
            throw new InvalidOffsetException(path, offset, size);
        }
        List<Piece> segments = pieces.size() == 1 && pieces.get(0).key().equals(key)
                ? List.of(toSegment(key, pieces.get(0))) : pieces;
        truncate(segments, offset);
        return new Writer(path, key, segmentKey(key, offset), offset, expected, false);
    }

    /** Makes a plain object the first segment of its file, so that it can grow. */
    private Piece toSegment(String key, Piece plain) throws IOException {
        String first = segmentKey(key, 0);
        copy(key, first, plain.size());
        deleteKeys(List.of(key));
        return new Piece(first, 0, plain.size(), plain.modified());
    }

    /** Drops what a file holds past {@code offset}: bytes written but never acknowledged. */
    private void truncate(List<Piece> segments, long offset) throws IOException {
        List<String> gone = new ArrayList<>();
        for (Piece p : segments) {
            if (p.offset() >= offset) {
                gone.add(p.key());
            } else if (p.end() > offset) {
                // A segment across the offset keeps its first bytes only.
                long keep = offset - p.offset();
                try (InputStream in = get(p.key(), 0, keep - 1)) {
                    putOnce(p.key(), RequestBody.fromInputStream(in, keep));
                }
            }
        }
        deleteKeys(gone);
    }

    /**
     * A request body of a buffer's remaining bytes, read where they are (the SDK's {@code fromByteBuffer} copies
     * them to the heap first: a part's worth per part) and readable again when the SDK retries.
     */
    private static RequestBody body(ByteBuffer bytes) {
        ByteBuffer view = bytes.slice();
        return RequestBody.fromContentProvider(() -> new InputStream() {
            private final ByteBuffer left = view.duplicate();

            @Override
            public int read() {
                return left.hasRemaining() ? left.get() & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) {
                    return 0;
                }
                if (!left.hasRemaining()) {
                    return -1;
                }
                int n = Math.min(len, left.remaining());
                left.get(b, off, n);
                return n;
            }
        }, view.remaining(), "application/octet-stream");
    }

    private void put(String key, RequestBody body) throws IOException {
        call(() -> s3.putObject(putRequest(key), body));
    }

    /** A PUT of a body that can be read once. */
    private void putOnce(String key, RequestBody body) throws IOException {
        call(() -> s3Once.putObject(putRequest(key), body));
    }

    private PutObjectRequest putRequest(String key) {
        PutObjectRequest.Builder b = PutObjectRequest.builder().bucket(bucket).key(key);
        // S3's own defaults are left unsaid: some S3-compatible services refuse these headers on copies.
        if (settings.storageClass() != null && !settings.storageClass().equals("STANDARD")) {
            b.storageClass(settings.storageClass());
        }
        if (settings.objectAcl() != null && !settings.objectAcl().equals("private")) {
            b.acl(settings.objectAcl());
        }
        if (settings.encrypt()) {
            b.serverSideEncryption(settings.keyId() != null ? ServerSideEncryption.AWS_KMS
                    : ServerSideEncryption.AES256);
            if (settings.keyId() != null) {
                b.ssekmsKeyId(settings.keyId());
            }
        }
        return b.build();
    }

    private CreateMultipartUploadRequest multipartRequest(String key) {
        PutObjectRequest p = putRequest(key);
        return CreateMultipartUploadRequest.builder().bucket(bucket).key(key).storageClass(p.storageClassAsString())
                .acl(p.aclAsString()).serverSideEncryption(p.serverSideEncryptionAsString())
                .ssekmsKeyId(p.ssekmsKeyId()).build();
    }

    /**
     * Writes one object ({@code target}: the file's key, or a new segment of it). Up to {@link #SMALL} bytes
     * gather in memory and go in one PUT at commit; a larger write of known length streams into a PUT (or parts)
     * on a background thread as it arrives; one of unknown length fills pooled parts of {@code chunksize}.
     */
    private final class Writer implements FileWriter {
        private final String path;
        private final String key;
        private final String target;
        private final long start;
        private final long expected;
        private final boolean whole;
        private long written;
        private boolean open = true;
        private ByteBuffer small;
        private StreamedUpload streamed;
        private Multipart parts;

        Writer(String path, String key, String target, long start, long expected, boolean whole) {
            this.path = path;
            this.key = key;
            this.target = target;
            this.start = start;
            this.expected = expected;
            this.whole = whole;
            if (expected < 0 || expected <= SMALL) {
                small = ByteBuffer.allocate(expected < 0 ? 64 * 1024 : (int) expected);
            }
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
            int n = src.remaining();
            if (expected >= 0 && written + n > expected) {
                throw new IOException(path + ": more than the " + expected + " bytes announced");
            }
            if (small != null && small.remaining() < n && expected < 0 && small.position() + n <= SMALL) {
                int grown = Math.min(SMALL, Math.max(2 * small.capacity(), small.position() + n));
                small = ByteBuffer.allocate(grown).put(small.flip());
            }
            if (small != null && small.remaining() >= n) {
                small.put(src);
            } else if (small != null) { // past SMALL with no length announced: parts of chunksize
                parts = new Multipart(target);
                parts.write(small.flip());
                small = null;
                parts.write(src);
            } else if (parts != null) {
                parts.write(src);
            } else {
                if (streamed == null) {
                    streamed = new StreamedUpload(target, expected);
                }
                streamed.write(src);
            }
            written += n;
            return n;
        }

        @Override
        public long size() {
            return start + written;
        }

        @Override
        public void commit() throws IOException {
            if (!open) {
                return;
            }
            open = false;
            boolean done = false;
            try {
                if (expected >= 0 && written != expected) {
                    throw new IOException(path + ": " + written + " of the " + expected + " bytes announced");
                }
                if (small != null) {
                    put(target, body(small.flip()));
                } else if (parts != null) {
                    parts.finish();
                } else {
                    streamed.finish(); // all the bytes announced were written, and more than SMALL
                }
                done = true;
            } finally {
                if (!done) {
                    abort();
                }
            }
            if (whole) {
                // A write from offset 0 replaces the file: segments of an earlier version go (the plain object
                // wins over them meanwhile).
                List<Piece> stale = segments(key);
                deleteKeys(stale.stream().map(Piece::key).toList());
            }
        }

        @Override
        public void cancel() throws IOException {
            close();
            try {
                delete(path);
            } catch (PathNotFoundException e) {
                // nothing was stored
            }
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            if (open) {
                open = false;
                abort();
            }
        }

        private void abort() {
            if (streamed != null) {
                streamed.abort();
            }
            if (parts != null) {
                parts.abort();
            }
        }
    }

    /**
     * A write of known length streamed to S3 as it arrives: one PUT up to 5 GiB, else parts of at least
     * {@code chunksize}, sent by a background thread that reads what the writer hands over through a
     * {@link Handoff}.
     */
    private final class StreamedUpload {
        private final Handoff handoff = new Handoff();
        private final Future<Void> upload;

        StreamedUpload(String target, long length) {
            upload = background.submit(() -> {
                try (InputStream in = handoff.input()) {
                    if (length <= maxPut) {
                        putOnce(target, RequestBody.fromInputStream(in, length));
                    } else {
                        long part = Math.max(settings.chunkSize(), (length + 9_999) / 10_000);
                        try (Multipart m = new Multipart(target)) {
                            for (long sent = 0; sent < length; sent += part) {
                                long n = Math.min(part, length - sent);
                                m.uploadPartOnce(RequestBody.fromInputStream(Handoff.bounded(in, n), n));
                            }
                            m.complete();
                        }
                    }
                }
                return null;
            });
        }

        void write(ByteBuffer src) throws IOException {
            handoff.write(src, upload);
        }

        void finish() throws IOException {
            handoff.end();
            await(upload);
        }

        /** Fails the request body and waits until the request has ended, its connection closed. */
        void abort() {
            handoff.fail();
            try {
                await(upload);
            } catch (IOException | RuntimeException expected) {
                // the failed body
            }
        }
    }

    /** A multipart upload, its parts filled in a pooled buffer (writes of unknown length) or sent as given. */
    private final class Multipart implements AutoCloseable {
        private final String target;
        private String uploadId;
        private final List<CompletedPart> done = new ArrayList<>();
        private ByteBuffer buffer;
        private boolean completed;

        Multipart(String target) {
            this.target = target;
        }

        void write(ByteBuffer src) throws IOException {
            while (src.hasRemaining()) {
                if (buffer == null) {
                    buffer = takeBuffer();
                }
                int n = Math.min(src.remaining(), buffer.remaining());
                buffer.put(src.slice(src.position(), n));
                src.position(src.position() + n);
                if (!buffer.hasRemaining()) {
                    uploadPart(body(buffer.flip()));
                    buffer.clear();
                }
            }
        }

        void uploadPart(RequestBody body) throws IOException {
            uploadPart(s3, body);
        }

        /** A part whose body can be read once. */
        void uploadPartOnce(RequestBody body) throws IOException {
            uploadPart(s3Once, body);
        }

        private void uploadPart(S3Client client, RequestBody body) throws IOException {
            if (uploadId == null) {
                uploadId = call(() -> s3.createMultipartUpload(multipartRequest(target))).uploadId();
            }
            int number = done.size() + 1;
            String etag = call(() -> client.uploadPart(b -> b.bucket(bucket).key(target).uploadId(uploadId)
                    .partNumber(number), body)).eTag();
            done.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
        }

        /** Sends what is left in the buffer: the last part, or all of it in one PUT when it is the only part. */
        void finish() throws IOException {
            try {
                if (uploadId == null) {
                    put(target, body(buffer.flip()));
                    completed = true;
                    return;
                }
                if (buffer != null && buffer.position() > 0) {
                    uploadPart(body(buffer.flip()));
                }
            } finally {
                releaseBuffer();
            }
            complete();
        }

        void complete() throws IOException {
            call(() -> s3.completeMultipartUpload(b -> b.bucket(bucket).key(target).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(done))));
            completed = true;
        }

        void abort() {
            releaseBuffer();
            close();
        }

        @Override
        public void close() {
            if (!completed && uploadId != null) {
                abortUpload(target, uploadId);
                uploadId = null;
            }
        }

        private void releaseBuffer() {
            if (buffer != null) {
                freeParts.add(buffer.clear());
                buffer = null;
                partBuffers.release();
            }
        }
    }

    /** Aborts a multipart upload, so S3 keeps none of its parts; a failure is logged (S3 can expire them too). */
    private void abortUpload(String key, String uploadId) {
        try {
            call(() -> s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)));
        } catch (IOException e) {
            LOG.warn("could not abort multipart upload {} of {}: {}", uploadId, key, e.toString());
        }
    }

    /** A part buffer from the pool, waiting while all are in use. */
    private ByteBuffer takeBuffer() throws IOException {
        try {
            partBuffers.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("waiting for a part buffer");
        }
        ByteBuffer b = freeParts.poll();
        return b != null && b.capacity() == settings.chunkSize() ? b
                : ByteBuffer.allocateDirect((int) Math.min(settings.chunkSize(), Integer.MAX_VALUE - 8));
    }

    @Override
    public void putAll(Map<String, byte[]> files, String scratch) throws IOException {
        // A PUT is atomic and durable when it returns: no scratch file and no move needed.
        Futures.each(List.copyOf(files.entrySet()), CONCURRENT_REQUESTS, background, file -> {
            put(key(file.getKey()), RequestBody.fromBytes(file.getValue()));
            return null;
        });
    }

    // ---- the rest of the API

    @Override
    public FileInfo stat(String path) throws IOException {
        if (path.equals("/")) { // the root: there whenever the bucket can be listed (start-up and health checks ask)
            ListObjectsV2Response top = call(() -> s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix).maxKeys(1)));
            return new FileInfo(path, 0, top.contents().isEmpty() ? Instant.EPOCH : top.contents().get(0)
                    .lastModified(), true);
        }
        String key = key(path);
        List<Piece> pieces = pieces(key);
        if (pieces != null) {
            Instant modified = pieces.stream().map(Piece::modified).max(Instant::compareTo).orElseThrow();
            return new FileInfo(path, size(pieces), modified, false);
        }
        ListObjectsV2Response below = call(() -> s3.listObjectsV2(b -> b.bucket(bucket).prefix(key + "/").maxKeys(1)));
        if (below.hasContents() && !below.contents().isEmpty()) {
            return new FileInfo(path, 0, below.contents().get(0).lastModified(), true);
        }
        throw new PathNotFoundException(path);
    }

    @Override
    public List<String> list(String path) throws IOException {
        String dir = path.equals("/") ? prefix : key(path) + "/";
        LinkedHashSet<String> out = new LinkedHashSet<>();
        String token = null;
        do {
            String t = token;
            ListObjectsV2Response page = call(() -> s3.listObjectsV2(b -> b.bucket(bucket).prefix(dir).delimiter("/")
                    .continuationToken(t)));
            for (S3Object o : page.contents()) {
                String name = o.key().substring(dir.length());
                if (name.isEmpty()) {
                    continue; // a "folder" marker some S3 tools create: the directory itself, not a child
                }
                int segment = name.indexOf(SEGMENT);
                out.add(path(dir + (segment < 0 ? name : name.substring(0, segment))));
            }
            for (CommonPrefix p : page.commonPrefixes()) {
                String name = p.prefix().substring(dir.length(), p.prefix().length() - 1);
                if (name.indexOf(SEGMENT) < 0) {
                    out.add(path(dir + name));
                }
            }
            token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
        } while (token != null);
        return new ArrayList<>(out);
    }

    @Override
    public void move(String source, String destination) throws IOException {
        String from = key(source);
        String to = key(destination);
        List<Piece> pieces = pieces(from);
        if (pieces == null) {
            throw new PathNotFoundException(source);
        }
        if (pieces.size() == 1 && pieces.get(0).key().equals(from)) {
            copy(from, to, pieces.get(0).size());
        } else {
            join(pieces, to);
        }
        // The destination is now a plain object, which wins over any segments of an older version of it.
        deleteKeys(pieces.stream().map(Piece::key).toList());
    }

    /** Copies an object, in parts past the copy threshold (a single copy cannot pass 5 GiB). */
    private void copy(String from, String to, long size) throws IOException {
        if (size <= settings.copyThreshold()) {
            PutObjectRequest p = putRequest(to);
            call(() -> s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(from).destinationBucket(bucket)
                    .destinationKey(to).storageClass(p.storageClassAsString()).acl(p.aclAsString())
                    .serverSideEncryption(p.serverSideEncryptionAsString()).ssekmsKeyId(p.ssekmsKeyId())));
            return;
        }
        join(List.of(new Piece(from, 0, size, null)), to);
    }

    /**
     * Writes the concatenation of {@code pieces} to {@code to} as one multipart upload. Pieces of at least 5 MiB
     * (and the last) are copied by S3 itself, in parts of about {@code multipartcopychunksize}, up to
     * {@code multipartcopymaxconcurrency} at once; from the first smaller piece before the end on, the rest is
     * read and uploaded through this process (S3 refuses parts under 5 MiB but for the last).
     */
    private void join(List<Piece> pieces, String to) throws IOException {
        if (pieces.stream().mapToLong(Piece::size).sum() == 0) {
            put(to, RequestBody.empty());
            return;
        }
        String uploadId = call(() -> s3.createMultipartUpload(multipartRequest(to))).uploadId();
        boolean completed = false;
        try {
            int copyable = 0;
            while (copyable < pieces.size() && (pieces.get(copyable).size() >= S3Settings.MIN_PART
                    || copyable == pieces.size() - 1)) {
                copyable++;
            }
            record CopiedPart(int number, String key, long from, long to) {
            }
            List<CopiedPart> copied = new ArrayList<>();
            for (Piece p : pieces.subList(0, copyable)) {
                for (long[] r : copyRanges(p.size())) {
                    copied.add(new CopiedPart(copied.size() + 1, p.key(), r[0], r[1]));
                }
            }
            Futures.IoTask<CopiedPart, CompletedPart> copyPart = c -> {
                String etag = call(() -> s3.uploadPartCopy(b -> b.sourceBucket(bucket).sourceKey(c.key())
                        .copySourceRange("bytes=" + c.from() + "-" + c.to()).destinationBucket(bucket)
                        .destinationKey(to).uploadId(uploadId).partNumber(c.number()))).copyPartResult().eTag();
                return CompletedPart.builder().partNumber(c.number()).eTag(etag).build();
            };
            List<CompletedPart> parts = new ArrayList<>(Futures.each(copied, settings.copyConcurrency(), background,
                    copyPart));
            if (copyable < pieces.size()) {
                uploadThrough(pieces.subList(copyable, pieces.size()), to, uploadId, copied.size(), parts);
            }
            call(() -> s3.completeMultipartUpload(b -> b.bucket(bucket).key(to).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(parts))));
            completed = true;
        } finally {
            if (!completed) {
                abortUpload(to, uploadId);
            }
        }
    }

    /**
     * The inclusive byte ranges an object of {@code size} is copied in: as many parts of at least
     * {@code multipartcopychunksize} as fit, none over 5 GiB, all of about the same size.
     */
    private List<long[]> copyRanges(long size) {
        long count = Math.max(Math.max(1, size / settings.copyChunkSize()),
                (size + S3Settings.MAX_PUT - 1) / S3Settings.MAX_PUT);
        List<long[]> out = new ArrayList<>();
        long from = 0;
        for (long i = 0; i < count; i++) {
            long to = i == count - 1 ? size : size * (i + 1) / count;
            out.add(new long[] {from, to - 1});
            from = to;
        }
        return out;
    }

    /** Reads {@code pieces} in order and uploads them as parts of {@code chunksize} (the last may be shorter). */
    private void uploadThrough(List<Piece> pieces, String to, String uploadId, int number, List<CompletedPart> out)
            throws IOException {
        ByteBuffer buffer = takeBuffer();
        try (ReadableByteChannel in = new PiecesChannel(pieces.stream().map(p -> new Piece(p.key(), p.offset()
                - pieces.get(0).offset(), p.size(), p.modified())).toList(), 0)) {
            boolean end = false;
            while (!end) {
                buffer.clear();
                while (buffer.hasRemaining()) {
                    if (in.read(buffer) < 0) {
                        end = true;
                        break;
                    }
                }
                if (buffer.position() == 0) {
                    break;
                }
                int part = ++number;
                ByteBuffer bytes = buffer.flip();
                String etag = call(() -> s3.uploadPart(b -> b.bucket(bucket).key(to).uploadId(uploadId)
                        .partNumber(part), body(bytes))).eTag();
                out.add(CompletedPart.builder().partNumber(part).eTag(etag).build());
            }
        } finally {
            freeParts.add(buffer.clear());
            partBuffers.release();
        }
    }

    @Override
    public void delete(String path) throws IOException {
        String key = key(path);
        List<String> keys = new ArrayList<>();
        for (S3Object o : listAll(key, null)) {
            String k = o.key();
            if (k.equals(key) || k.startsWith(key + "/") || k.startsWith(key + SEGMENT)) {
                keys.add(k);
            }
        }
        if (keys.isEmpty()) {
            throw new PathNotFoundException(path);
        }
        deleteKeys(keys);
    }

    /**
     * Deletes objects one request each: a batch delete must carry a checksum, and S3-compatible services differ in
     * which they accept.
     */
    private void deleteKeys(List<String> keys) throws IOException {
        Futures.each(keys, CONCURRENT_REQUESTS, background,
                k -> call(() -> s3.deleteObject(b -> b.bucket(bucket).key(k))));
    }

    /** Every object whose key starts with {@code prefix}. */
    private List<S3Object> listAll(String keyPrefix, String delimiter) throws IOException {
        List<S3Object> out = new ArrayList<>();
        String token = null;
        do {
            String t = token;
            ListObjectsV2Response page = call(() -> s3.listObjectsV2(b -> b.bucket(bucket).prefix(keyPrefix)
                    .delimiter(delimiter).continuationToken(t)));
            out.addAll(page.contents());
            token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
        } while (token != null);
        return out;
    }

    @Override
    public Optional<URI> redirectUrl(String path, String method) {
        if (!method.equals("GET")) {
            return Optional.empty();
        }
        try {
            return Optional.of(presigner.presignGetObject(r -> r.signatureDuration(settings.redirectExpiry())
                    .getObjectRequest(g -> g.bucket(bucket).key(key(path)))).url().toURI());
        } catch (java.net.URISyntaxException | SdkException e) {
            LOG.warn("cannot presign a URL for {}: {}", path, e.toString());
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        background.shutdownNow();
        presigner.close();
        s3.close();
        s3Once.close();
        http.close();
    }

    // ---- errors

    private interface S3Call<T> {
        T run();
    }

    /**
     * Runs a request, turning S3's "no such key" into {@link PathNotFoundException} and every other failure into
     * an IOException that names the status and S3's error code.
     */
    private <T> T call(S3Call<T> request) throws IOException {
        try {
            return request.run();
        } catch (S3Exception e) {
            if (e.statusCode() == 404 && (e.awsErrorDetails() == null || !"NoSuchBucket".equals(
                    e.awsErrorDetails().errorCode()))) {
                throw new PathNotFoundException(e.getMessage());
            }
            String code = e.awsErrorDetails() != null ? e.awsErrorDetails().errorCode() : null;
            throw new IOException("S3 bucket " + bucket + ": " + e.statusCode() + (code != null ? " " + code : "")
                    + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            if (e.getCause() instanceof IOException io) {
                throw new IOException("S3 bucket " + bucket + ": " + io.getMessage(), io);
            }
            throw new IOException("S3 bucket " + bucket + ": " + e.getMessage(), e);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static <T> T await(Future<T> f) throws IOException {
        return Futures.get(f, "interrupted waiting for S3");
    }
}
