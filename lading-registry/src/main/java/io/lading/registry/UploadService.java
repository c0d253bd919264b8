package io.lading.registry;

import io.lading.core.Digest;
import io.lading.core.ErrorCode;
import io.lading.core.RegistryException;
import io.lading.core.RepositoryName;
import io.lading.metadata.MetadataStore;
import io.lading.metadata.MetadataStore.Durability;
import io.lading.metadata.UploadRecord;
import io.lading.metadata.WriteTx;
import io.lading.registry.events.Event;
import io.lading.registry.events.Notifier;
import io.lading.registry.events.RequestInfo;
import io.lading.storage.BlobStore;
import io.lading.storage.StorageDriver;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blob upload sessions: start, append chunks, report status, complete with digest verification, cancel, purge.
 *
 * <p>A session's offset lives in the metadata store and is advanced only after the appended bytes are durable,
 * so after {@code kill -9} a client resumes from the last acknowledged offset. The running hash is kept in
 * memory for speed; when it is missing (after a restart) or suspect (after a failed append) it is rebuilt by
 * re-reading the acknowledged bytes. Appends to one session are serialised by a per-session lock; different
 * sessions never wait for each other.
 */
public final class UploadService {
    private static final Logger LOG = LoggerFactory.getLogger(UploadService.class);

    /**
     * In-memory state of a session: its lock, when trustworthy the hash of its first {@code offset} bytes, and
     * whether this process has written any of its bytes.
     */
    private static final class Live {
        final ReentrantLock lock = new ReentrantLock();
        Digest.Digester digester;
        long offset = -1;
        boolean written;
    }

    private final MetadataStore metadata;
    private final BlobStore blobs;
    private final RegistryOptions options;
    private final Clock clock;
    private final ConcurrentHashMap<UUID, Live> live = new ConcurrentHashMap<>();
    private final Notifier notifier;
    private final StagedContent staged;
    private final BlobService linked;
    private final SpaceReserve space;

    /**
     * @param staged where a small blob pushed in one request goes (see {@link StagedContent})
     * @param linked the blobs an upload ends in (and their lookups)
     * @param space  the free space new uploads and chunks must leave (shared with {@link ManifestService})
     */
    public UploadService(MetadataStore metadata, BlobStore blobs, StagedContent staged, BlobService linked,
                         RegistryOptions options, SpaceReserve space, Clock clock, Notifier notifier) {
        this.metadata = metadata;
        this.linked = linked;
        this.blobs = blobs;
        this.staged = staged;
        this.options = options;
        this.clock = clock;
        this.notifier = notifier;
        this.space = space;
    }

    /** Opens a session. */
    public UploadRecord start(RepositoryName repository, Digest.Algorithm algorithm) {
        Guards.writable(options);
        space.admit(0);
        Instant now = clock.instant();
        UploadRecord u = new UploadRecord(UUID.randomUUID(), repository, 0, algorithm, now, now);
        metadata.write(Durability.PROCESS_CRASH_SAFE, tx -> {
            tx.putUpload(u);
            return null;
        });
        return u;
    }

