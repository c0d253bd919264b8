package io.lading.registry;

import io.lading.core.Digest;
import io.lading.core.ErrorCode;
import io.lading.core.RegistryException;
import io.lading.core.RepositoryName;
import io.lading.metadata.MetadataStore;
import io.lading.metadata.WriteTx;
import io.lading.registry.events.Event;
import io.lading.registry.events.Notifier;
import io.lading.registry.events.RequestInfo;
import io.lading.storage.PathNotFoundException;
import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reading, mounting and unlinking blobs of a repository. A blob is visible in a repository only when the metadata
 * store links it there; the bytes are shared by every repository that links them.
 */
public final class BlobService {
    /** Blob lookups kept between commits: about a megabyte of heap when full. */
    private static final int LOOKUPS_KEPT = 4096;

    private final MetadataStore metadata;
    private final StagedContent blobs;
    private final RegistryOptions options;
    private final RecentUse recentUse;
    private final Notifier notifier;
    private final LookupCache<Linked, Long> sizes;
    private final MissingData missing = new MissingData();

    private record Linked(RepositoryName repository, Digest digest) {
    }

    /** @param blobs the bytes of blobs, staged or in storage */
    public BlobService(MetadataStore metadata, StagedContent blobs, RegistryOptions options, RecentUse recentUse,
                       Notifier notifier) {
        this.metadata = metadata;
        this.blobs = blobs;
        this.options = options;
        this.recentUse = recentUse;
        this.notifier = notifier;
        this.sizes = new LookupCache<>(metadata, LOOKUPS_KEPT);
    }

    /**
     * Links a blob of {@code size} bytes to the repository in {@code tx}, and keeps the link's size lookup once it
     * is committed (see {@link WriteTx#updateLookupsOnCommit}: the link is the only kept lookup an upload or a
     * mount changes; claiming the blob's row changes none).
     */
    void link(WriteTx tx, RepositoryName repository, Digest digest, long size) {
        tx.linkBlob(repository, digest);
        tx.updateLookupsOnCommit(count -> {
            sizes.put(new Linked(repository, digest), size, count);
            missing.stored(digest); // an upload or a staged push stored its bytes; a mount found them in place
        });
    }

