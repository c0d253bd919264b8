package io.lading.registry;

import io.lading.core.Descriptor;
import io.lading.core.Digest;
import io.lading.core.ErrorCode;
import io.lading.core.Manifest;
import io.lading.core.Reference;
import io.lading.core.RegistryException;
import io.lading.core.RepositoryName;
import io.lading.core.Tag;
import io.lading.metadata.ManifestRecord;
import io.lading.metadata.MetadataStore;
import io.lading.metadata.ReadTx;
import io.lading.metadata.WriteTx;
import io.lading.registry.events.Event;
import io.lading.registry.events.Notifier;
import io.lading.registry.events.RequestInfo;
import io.lading.storage.BlobStore;
import io.lading.storage.PathNotFoundException;
import java.io.IOException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Manifests, tags, referrers and the catalog: push (verify, validate references, store bytes, record), pull by
 * tag or digest, delete, and the listings. The bytes a client pushed are stored and served unchanged.
 */
public final class ManifestService {
    /** Manifest lookups kept between commits: one to two megabytes of heap when full. */
    private static final int LOOKUPS_KEPT = 4096;

    private final MetadataStore metadata;
    private final BlobStore blobs;
    private final StagedContent staged;
    private final RegistryOptions options;
    private final Clock clock;
    private final Notifier notifier;
    private final LookupCache<Named, ManifestRecord> lookups;
    private final SpaceReserve space;
    private final MissingData missing = new MissingData();

    private record Named(RepositoryName repository, Reference reference) {
    }

    /**
     * @param staged where manifests small enough to be staged go, and where every manifest is read from
     * @param space  the free space manifest pushes must leave (shared with {@link UploadService})
     */
    public ManifestService(MetadataStore metadata, BlobStore blobs, StagedContent staged, RegistryOptions options,
                           SpaceReserve space, Clock clock, Notifier notifier) {
        this.metadata = metadata;
        this.blobs = blobs;
        this.staged = staged;
        this.options = options;
        this.clock = clock;
        this.notifier = notifier;
        this.lookups = new LookupCache<>(metadata, LOOKUPS_KEPT);
        this.space = space;
    }

    /** The outcome of a push: the digest, the tags set, and the subject when the manifest had one. */
    public record PushResult(Digest digest, List<Tag> tags, Optional<Digest> subject) {
    }

    /** A manifest to serve: what the store knows plus the exact bytes. */
    public record Content(ManifestRecord record, byte[] bytes) {
    }

    /** Refuses a manifest any of whose descriptors carries a URL validation.manifests.urls does not allow. */
    private void checkUrls(Manifest manifest) {
        List<Descriptor> descriptors = new ArrayList<>();
        switch (manifest) {
            case Manifest.Image img -> {
                descriptors.add(img.config());
                descriptors.addAll(img.layers());
            }
            case Manifest.Index idx -> descriptors.addAll(idx.manifests());
        }
        manifest.subject().ifPresent(descriptors::add);
        for (Descriptor d : descriptors) {
            for (String url : d.urls()) {
                options.manifestUrls().refusal(url).ifPresent(why -> {
                    throw new RegistryException(ErrorCode.MANIFEST_INVALID, "manifest invalid: " + d.digest()
                            + " names the URL " + url + ", which is not allowed: " + why);
                });
            }
        }
    }

    /**
     * Pushes a manifest under a tag or digest reference, plus any extra tags ({@code ?tag=}).
     *
     * @throws RegistryException DIGEST_INVALID when pushed by a digest the bytes do not hash to,
     *                           MANIFEST_INVALID / SIZE_TOO_LARGE for bad bytes or a URL
     *                           validation.manifests.urls does not allow, MANIFEST_BLOB_UNKNOWN for references to
     *                           content the repository does not have
     */
    public PushResult put(RepositoryName repository, Reference reference, byte[] bytes, String contentType,
                          List<Tag> extraTags) {
        Guards.writable(options);
        space.admit(bytes.length);
        Manifest manifest = Manifest.parse(bytes, contentType);
        checkUrls(manifest);
        Digest digest;
        List<Tag> tags = new ArrayList<>();
        switch (reference) {
            case Reference.ByDigest d -> {
                digest = Digest.of(d.digest().algorithm(), bytes);
                if (!digest.equals(d.digest())) {
                    throw new RegistryException(ErrorCode.DIGEST_INVALID, "manifest content has digest " + digest
                            + ", not " + d.digest(), Map.of("digest", d.digest().toString()));
                }
            }
            case Reference.ByTag t -> {
                digest = Digest.of(Digest.Algorithm.SHA256, bytes);
                tags.add(t.tag());
            }
        }
        for (Tag t : extraTags) {
            if (!tags.contains(t)) {
                tags.add(t);
            }
        }
        Map<Digest, Long> blobRefs = new LinkedHashMap<>();
        Set<Digest> manifestRefs = new LinkedHashSet<>();
        Map<Digest, Long> required = new LinkedHashMap<>();
        references(manifest, blobRefs, manifestRefs, required);
        return new PushResult(digest, store(repository, digest, bytes, manifest, tags, blobRefs, manifestRefs,
                required).tags(), manifest.subject().map(Descriptor::digest));
    }