    /** The session as last acknowledged. @throws RegistryException BLOB_UPLOAD_UNKNOWN */
    public UploadRecord status(RepositoryName repository, UUID id) {
        Optional<UploadRecord> u = metadata.read(tx -> tx.upload(id));
        if (u.isEmpty() || !u.get().repository().equals(repository)) {
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, "upload " + id + " is unknown in " + repository);
        }
        return u.get();
    }

    /**
     * Appends a chunk.
     *
     * @param rangeStart the first byte position the client says this chunk starts at (Content-Range), or null
     * @param length     the chunk's length (Content-Length), or -1 when the body is chunk-encoded
     * @throws UploadRangeException when {@code rangeStart} is not the session's offset (416)
     */
    public UploadRecord append(RepositoryName repository, UUID id, Long rangeStart, InputStream body, long length) {
        Guards.writable(options);
        admitBody(length);
        Live l = live.computeIfAbsent(id, k -> new Live());
        l.lock.lock();
        try {
            return appendLocked(status(repository, id), rangeStart, body, length, l, true);
        } finally {
            l.lock.unlock();
        }
    }

    /** @param length a request body's declared length: -1 when chunk-encoded (unknown), 0 when there is none */
    private void admitBody(long length) {
        if (length != 0) {
            space.admit(Math.max(length, 0));
        }
    }

    private UploadRecord appendLocked(UploadRecord u, Long rangeStart, InputStream body, long length, Live l,
                                      boolean recordOffset) {
        UUID id = u.id();
        if (rangeStart != null && rangeStart != u.offset()) {
            throw new UploadRangeException(u, "chunk starts at " + rangeStart + " but the upload is at " + u.offset());
        }
        if (length == 0) {
            return u;
        }
        Digest.Digester digester = digesterAt(u, l);
        long size;
        l.written = true;
        try {
            size = blobs.append(id, u.offset(), body, length, digester);
        } catch (EOFException e) {
            forget(l);
            throw new RegistryException(ErrorCode.SIZE_INVALID, "request body shorter than Content-Length", null, e);
        } catch (IOException e) {
            forget(l);
            throw StorageFailure.of("appending to upload " + id, e);
        } catch (RuntimeException e) {
            forget(l);
            throw e;
        }
        UploadRecord advanced = u.advanced(size, clock.instant());
        if (recordOffset) {
            // The bytes are fsynced already; losing this offset to a power cut only makes the client resend from
            // an earlier one (the next append truncates there).
            metadata.write(Durability.PROCESS_CRASH_SAFE, tx -> {
                tx.putUpload(advanced);
                return null;
            });
        }
        l.offset = size;
        return advanced;
    }

    private Digest.Digester digesterAt(UploadRecord u, Live l) {
        if (l.digester != null && l.offset == u.offset() && l.digester.algorithm() == u.algorithm()) {
            return l.digester;
        }
        try {
            l.digester = blobs.rehash(u.id(), u.offset(), u.algorithm());
            l.offset = u.offset();
            if (u.offset() > 0) {
                LOG.info("upload {}: rebuilt hash state of {} bytes", u.id(), u.offset());
            }
            return l.digester;
        } catch (IOException e) {
            throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID,
                    "upload " + u.id() + " lost its data and cannot continue; start a new upload", null, e);
        }
    }

    private static void forget(Live l) {
        l.digester = null;
        l.offset = -1;
    }

    /**
     * Appends an optional final chunk, verifies the whole upload against {@code digest}, and commits it as a blob
     * linked to the repository. On a digest mismatch the session and its bytes are discarded (nothing is stored).
     *
     * @return the committed blob's size
     */
    public long complete(RepositoryName repository, UUID id, Digest digest, Long rangeStart, InputStream body,
                         long length) {
        return complete(repository, id, digest, rangeStart, body, length, true);
    }

    /**
     * As {@link #complete}, for a blob a pull-through cache fetched from the registry it mirrors: stored the same
     * way, but it is no push, so no push event is recorded (as distribution's cache records none).
     */
    public long completeFetched(RepositoryName repository, UUID id, Digest digest, InputStream body, long length) {
        return complete(repository, id, digest, null, body, length, false);
    }

    private long complete(RepositoryName repository, UUID id, Digest digest, Long rangeStart, InputStream body,
                          long length, boolean push) {
        Guards.writable(options);
        admitBody(length);
        Live l = live.computeIfAbsent(id, k -> new Live());
        l.lock.lock();
        try {
            UploadRecord session = status(repository, id);
            if (session.offset() == 0 && (rangeStart == null || rangeStart == 0) && length > 0
                    && staged.accepts(length)) {
                return completeStaged(repository, id, digest, body, (int) length, l.written, push);
            }
            // The final chunk's offset is not recorded: the session either ends below or the bytes past the
            // recorded offset are overwritten by the client's next attempt.
            UploadRecord u = appendLocked(session, rangeStart, body, length, l, false);
            Digest actual;
            if (digest.algorithm() == u.algorithm()) {
                actual = digesterAt(u, l).digest();
            } else {
                try {
                    actual = blobs.rehash(id, u.offset(), digest.algorithm()).digest();
                } catch (IOException e) {
                    throw StorageFailure.of("hashing upload " + id, e);
                }
            }
            forget(l);
            verify(id, digest, actual);
            long size = u.offset();
            Event pushed = push ? pushEvent(repository, digest, size) : null;
            try {
                BlobClaims.store(metadata, digest, size, attempt -> {
                    if (attempt == 1) {
                        blobs.commitUpload(id, digest);
                    } else if (blobs.size(digest).isEmpty()) {
                        // A collection deleted the bytes this upload had moved into place: they are gone.
                        throw new RegistryException(ErrorCode.UNAVAILABLE, "blob " + digest + " was garbage"
                                + " collected while it was being stored (the push took longer than the grace"
                                + " period); push it again");
                    }
                }, tx -> link(tx, repository, id, digest, size, pushed));
                notifier.wake();
            } catch (IOException e) {
                throw StorageFailure.of("committing upload " + id, e);
            } catch (RegistryException e) {
                discard(id); // its bytes went to the blob path; the session cannot continue
                throw e;
            }
            return size;
        } finally {
            l.lock.unlock();
            live.remove(id);
        }
    }

    /**
     * A whole small blob in the completing request (a monolithic push): received into memory, verified, and staged
     * in the transaction that links it, without a file of its own for the upload.
     */
    private long completeStaged(RepositoryName repository, UUID id, Digest digest, InputStream body, int length,
                                boolean written, boolean push) {
        byte[] bytes;
        try {
            bytes = body.readNBytes(length);
        } catch (IOException e) {
            throw StorageFailure.of("receiving upload " + id, e);
        }
        if (bytes.length < length) {
            throw new RegistryException(ErrorCode.SIZE_INVALID, "request body shorter than Content-Length");
        }
        verify(id, digest, Digest.of(digest.algorithm(), bytes));
        Event pushed = push ? pushEvent(repository, digest, length) : null;
        staged.store(digest, bytes, tx -> link(tx, repository, id, digest, bytes.length, pushed));
        notifier.wake();
        if (written) {
            try {
                blobs.deleteUpload(id); // bytes an earlier failed append of this process left
            } catch (IOException e) {
                LOG.debug("upload {}: could not delete its data ({}); purging will", id, e.getMessage());
            }
        } // else: no bytes, or bytes from before a restart, which purging deletes once the session is gone
        return length;
    }

    /** On a digest mismatch, discards the session and its bytes. @throws RegistryException DIGEST_INVALID */
    private void verify(UUID id, Digest expected, Digest actual) {
        if (!actual.equals(expected)) {
            discard(id);
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "upload content has digest " + actual
                    + ", not " + expected, java.util.Map.of("digest", expected.toString()));
        }
    }

    private Event pushEvent(RepositoryName repository, Digest digest, long size) {
        return notifier.event(Event.PUSH, notifier.blob(repository, digest, size, null, RequestInfo.current()));
    }

    /** @param pushed the push event to record, or null for none */
    private Void link(WriteTx tx, RepositoryName repository, UUID id, Digest digest, long size, Event pushed) {
        linked.link(tx, repository, digest, size);
        tx.deleteUpload(id);
        if (pushed != null) {
            notifier.record(tx, pushed);
        }
        return null;
    }

    /** Cancels a session and deletes its bytes. @throws RegistryException BLOB_UPLOAD_UNKNOWN */
    public void cancel(RepositoryName repository, UUID id) {
        status(repository, id);
        discard(id);
    }

    private void discard(UUID id) {
        metadata.write(Durability.PROCESS_CRASH_SAFE, tx -> tx.deleteUpload(id));
        live.remove(id);
        try {
            blobs.deleteUpload(id);
        } catch (IOException e) {
            LOG.warn("upload {}: could not delete its data ({}); purging will retry", id, e.getMessage());
        }
    }

    /**
     * Deletes sessions idle for longer than {@code age}, and upload directories with no session (left by a crash)
     * older than {@code age}. Returns how many were (or, with {@code dryRun}, would be) purged.
     */
    public int purge(Duration age, boolean dryRun) {
        Instant cutoff = clock.instant().minus(age);
        int purged = 0;
        while (true) {
            List<UploadRecord> old = metadata.write(tx -> tx.uploadsUpdatedBefore(cutoff, 500));
            if (old.isEmpty() || dryRun) {
                purged += old.size();
                break;
            }
            for (UploadRecord u : old) {
                LOG.info("purging upload {} of {} (idle since {})", u.id(), u.repository(), u.updated());
                discard(u.id());
                purged++;
            }
        }
        try {
            StorageDriver driver = blobs.driver();
            for (String dir : driver.list("/uploads")) {
                String name = dir.substring(dir.lastIndexOf('/') + 1);
                UUID id;
                try {
                    id = UUID.fromString(name);
                } catch (IllegalArgumentException e) {
                    continue;
                }
                if (metadata.read(tx -> tx.upload(id)).isPresent()) {
                    continue;
                }
                StorageDriver.FileInfo info = driver.stat(dir);
                if (info.modified().isBefore(cutoff)) {
                    LOG.info("purging orphaned upload data {}", dir);
                    purged++;
                    if (!dryRun) {
                        blobs.deleteUpload(id);
                    }
                }
            }
        } catch (IOException e) {
            LOG.warn("upload purge could not scan storage: {}", e.getMessage());
        }
        return purged;
    }
}
