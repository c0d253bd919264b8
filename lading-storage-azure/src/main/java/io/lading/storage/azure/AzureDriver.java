package io.lading.storage.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.rest.Response;
import com.azure.core.util.BinaryData;
import com.azure.core.util.polling.PollResponse;
import com.azure.core.util.polling.SyncPoller;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobCopyInfo;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.Block;
import com.azure.storage.blob.models.BlockList;
import com.azure.storage.blob.models.BlockListType;
import com.azure.storage.blob.models.CopyStatusType;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.models.UserDelegationKey;
import com.azure.storage.blob.options.BlobInputStreamOptions;
import com.azure.storage.blob.options.BlockBlobListBlocksOptions;
import com.azure.storage.blob.sas.BlobSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.azure.storage.blob.specialized.BlockBlobClient;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.lading.storage.Futures;
import io.lading.storage.InvalidOffsetException;
import io.lading.storage.PathNotFoundException;
import io.lading.storage.StorageDriver;
import io.lading.storage.StreamChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage driver API over Azure Blob Storage ({@code storage.azure}).
 *
 * <p>A file is a block blob whose name is the root directory followed by the path. A write stages the bytes as
 * blocks of up to {@link #BLOCK} bytes and commits the blob's block list at {@link FileWriter#commit}: the file
 * changes at that moment and not before, whole. A write that continues a file (a chunked or resumed upload)
 * commits the blocks the file already has followed by its own, so a file grows over several requests, each durable
 * when acknowledged, without its bytes being sent again. A small file written at once is one Put Blob. A writer
 * closed without a commit commits nothing; Azure drops the blocks it staged (uncommitted blocks expire after a week).
 *
 * <p>{@link #move} is Azure's server-side copy followed by a delete: the copy is asked for its status up to
 * {@code max_retries} times, {@code retry_delay} times N apart, as in distribution's driver. Redirect URLs carry
 * a read-only shared access signature, signed with the account key or, under token credentials, with a user
 * delegation key.
 */
public final class AzureDriver implements StorageDriver {
    private static final Logger LOG = LoggerFactory.getLogger(AzureDriver.class);
    /** The size of a staged block, and of the pooled buffers a write fills. */
    static final int BLOCK = 4 * 1024 * 1024;
    /** Writes from offset 0 smaller than this gather in memory and go in one Put Blob at commit. */
    static final int SMALL = 1024 * 1024;
    /** Azure's limit of committed blocks in one blob. */
    static final int MAX_BLOCKS = 50_000;
    /** Block buffers shared by all writes: at most this many are filled or sent at once. */
    private static final int BLOCK_BUFFERS = 4;
    /** Blocks of one write being sent while it fills the next. */
    private static final int STAGING_PER_WRITER = 2;
    /** Requests of one operation (a batch of small files, a delete of many) sent at once. */
    private static final int CONCURRENT_REQUESTS = 8;
    /** How long blob GETs are served here after Azure refused a user delegation key, before asking again. */
    private static final Duration DELEGATION_RETRY = Duration.ofMinutes(5);
    /** The first line of the Message element of Azure's XML error body. */
    private static final java.util.regex.Pattern AZURE_MESSAGE =
            java.util.regex.Pattern.compile("<Message>([^\\r\\n<]*)");

    private final AzureSettings settings;
    private final BlobContainerClient container;
    private final String prefix;
    /** Signs redirect URLs with a user delegation key (token credentials) rather than the account key. */
    private final boolean delegated;
    private final BlobServiceClient service;
    private UserDelegationKey delegationKey;
    private Instant delegationRetry = Instant.MIN;
    private final Semaphore blockBuffers = new Semaphore(BLOCK_BUFFERS);
    private final ConcurrentLinkedQueue<ByteBuffer> freeBuffers = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private static boolean sharedExecutorSet;
    private final ExecutorService background = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("lading-azure-", 0).factory());

    public AzureDriver(AzureSettings settings) {
        this(settings, java.net.http.HttpClient.newBuilder(), null);
    }

    /**
     * @param jdkHttp the JDK HTTP client to send requests with, as configured (tests: one trusting their server)
     * @param token   for token credentials, this credential rather than the one the settings name (tests)
     */
    AzureDriver(AzureSettings settings, java.net.http.HttpClient.Builder jdkHttp, TokenCredential token) {
        this.settings = settings;
        this.prefix = settings.rootDirectory().isEmpty() ? "" : settings.rootDirectory() + "/";
        ownSharedExecutor();
        // The JDK's HTTP client, on HTTP/1.1: no upgrade attempts on plain-HTTP endpoints (emulators).
        HttpClient http = new JdkHttpClientBuilder(jdkHttp.version(java.net.http.HttpClient.Version.HTTP_1_1))
                .build();
        // Retries as the AWS SDK's standard mode does them (4 tries, backing off from half a second to 8 s) rather
        // than the Azure SDK's default (4 s to 120 s): an unreachable store should fail a request, or a registry's
        // shutdown writing what it staged, within seconds rather than a minute.
        BlobServiceClientBuilder builder = new BlobServiceClientBuilder().httpClient(http).retryOptions(
                new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 4, (Duration) null, Duration.ofMillis(500),
                        Duration.ofSeconds(8), null));
        if (settings.connectionString() != null) {
            builder.connectionString(settings.connectionString());
        }
        if (settings.serviceUrl() != null || settings.connectionString() == null) {
            builder.endpoint(String.valueOf(settings.serviceUrl() != null ? settings.serviceUrl()
                    : AzureSettings.serviceUrl(settings.accountName(), "core.windows.net")));
        }
        if (settings.connectionString() == null) {
            AzureSettings.Credentials c = settings.credentials();
            switch (c.type()) {
                case SHARED_KEY -> builder.credential(new StorageSharedKeyCredential(settings.accountName(),
                        settings.accountKey()));
                case CLIENT_SECRET -> builder.credential(token != null ? token : new ClientSecretCredentialBuilder()
                        .clientId(c.clientId()).tenantId(c.tenantId()).clientSecret(c.secret()).httpClient(http)
                        .build());
                case DEFAULT_CREDENTIALS -> builder.credential(token != null ? token
                        : new DefaultAzureCredentialBuilder().httpClient(http).build());
            }
        }
        this.delegated = settings.connectionString() == null
                && settings.credentials().type() != AzureSettings.CredentialType.SHARED_KEY;
        this.service = builder.buildClient();
        this.container = service.getBlobContainerClient(settings.container());
    }

    /**
     * Gives the SDK's shared executor (its HTTP client's timeouts and tasks run there) threads of Lading's own.
     * The SDK's default executor is shut down by a JVM shutdown hook of the SDK's; a request sent after that, as
     * when the registry writes what it staged while it stops, never ended, and the process with it.
     */
    private static synchronized void ownSharedExecutor() {
        if (!sharedExecutorSet) {
            com.azure.core.util.SharedExecutorService.getInstance().setExecutorService(
                    Executors.newScheduledThreadPool(2, Thread.ofPlatform().daemon().name("lading-azure-sdk-", 0)
                            .factory()));
            sharedExecutorSet = true;
        }
    }

    @Override
    public String name() {
        return "azure";
    }

    /** The blob name of a driver path ({@code /a/b} → {@code root/a/b}). */
    private String key(String path) {
        return prefix + path.substring(1);
    }

    private String path(String key) {
        return "/" + key.substring(prefix.length());
    }

    private BlockBlobClient blob(String key) {
        return container.getBlobClient(key).getBlockBlobClient();
    }

    // ---- reading

    @Override
    public ReadableByteChannel reader(String path, long offset) throws IOException {
        BlockBlobClient blob = blob(key(path));
        long size = call(path, () -> blob.getProperties()).getBlobSize();
        if (offset > size) {
            throw new InvalidOffsetException(path, offset, size);
        }
        if (offset == size) {
            return Channels.newChannel(InputStream.nullInputStream());
        }
        // Reads of up to BLOCK bytes each (the stream holds a buffer of that size: no more than the blob needs),
        // every one checked against the blob's ETag at the first: a blob replaced while read fails the read
        // instead of mixing versions.
        int chunk = (int) Math.min(BLOCK, size - offset);
        InputStream in = call(path, () -> blob.openInputStream(new BlobInputStreamOptions()
                .setRange(new BlobRange(offset)).setBlockSize(chunk)));
        return new StreamChannel(in); // BlobInputStream reports Azure's errors as IOExceptions
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
            return new Writer(path, key, 0, expected, null);
        }
        BlockBlobClient blob = blob(key);
        Response<BlockList> listed;
        try {
            listed = call(path, () -> blob.listBlocksWithResponse(new BlockBlobListBlocksOptions(
                    BlockListType.COMMITTED), null, null));
        } catch (PathNotFoundException e) {
            throw new InvalidOffsetException(path, offset, 0);
        }
        List<Block> blocks = listed.getValue().getCommittedBlocks();
        long inBlocks = blocks.stream().mapToLong(Block::getSizeLong).sum();
        String length = listed.getHeaders().getValue(com.azure.core.http.HttpHeaderName.fromString(
                "x-ms-blob-content-length"));
        long size = length != null ? Long.parseLong(length) : inBlocks;
        if (offset > size) {
            throw new InvalidOffsetException(path, offset, size);
        }
        List<String> kept = new ArrayList<>();
        if (inBlocks != size) {
            // Written whole by one Put Blob (here a small first piece), so there are no blocks to keep: its bytes
            // up to the offset are staged again as blocks.
            restage(path, blob, 0, offset, kept);
        } else {
            long at = 0;
            for (Block b : blocks) {
                long end = at + b.getSizeLong();
                if (end <= offset) {
                    kept.add(b.getName());
                } else if (at < offset) {
                    restage(path, blob, at, offset, kept); // a block across the offset keeps its first bytes
                }
                at = end;
            }
        }
        if (offset < size) {
            // Bytes past the offset were never acknowledged: they go now, not at this writer's commit.
            call(path, () -> blob.commitBlockList(kept, true));
        }
        return new Writer(path, key, offset, expected, kept);
    }

    /** Stages the blob's bytes from {@code from} to {@code to} again as new blocks, adding their IDs to {@code ids}. */
    private void restage(String path, BlockBlobClient blob, long from, long to, List<String> ids) throws IOException {
        for (long at = from; at < to; at += BLOCK) {
            long n = Math.min(BLOCK, to - at);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) n);
            long start = at;
            call(path, () -> blob.downloadStreamWithResponse(bytes, new BlobRange(start, n), null, null, false,
                    null, null));
            String id = blockId();
            call(path, () -> {
                blob.stageBlock(id, BinaryData.fromBytes(bytes.toByteArray()));
                return null;
            });
            ids.add(id);
        }
    }

    /** A new block ID: 16 random bytes in base64 (all IDs of a blob must have one length). */
    private static String blockId() {
        UUID u = UUID.randomUUID();
        return Base64.getEncoder().encodeToString(ByteBuffer.allocate(16).putLong(u.getMostSignificantBits())
                .putLong(u.getLeastSignificantBits()).array());
    }

    /**
     * Writes a file from {@code start}: a small write from offset 0 gathers in memory for one Put Blob; anything
     * else fills pooled buffers of {@link #BLOCK} bytes, each staged as a block while the next fills, and commits
     * {@code kept} (the blocks the file already had) followed by these.
     */
    private final class Writer implements FileWriter {
        private final String path;
        private final BlockBlobClient blob;
        private final long start;
        private final long expected;
        private final List<String> kept;
        private final List<Future<String>> staging = new ArrayList<>();
        private int awaited;
        private long written;
        private boolean open = true;
        private ByteBuffer small;
        private ByteBuffer buffer;

        Writer(String path, String key, long start, long expected, List<String> kept) {
            this.path = path;
            this.blob = blob(key);
            this.start = start;
            this.expected = expected;
            this.kept = kept;
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
            } else {
                if (small != null) { // past SMALL with no length announced: blocks from here on
                    ByteBuffer gathered = small.flip();
                    small = null;
                    fill(gathered);
                }
                fill(src);
            }
            written += n;
            return n;
        }

        private void fill(ByteBuffer src) throws IOException {
            while (src.hasRemaining()) {
                if (buffer == null) {
                    buffer = takeBuffer();
                }
                int n = Math.min(src.remaining(), buffer.remaining());
                buffer.put(src.slice(src.position(), n));
                src.position(src.position() + n);
                if (!buffer.hasRemaining()) {
                    ByteBuffer full = buffer.flip();
                    buffer = null;
                    stage(full, true);
                }
            }
        }

        /**
         * Sends a block in the background, after waiting while this writer already sends as many as it may. A
         * pooled buffer goes back to the pool when the block is sent, or here when it is not.
         */
        private void stage(ByteBuffer bytes, boolean pooled) throws IOException {
            boolean submitted = false;
            try {
                while (staging.size() - awaited >= STAGING_PER_WRITER) {
                    await(staging.get(awaited++));
                }
                if ((kept == null ? 0 : kept.size()) + staging.size() >= MAX_BLOCKS) {
                    throw new IOException(path + ": a blob holds at most " + MAX_BLOCKS + " blocks");
                }
                String id = blockId();
                staging.add(background.submit(() -> {
                    try {
                        call(path, () -> {
                            blob.stageBlock(id, BinaryData.fromByteBuffer(bytes));
                            return null;
                        });
                        return id;
                    } finally {
                        if (pooled) {
                            releaseBuffer(bytes);
                        }
                    }
                }));
                submitted = true;
            } finally {
                if (!submitted && pooled) {
                    releaseBuffer(bytes);
                }
            }
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
                if (small != null && kept == null) {
                    ByteBuffer bytes = small.flip();
                    call(path, () -> blob.upload(BinaryData.fromByteBuffer(bytes), true));
                } else {
                    if (small != null && small.position() > 0) {
                        stage(small.flip(), false);
                    }
                    if (buffer != null) {
                        ByteBuffer last = buffer.flip();
                        buffer = null;
                        stage(last, true);
                    }
                    List<String> ids = new ArrayList<>(kept == null ? List.of() : kept);
                    for (Future<String> f : staging) {
                        ids.add(await(f));
                    }
                    call(path, () -> blob.commitBlockList(ids, true));
                }
                done = true;
            } finally {
                small = null;
                if (!done) {
                    abandon();
                }
            }
        }

        @Override
        public void cancel() throws IOException {
            close();
            try {
                delete(path);
            } catch (PathNotFoundException e) {
                // nothing was committed
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
                abandon();
            }
        }

        /** Waits for blocks still being sent (so their buffers are back) and drops the one being filled. */
        private void abandon() {
            for (Future<String> f : staging) {
                try {
                    await(f);
                } catch (IOException | RuntimeException e) {
                    // the write failed anyway; its blocks are never committed
                }
            }
            if (buffer != null) {
                releaseBuffer(buffer);
                buffer = null;
            }
        }
    }

    /** A block buffer from the pool, waiting while all are in use. */
    private ByteBuffer takeBuffer() throws IOException {
        try {
            blockBuffers.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("waiting for a block buffer");
        }
        ByteBuffer b = freeBuffers.poll();
        return b != null ? b : ByteBuffer.allocateDirect(BLOCK);
    }

    private void releaseBuffer(ByteBuffer b) {
        freeBuffers.add(b.clear());
        blockBuffers.release();
    }

    @Override
    public void putAll(Map<String, byte[]> files, String scratch) throws IOException {
        // A Put Blob is atomic and durable when it returns: no scratch file and no move needed.
        Futures.each(List.copyOf(files.entrySet()), CONCURRENT_REQUESTS, background, file -> call(file.getKey(),
                () -> blob(key(file.getKey())).upload(BinaryData.fromBytes(file.getValue()), true)));
    }

    // ---- the rest of the API

    @Override
    public FileInfo stat(String path) throws IOException {
        if (path.equals("/")) { // there whenever the container can be listed (start-up and health checks ask)
            Optional<BlobItem> first = firstBelow(path, prefix);
            return new FileInfo(path, 0, first.map(this::modified).orElse(Instant.EPOCH), true);
        }
        String key = key(path);
        try {
            BlobProperties p = call(path, () -> blob(key).getProperties());
            return new FileInfo(path, p.getBlobSize(), p.getLastModified().toInstant(), false);
        } catch (PathNotFoundException e) {
            Optional<BlobItem> first = firstBelow(path, key + "/");
            if (first.isPresent()) {
                return new FileInfo(path, 0, modified(first.get()), true);
            }
            throw e;
        }
    }

    private Instant modified(BlobItem item) {
        return item.getProperties() == null || item.getProperties().getLastModified() == null ? Instant.EPOCH
                : item.getProperties().getLastModified().toInstant();
    }

    /** The first blob whose name starts with {@code keyPrefix}, if any. */
    private Optional<BlobItem> firstBelow(String path, String keyPrefix) throws IOException {
        return call(path, () -> container.listBlobs(new ListBlobsOptions().setPrefix(keyPrefix)
                .setMaxResultsPerPage(1), null).iterableByPage().iterator().next().getValue().stream().findFirst());
    }

    @Override
    public List<String> list(String path) throws IOException {
        String dir = path.equals("/") ? prefix : key(path) + "/";
        LinkedHashSet<String> out = new LinkedHashSet<>();
        call(path, () -> {
            for (BlobItem item : container.listBlobsByHierarchy("/", new ListBlobsOptions().setPrefix(dir), null)) {
                String name = item.getName();
                String child = Boolean.TRUE.equals(item.isPrefix()) ? name.substring(0, name.length() - 1) : name;
                if (child.length() > dir.length()) { // not a "folder" marker some tools create: the directory itself
                    out.add(path(child));
                }
            }
            return null;
        });
        return new ArrayList<>(out);
    }

    @Override
    public void move(String source, String destination) throws IOException {
        BlockBlobClient from = blob(key(source));
        BlockBlobClient to = blob(key(destination));
        call(source, () -> from.getProperties()); // a missing source is PathNotFoundException, as for every driver
        SyncPoller<BlobCopyInfo, Void> copy = call(destination, () -> to.beginCopy(from.getBlobUrl(),
                settings.retryDelay()));
        awaitCopy(destination, to, copy);
        call(source, () -> {
            from.delete();
            return null;
        });
    }

    /**
     * Waits for a copy: its status is asked up to {@code max_retries} times, the Nth after {@code retry_delay}
     * times N. A copy still pending then is aborted and the move fails.
     */
    private void awaitCopy(String path, BlockBlobClient to, SyncPoller<BlobCopyInfo, Void> copy) throws IOException {
        PollResponse<BlobCopyInfo> status = copy.poll();
        for (int retry = 1; status.getValue().getCopyStatus() == CopyStatusType.PENDING
                && retry <= settings.maxRetries(); retry++) {
            try {
                Thread.sleep(settings.retryDelay().multipliedBy(retry).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("waiting for a copy to " + path);
            }
            status = call(path, copy::poll);
        }
        BlobCopyInfo info = status.getValue();
        if (info.getCopyStatus() == CopyStatusType.SUCCESS) {
            return;
        }
        if (info.getCopyStatus() == CopyStatusType.PENDING) {
            try {
                call(path, () -> {
                    to.abortCopyFromUrl(info.getCopyId());
                    return null;
                });
            } catch (IOException e) {
                LOG.warn("could not abort the copy to {}: {}", path, e.toString());
            }
            throw new IOException(path + ": Azure's copy did not complete after " + Math.max(0, settings.maxRetries())
                    + " status requests (storage.azure.max_retries, retry_delay " + settings.retryDelay() + ")");
        }
        throw new IOException(path + ": Azure's copy ended " + info.getCopyStatus() + ": " + info.getError());
    }

    @Override
    public void delete(String path) throws IOException {
        String key = key(path);
        List<String> names = new ArrayList<>();
        call(path, () -> {
            for (BlobItem item : container.listBlobs(new ListBlobsOptions().setPrefix(key), null)) {
                if (item.getName().equals(key) || item.getName().startsWith(key + "/")) {
                    names.add(item.getName());
                }
            }
            return null;
        });
        if (names.isEmpty()) {
            throw new PathNotFoundException(path);
        }
        Futures.each(names, CONCURRENT_REQUESTS, background,
                name -> call(path, () -> container.getBlobClient(name).deleteIfExists()));
    }

    @Override
    public Optional<URI> redirectUrl(String path, String method) {
        if (!method.equals("GET") || !settings.signsUrls()) {
            return Optional.empty();
        }
        try {
            BlockBlobClient blob = blob(key(path));
            BlobServiceSasSignatureValues values = new BlobServiceSasSignatureValues(OffsetDateTime.now().plus(
                    settings.redirectExpiry()), new BlobSasPermission().setReadPermission(true));
            String sas;
            if (delegated) {
                UserDelegationKey key = delegationKey();
                if (key == null) {
                    return Optional.empty();
                }
                sas = blob.generateUserDelegationSas(values, key);
            } else {
                sas = blob.generateSas(values);
            }
            return Optional.of(URI.create(blob.getBlobUrl() + "?" + sas));
        } catch (RuntimeException e) {
            LOG.warn("cannot sign a URL for {}: {}", path, e.toString());
            return Optional.empty();
        }
    }

    /**
     * The user delegation key that signs redirect URLs under token credentials: asked of Azure for a day and asked
     * again when it would expire before a URL signed now. When Azure refuses (the identity may lack the
     * Storage Blob Delegator role), blobs are served by the registry and the key is asked for again after
     * {@link #DELEGATION_RETRY}.
     */
    private synchronized UserDelegationKey delegationKey() {
        OffsetDateTime now = OffsetDateTime.now();
        if (delegationKey != null && delegationKey.getSignedExpiry().isAfter(now.plus(settings.redirectExpiry())
                .plusMinutes(1))) {
            return delegationKey;
        }
        if (now.toInstant().isBefore(delegationRetry)) {
            return null;
        }
        try {
            delegationKey = service.getUserDelegationKey(now.minusMinutes(5), now.plusDays(1));
            return delegationKey;
        } catch (RuntimeException e) {
            delegationKey = null;
            delegationRetry = now.toInstant().plus(DELEGATION_RETRY);
            LOG.warn("cannot get a user delegation key to sign redirects with (blob GETs are served here for the"
                    + " next {}): {}", DELEGATION_RETRY, e.getMessage() == null ? e.toString()
                    : e.getMessage().lines().findFirst().orElse(""));
            return null;
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            background.shutdownNow();
        }
    }

    // ---- errors

    private interface AzureCall<T> {
        T run();
    }

    /**
     * Runs a request, turning "no such blob" into {@link PathNotFoundException} and every other failure into an
     * IOException that names the container, the status and Azure's error code.
     */
    private <T> T call(String path, AzureCall<T> request) throws IOException {
        try {
            return request.run();
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 404 && !BlobErrorCode.CONTAINER_NOT_FOUND.equals(e.getErrorCode())) {
                throw new PathNotFoundException(path);
            }
            // Azure's own text, not the exception's message, which is the whole XML error body over many lines;
            // the exception is kept as suppressed, for stack traces, out of the one-line chain of causes.
            java.util.regex.Matcher text = AZURE_MESSAGE.matcher(String.valueOf(e.getServiceMessage()));
            IOException io = new IOException("Azure container " + settings.container() + ": " + e.getStatusCode()
                    + (e.getErrorCode() != null ? " " + e.getErrorCode() : "") + (text.find() ? ", " + text.group(1)
                    .strip() : "") + " (" + path + ")");
            io.addSuppressed(e);
            throw io;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } catch (RuntimeException e) {
            if (e.getCause() instanceof IOException io) {
                throw new IOException("Azure container " + settings.container() + ": " + io.getMessage(), io);
            }
            if (e instanceof IllegalStateException || e.getClass().getName().startsWith("com.azure.")) {
                throw new IOException("Azure container " + settings.container() + ": " + e.getMessage(), e);
            }
            throw e;
        }
    }

    private static <T> T await(Future<T> f) throws IOException {
        return Futures.get(f, "interrupted waiting for Azure");
    }
}