    /**
     * Stores a manifest that a pull-through cache fetched from the registry it mirrors ({@link PullThrough}), tagged
     * {@code tag} unless it is null. Unlike a push, what it references need not be here (the cache fetches blobs
     * when they are pulled), validation.manifests.urls does not apply (the content is upstream's), and no push
     * event is recorded (as distribution's cache records none). {@link DistributionImport} stores what it adopts
     * the same way.
     *
     * @throws RegistryException UPSTREAM_FAILED when the bytes do not hash to {@code digest}, MANIFEST_INVALID
     *                           when they are no manifest
     */
    public ManifestRecord mirror(RepositoryName repository, Tag tag, Digest digest, byte[] bytes, String mediaType) {
        Guards.writable(options);
        space.admit(bytes.length);
        Digest actual = Digest.of(digest.algorithm(), bytes);
        if (!actual.equals(digest)) {
            throw new RegistryException(ErrorCode.UPSTREAM_FAILED, "upstream sent manifest bytes with digest "
                    + actual + " for " + digest + "; nothing was stored");
        }
        Manifest manifest = Manifest.parse(bytes, mediaType);
        Map<Digest, Long> blobRefs = new LinkedHashMap<>();
        Set<Digest> manifestRefs = new LinkedHashSet<>();
        references(manifest, blobRefs, manifestRefs, null);
        return store(repository, digest, bytes, manifest, tag == null ? List.of() : List.of(tag), blobRefs,
                manifestRefs, null).record();
    }

    private record Stored(ManifestRecord record, List<Tag> tags) {
    }

    /**
     * What a manifest references: its blobs (config, layers but external ones) with the size its descriptor gives,
     * all its children, and those that must exist with their sizes.
     *
     * @param required null for content stored as it came (mirrored or imported), whose sizes are not checked
     * @throws RegistryException MANIFEST_INVALID when two descriptors of one digest give it different sizes
     */
    private void references(Manifest manifest, Map<Digest, Long> blobRefs, Set<Digest> manifestRefs,
                            Map<Digest, Long> required) {
        boolean check = required != null;
        switch (manifest) {
            case Manifest.Image img -> {
                reference(blobRefs, img.config(), check);
                for (Descriptor layer : img.layers()) {
                    if (!layer.isExternal()) {
                        reference(blobRefs, layer, check);
                    }
                }
            }
            case Manifest.Index idx -> {
                for (Descriptor child : idx.manifests()) {
                    manifestRefs.add(child.digest());
                    if (check && mustExist(child)) {
                        reference(required, child, true);
                    }
                }
            }
        }
    }