    /** The size of a blob of the repository (HEAD and GET). @throws RegistryException BLOB_UNKNOWN */
    public long size(RepositoryName repository, Digest digest) {
        Optional<Long> size = sizes.get(new Linked(repository, digest),
                () -> metadata.read(tx -> tx.linkedBlobSize(repository, digest)));
        if (size.isEmpty()) {
            throw new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob " + digest + " is unknown in " + repository,
                    java.util.Map.of("digest", digest.toString()));
        }
        if (missing.marked(digest)) {
            throw new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob " + digest + " has no data in storage; push"
                    + " it again", java.util.Map.of("digest", digest.toString()));
        }
        recentUse.touch(digest);
        return size.get();
    }

    /**
     * What {@link #size} answers, when memory alone can answer it: the lookup is kept and nothing was committed
     * since. Empty otherwise, and then {@link #size} asks the store. Never blocks.
     */
    public OptionalLong sizeInMemory(RepositoryName repository, Digest digest) {
        Optional<Long> size = sizes.peek(new Linked(repository, digest));
        if (size.isEmpty() || missing.marked(digest)) {
            return OptionalLong.empty(); // a marked blob: size() answers it
        }
        recentUse.touch(digest);
        return OptionalLong.of(size.get());
    }

    /**
     * Marks a blob whose data a content check found gone (or moved to quarantine): its HEAD and GET answer 404 in
     * every repository, so the next client that pushes it stores its bytes again, which clears the mark.
     */
    public void dataLost(Digest digest) {
        missing.mark(digest);
    }

    /**
     * Opens a blob's bytes at {@code offset} for a GET; call {@link #size} first for the visibility check. A read
     * from the start is a pull (and an event); a read from further on resumes one.
     */
    public ReadableByteChannel open(RepositoryName repository, Digest digest, long size, long offset) {
        try {
            ReadableByteChannel channel = blobs.open(digest, offset);
            if (offset == 0) {
                pulled(repository, digest, size);
            }
            return channel;
        } catch (PathNotFoundException e) {
            missing.report("blob", repository, digest, "Its HEAD answers 404 from now on, so a client pushing it"
                    + " stores its bytes again; or restore its file.");
            throw new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob " + digest + " has no data in storage");
        } catch (IOException e) {
            throw StorageFailure.of("reading blob " + digest, e);
        }
    }

    /**
     * Where a GET of the whole blob may be sent instead (storage.redirect: S3's presigned URL), recorded as a pull;
     * empty when redirects are off, the driver offers none, or the blob is small enough to be staged. Call
     * {@link #size} first for the visibility check.
     */
    public Optional<java.net.URI> redirect(RepositoryName repository, Digest digest, long size) {
        if (!options.redirects()) {
            return Optional.empty();
        }
        Optional<java.net.URI> url = blobs.redirectUrl(digest, size);
        url.ifPresent(u -> pulled(repository, digest, size));
        return url;
    }

    /** Records a pull of the blob by the current request (an event, when pull events are recorded). */
    public void pulled(RepositoryName repository, Digest digest, long size) {
        if (notifier.recordsPulls()) {
            notifier.pulled(notifier.event(Event.PULL, notifier.blob(repository, digest, size, null,
                    RequestInfo.current())));
        }
    }

    /**
     * Links a blob that already exists into {@code repository}. With {@code from}, the blob must be in that
     * repository; without it, anywhere in the registry. Returns false when it cannot be mounted (the caller then
     * starts an ordinary upload, as the spec asks).
     */
    public boolean mount(RepositoryName repository, Digest digest, Optional<RepositoryName> from) {
        Guards.writable(options);
        recentUse.touch(digest);
        try {
            // The bytes must be in place: a blob whose push claimed it but has not moved its bytes yet (or crashed
            // doing so) is not mountable. Checked before the transaction; a collector that marks the blob after
            // this check is seen by the transaction below (blobSize ignores blobs being deleted).
            if (blobs.size(digest).isEmpty()) {
                return false;
            }
        } catch (IOException e) {
            throw StorageFailure.of("looking up blob " + digest, e);
        }
        RequestInfo request = RequestInfo.current();
        boolean mounted = metadata.write(tx -> {
            Optional<Long> size = tx.blobSize(digest);
            boolean available = size.isPresent() && (from.isEmpty() || tx.hasBlob(from.get(), digest));
            if (!available) {
                return false;
            }
            link(tx, repository, digest, size.get());
            notifier.record(tx, notifier.event(Event.MOUNT, notifier.blob(repository, digest, size.get(),
                    from.map(RepositoryName::value).orElse(null), request), request));
            return true;
        });
        if (mounted) {
            notifier.wake();
        }
        return mounted;
    }


    /**
     * Unlinks a blob from a repository (its bytes go when no repository holds them, by GC). Refused while a
     * manifest of the repository references the blob or the blob is one of its manifests: deleting it would break
     * that manifest, so the manifest has to go first.
     *
     * @throws RegistryException BLOB_UNKNOWN, or REFERENCED (409)
     */
    public void delete(RepositoryName repository, Digest digest) {
        Guards.deletable(options);
        Event event = notifier.event(Event.DELETE, Notifier.deleted(repository, digest, null));
        boolean unlinked = metadata.write(tx -> {
            if (tx.manifest(repository, digest).isPresent()) {
                throw new RegistryException(ErrorCode.CONFLICT, "blob " + digest + " is a manifest of " + repository
                        + "; delete it through /v2/" + repository + "/manifests/" + digest);
            }
            if (tx.blobReferenced(repository, digest)) {
                throw new RegistryException(ErrorCode.CONFLICT, "blob " + digest + " is referenced by a manifest of "
                        + repository + "; delete the manifests that use it first");
            }
            boolean done = tx.unlinkBlob(repository, digest);
            if (done) {
                notifier.record(tx, event);
            }
            return done;
        });
        if (!unlinked) {
            throw new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob " + digest + " is unknown in " + repository);
        }
        notifier.wake();
    }
}