    private static void reference(Map<Digest, Long> sizes, Descriptor descriptor, boolean check) {
        Long size = sizes.putIfAbsent(descriptor.digest(), descriptor.size());
        if (check && size != null && size != descriptor.size()) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "manifest gives " + descriptor.digest()
                    + " two sizes: " + size + " and " + descriptor.size() + " bytes",
                    Map.of("digest", descriptor.digest().toString()));
        }
    }

    /**
     * Stores a verified manifest with its tags in one transaction.
     *
     * @param required the children that must be here; null for a manifest a pull-through cache fetched (or an
     *                 import brought), of which nothing need be here, not even the blobs, and which is no push
     *                 (no push event)
     */
    private Stored store(RepositoryName repository, Digest digest, byte[] bytes, Manifest manifest, List<Tag> tags,
                         Map<Digest, Long> blobRefs, Set<Digest> manifestRefs, Map<Digest, Long> required) {
        boolean staging = staged.accepts(bytes.length);
        if (!staging && required != null) {
            // Before the bytes are written to storage, which is not undone when the transaction below fails. Staged
            // bytes are part of that transaction, so a staged push is checked there only (a read here cost a staged
            // manifest push about 7 % of its CPU: readers start afresh after every commit).
            checkReferences(repository, blobRefs, required);
        }
        ManifestRecord record = new ManifestRecord(digest, manifest.mediaType(), bytes.length,
                manifest.subject().map(Descriptor::digest).orElse(null), manifest.referrerArtifactType(),
                manifest.annotations(), clock.instant().truncatedTo(ChronoUnit.MILLIS)); // as the store keeps it
        // One push event per tag set (distribution's shape), or one without a tag for a push by digest only; none
        // for content that was fetched or imported, which is no push.
        List<Event> events = new ArrayList<>();
        for (Tag t : required == null ? List.<Tag>of() : tags.isEmpty()
                ? java.util.Collections.<Tag>singletonList(null) : tags) {
            events.add(notifier.event(Event.PUSH, notifier.manifest(repository, digest, manifest.mediaType(),
                    bytes.length, t == null ? null : t.value(), manifest, RequestInfo.current())));
        }
        ManifestRecord[] kept = new ManifestRecord[1]; // the repository's record: this one, or the one it had
        MetadataStore.Work<WriteTx, Void> link = tx -> {
            if (required != null) {
                // Checked in the transaction (again, for content checked above): a blob unlinked since must not count.
                checkReferences(tx, repository, blobRefs, required);
            }
            tx.linkBlob(repository, digest);
            boolean added = tx.putManifest(repository, record, blobRefs.keySet(), manifestRefs);
            for (Tag t : tags) {
                tx.putTag(repository, t, digest);
            }
            notifier.record(tx, events);
            // What this push changed in the lookups kept: its tags and its digest now name the record, the one the
            // repository had when it had the manifest already (created at its first push). The claim, the blob
            // link (a lookup that found none was not kept), the references and the repository row change none.
            ManifestRecord stored = added ? record : tx.manifest(repository, digest).orElseThrow();
            kept[0] = stored;
            tx.updateLookupsOnCommit(count -> {
                lookups.put(new Named(repository, new Reference.ByDigest(digest)), stored, count);
                for (Tag t : tags) {
                    lookups.put(new Named(repository, new Reference.ByTag(t)), stored, count);
                }
            });
            return null;
        };
        if (staging) {
            staged.store(digest, bytes, link);
        } else {
            try {
                BlobClaims.store(metadata, digest, bytes.length, attempt -> blobs.putSmall(digest, bytes), link);
            } catch (IOException e) {
                throw StorageFailure.of("storing manifest " + digest, e);
            }
        }
        notifier.wake();
        return new Stored(kept[0], List.copyOf(tags));
    }

    /**
     * The stored bytes parsed again, for a pull event that lists what the manifest references; null when events do
     * not, or when the bytes no longer parse (a stricter parser than the one that accepted them): the pull is
     * answered all the same, and its event goes without references.
     */
    private Manifest forEvents(byte[] bytes, String mediaType) {
        if (!notifier.includesReferences()) {
            return null;
        }
        try {
            return Manifest.parse(bytes, mediaType);
        } catch (RegistryException e) {
            return null;
        }
    }

    private boolean mustExist(Descriptor child) {
        return switch (options.indexValidation()) {
            case ALL -> true;
            case NONE -> false;
            case LIST -> child.platform() != null && options.indexPlatforms().stream().anyMatch(p ->
                    p.os().equals(child.platform().os()) && p.architecture().equals(child.platform().architecture()));
        };
    }

    private void checkReferences(RepositoryName repository, Map<Digest, Long> blobRefs,
                                 Map<Digest, Long> manifestRefs) {
        metadata.read(tx -> {
            checkReferences(tx, repository, blobRefs, manifestRefs);
            return null;
        });
    }

    /**
     * Checks that the repository has each blob and manifest with the size its descriptor gives: a puller checks
     * what it fetches against the descriptor's size, so a manifest with a wrong one could be stored but never
     * pulled.
     *
     * @throws RegistryException MANIFEST_BLOB_UNKNOWN for content the repository does not have, MANIFEST_INVALID
     *                           for a size that is not the content's
     */
    private static void checkReferences(ReadTx tx, RepositoryName repository, Map<Digest, Long> blobRefs,
                                        Map<Digest, Long> manifestRefs) {
        List<String> missing = new ArrayList<>();
        Map<String, String> wrongSize = new LinkedHashMap<>(); // digest -> what its size is and what it was given
        for (Map.Entry<Digest, Long> ref : blobRefs.entrySet()) {
            check(ref, tx.linkedBlobSize(repository, ref.getKey()), missing, wrongSize);
        }
        for (Map.Entry<Digest, Long> ref : manifestRefs.entrySet()) {
            check(ref, tx.manifest(repository, ref.getKey()).map(ManifestRecord::size), missing, wrongSize);
        }
        if (!missing.isEmpty()) {
            throw new RegistryException(ErrorCode.MANIFEST_BLOB_UNKNOWN, "manifest references content unknown in "
                    + repository + ": " + String.join(", ", missing), Map.of("digests", missing));
        }
        if (!wrongSize.isEmpty()) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "manifest gives sizes that are not the"
                    + " content's: " + String.join(", ", wrongSize.values()), Map.of("digests",
                    List.copyOf(wrongSize.keySet())));
        }
    }

    private static void check(Map.Entry<Digest, Long> ref, Optional<Long> size, List<String> missing,
                              Map<String, String> wrongSize) {
        String digest = ref.getKey().toString();
        if (size.isEmpty()) {
            missing.add(digest);
        } else if (size.get().longValue() != ref.getValue()) {
            wrongSize.put(digest, digest + " has " + size.get() + " bytes, not " + ref.getValue());
        }
    }

    /** What a reference resolves to, without the bytes (HEAD). @throws RegistryException MANIFEST_UNKNOWN */
    public ManifestRecord stat(RepositoryName repository, Reference reference) {
        return lookups.get(new Named(repository, reference), () -> metadata.read(tx -> switch (reference) {
            case Reference.ByDigest d -> tx.manifest(repository, d.digest());
            case Reference.ByTag t -> tx.taggedManifest(repository, t.tag());
        })).orElseThrow(() -> unknown(repository, reference));
    }

    /** A manifest with its bytes (GET). @throws RegistryException MANIFEST_UNKNOWN */
    public Content get(RepositoryName repository, Reference reference) {
        ManifestRecord record = stat(repository, reference);
        try {
            byte[] bytes = staged.read(record.digest(), Manifest.MAX_BYTES);
            Content content = new Content(record, bytes);
            if (notifier.recordsPulls()) {
                notifier.pulled(notifier.event(Event.PULL, notifier.manifest(repository, record.digest(),
                        record.mediaType(), record.size(), reference instanceof Reference.ByTag t ? t.tag().value()
                                : null, forEvents(bytes, record.mediaType()), RequestInfo.current())));
            }
            return content;
        } catch (PathNotFoundException e) {
            missing.report("manifest", repository, record.digest(), "Restore its file, or push the manifest"
                    + " again: a push of the same bytes stores them again.");
            throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + record.digest()
                    + " has no data in storage");
        } catch (IOException e) {
            throw StorageFailure.of("reading manifest " + record.digest(), e);
        }
    }

    /**
     * What {@link #stat} answers, when memory alone can answer it: the lookup is kept and nothing was committed
     * since. Empty otherwise, and then {@link #stat} asks the store. Never blocks.
     */
    public Optional<ManifestRecord> statInMemory(RepositoryName repository, Reference reference) {
        return lookups.peek(new Named(repository, reference));
    }

    /**
     * What {@link #get} answers, when memory alone can answer it: the lookup and the bytes are kept, and pulls are
     * not recorded as events (recording one may write to the store). Empty otherwise. Never blocks.
     */
    public Optional<Content> getInMemory(RepositoryName repository, Reference reference) {
        if (notifier.recordsPulls()) {
            return Optional.empty();
        }
        return statInMemory(repository, reference)
                .flatMap(record -> staged.cached(record.digest()).map(bytes -> new Content(record, bytes)));
    }

    private static RegistryException unknown(RepositoryName repository, Reference reference) {
        return new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + reference + " is unknown in "
                + repository);
    }

    /**
     * Deletes a tag (untag: the manifest stays) or a manifest with every tag pointing to it. A manifest that an
     * index of the repository lists cannot be deleted (delete the index first). A manifest with referrers is
     * refused too, unless {@link RegistryOptions#referrers()} is CASCADE: then its referrers, and theirs, go with it.
     * What the deleted manifests referenced stays until the collector finds it unreferenced.
     *
     * @throws RegistryException NAME_UNKNOWN, MANIFEST_UNKNOWN, or REFERENCED (409)
     */
    public void delete(RepositoryName repository, Reference reference) {
        Guards.deletable(options);
        RequestInfo request = RequestInfo.current();
        boolean deleted = metadata.write(tx -> {
            if (!tx.repositoryExists(repository)) {
                throw new RegistryException(ErrorCode.NAME_UNKNOWN, "repository " + repository + " is unknown");
            }
            List<Event.Target> gone = new ArrayList<>();
            boolean done = switch (reference) {
                case Reference.ByTag t -> {
                    boolean untagged = tx.deleteTag(repository, t.tag());
                    gone.add(Notifier.deleted(repository, null, t.tag().value()));
                    yield untagged;
                }
                case Reference.ByDigest d -> deleteManifest(tx, repository, d.digest(), gone);
            };
            if (done) {
                notifier.record(tx, gone.stream().map(t -> notifier.event(Event.DELETE, t, request)).toList());
            }
            return done;
        });
        if (!deleted) {
            throw unknown(repository, reference);
        }
        notifier.wake();
    }

    private boolean deleteManifest(WriteTx tx, RepositoryName repository, Digest digest, List<Event.Target> gone) {
        if (tx.manifest(repository, digest).isEmpty()) {
            return false;
        }
        List<Digest> parents = tx.indexesReferencing(repository, digest);
        if (!parents.isEmpty()) {
            throw new RegistryException(ErrorCode.CONFLICT, "manifest " + digest + " is listed by index "
                    + join(parents) + " in " + repository + "; delete the index first",
                    Map.of("indexes", parents.stream().map(Digest::toString).toList()));
        }
        // The manifest and, with CASCADE, every referrer below it, deepest first.
        List<Digest> doomed = new ArrayList<>();
        collectReferrers(tx, repository, digest, doomed, new LinkedHashSet<>());
        if (!doomed.isEmpty() && options.referrers() == RegistryOptions.ReferrersOnDelete.REFUSE) {
            throw new RegistryException(ErrorCode.CONFLICT, "manifest " + digest + " has " + doomed.size()
                    + " referrer(s) in " + repository + " (" + join(doomed) + "); delete them first, or set"
                    + " lading.deletes.referrers: cascade", Map.of("referrers",
                    doomed.stream().map(Digest::toString).toList()));
        }
        doomed.add(digest);
        for (Digest d : doomed) {
            tx.deleteManifest(repository, d);
            gone.add(Notifier.deleted(repository, d, null));
        }
        return true;
    }

    private static void collectReferrers(ReadTx tx, RepositoryName repository, Digest subject, List<Digest> out,
                                         Set<Digest> seen) {
        for (ManifestRecord r : tx.referrers(repository, subject)) {
            if (seen.add(r.digest())) {
                collectReferrers(tx, repository, r.digest(), out, seen);
                out.add(r.digest());
            }
        }
    }

    private static String join(List<Digest> digests) {
        List<String> shown = digests.stream().limit(5).map(Digest::toString).toList();
        return String.join(", ", shown) + (digests.size() > 5 ? " and " + (digests.size() - 5) + " more" : "");
    }

    /** A page of tags; {@code hasMore} says whether a Link to the next page is due. */
    public record Page(List<String> items, boolean hasMore) {
    }

    /**
     * Tags of a repository in byte order, after {@code last}, at most {@code n} (or the configured maximum).
     *
     * @throws RegistryException NAME_UNKNOWN for a repository that has never received content
     */
    public Page tags(RepositoryName repository, String last, Integer n) {
        int limit = n == null ? options.tagsMaxEntries() : Math.min(n, options.tagsMaxEntries());
        return metadata.read(tx -> {
            if (!tx.repositoryExists(repository)) {
                throw new RegistryException(ErrorCode.NAME_UNKNOWN, "repository " + repository + " is unknown");
            }
            if (limit == 0) {
                return new Page(List.of(), false);
            }
            List<String> rows = tx.tags(repository, last, limit + 1);
            return page(rows, limit);
        });
    }

    /** Repository names in byte order, after {@code last}, at most {@code n} (default and cap: catalog.maxentries). */
    public Page catalog(String last, Integer n) {
        int limit = n == null ? options.catalogMaxEntries() : Math.min(n, options.catalogMaxEntries());
        if (limit == 0) {
            return new Page(List.of(), false);
        }
        return metadata.read(tx -> page(tx.repositories(last, limit + 1), limit));
    }

    private static Page page(List<String> rows, int limit) {
        return rows.size() > limit ? new Page(rows.subList(0, limit), true) : new Page(rows, false);
    }

    /** A page of referrers; {@code hasMore} says whether a Link to the next page is due. */
    public record ReferrersPage(List<ManifestRecord> items, boolean hasMore) {
    }

    /** Up to {@code n} referrers after {@code after} (null: from the start), of {@code artifactType} if given. */
    public ReferrersPage referrers(RepositoryName repository, Digest subject, Optional<String> artifactType,
                                   Digest after, int n) {
        List<ManifestRecord> page = metadata.read(tx -> tx.referrers(repository, subject, after,
                artifactType.orElse(null), n + 1));
        return page.size() > n ? new ReferrersPage(page.subList(0, n), true) : new ReferrersPage(page, false);
    }
}
