package io.lading.registry;

import io.lading.core.Digest;
import io.lading.core.Manifest;
import io.lading.core.RegistryException;
import io.lading.core.RepositoryName;
import io.lading.core.Tag;
import io.lading.metadata.MetadataStore;
import io.lading.storage.BlobStore;
import io.lading.storage.PathNotFoundException;
import io.lading.storage.StorageDriver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Adopts the content of a CNCF distribution registry's storage (its {@code docker/registry/v2} tree, read through
 * a {@link StorageDriver}): every repository, the blobs it links, its manifests and its tags. Bytes are copied into
 * this registry's blob store and checked against their digests on the way ({@link BlobStore#copyFrom}); what does
 * not match, what is missing, and what Lading does not serve (Docker schema 1 manifests) is named and left out, and
 * the rest is imported. Running it again imports only what is new: blobs already here are not copied twice, and
 * storing a manifest or tag again changes nothing.
 *
 * <pre>
 *   docker/registry/v2/blobs/sha256/ab/abcd.../data                       the bytes (the same layout as Lading's)
 *   docker/registry/v2/repositories/lib/app/_layers/sha256/abcd.../link   "sha256:abcd...": a blob of lib/app
 *   docker/registry/v2/repositories/lib/app/_manifests/revisions/sha256/abcd.../link   a manifest of lib/app
 *   docker/registry/v2/repositories/lib/app/_manifests/tags/v1/current/link            what tag v1 points to
 * </pre>
 */
public final class DistributionImport {
    private final StorageDriver source;
    private final BlobStore sourceBlobs;
    private final MetadataStore metadata;
    private final BlobStore blobs;
    private final ManifestService manifests;

    /** What an import did, and what it left out (each with the reason). */
    public record Result(long repositories, long blobsLinked, long blobsCopied, long bytesCopied, long manifests,
                         long tags, List<String> problems) {
    }

    /** Progress, one call per repository. */
    @FunctionalInterface
    public interface Listener {
        void repository(RepositoryName name, long done);
    }

    /**
     * @param source    distribution's storage, rooted at its {@code docker/registry/v2} directory
     * @param manifests stores manifests into this registry ({@link ManifestService#mirror}: no reference need be
     *                  here yet, and no URL rule applies, as the content was accepted by the registry it comes from)
     */
    public DistributionImport(StorageDriver source, MetadataStore metadata, BlobStore blobs,
                              ManifestService manifests) {
        this.source = source;
        this.sourceBlobs = new BlobStore(source);
        this.metadata = metadata;
        this.blobs = blobs;
        this.manifests = manifests;
    }

    /** Imports everything. @throws IOException when the source cannot be listed or read at all */
    public Result run(Listener listener) throws IOException {
        Counts c = new Counts();
        List<String> repositories = new ArrayList<>();
        findRepositories("/repositories", "", repositories);
        for (String path : repositories) {
            RepositoryName name;
            try {
                name = RepositoryName.of(path);
            } catch (RegistryException e) {
                c.problems.add("repository '" + path + "': not a valid name (" + e.getMessage() + "); left out");
                continue;
            }
            importRepository(name, c);
            c.repositories++;
            listener.repository(name, c.repositories);
        }
        return new Result(c.repositories, c.linked, c.copied, c.bytes, c.manifests, c.tags, List.copyOf(c.problems));
    }

    private static final class Counts {
        long repositories;
        long linked;
        long copied;
        long bytes;
        long manifests;
        long tags;
        final List<String> problems = new ArrayList<>();
    }

    /** Directories below {@code dir} that hold a repository (a {@code _layers}, {@code _manifests} or
     * {@code _uploads} directory), as names relative to /repositories. */
    private void findRepositories(String dir, String name, List<String> out) throws IOException {
        List<String> children;
        try {
            children = source.list(dir);
        } catch (PathNotFoundException e) {
            return;
        }
        boolean repository = false;
        for (String child : children) {
            String base = child.substring(child.lastIndexOf('/') + 1);
            if (base.equals("_layers") || base.equals("_manifests") || base.equals("_uploads")) {
                repository = true;
            } else if (!base.startsWith("_")) {
                findRepositories(child, name.isEmpty() ? base : name + "/" + base, out);
            }
        }
        if (repository && !name.isEmpty()) {
            out.add(name);
        }
    }

    private void importRepository(RepositoryName name, Counts c) {
        String root = "/repositories/" + name;
        for (Digest d : links(root + "/_layers", c)) {
            importBlob(name, d, c);
        }
        Map<Digest, byte[]> stored = new HashMap<>();
        for (Digest d : links(root + "/_manifests/revisions", c)) {
            byte[] bytes = importManifest(name, null, d, null, c);
            if (bytes != null) {
                stored.put(d, bytes);
                c.manifests++;
            }
        }
        for (String tagDir : list(root + "/_manifests/tags", c)) {
            String tag = tagDir.substring(tagDir.lastIndexOf('/') + 1);
            Digest d = link(tagDir + "/current/link", c);
            if (d == null) {
                continue;
            }
            Tag t;
            try {
                t = Tag.of(tag);
            } catch (RegistryException e) {
                c.problems.add(name + ":" + tag + ": not a valid tag; left out");
                continue;
            }
            if (importManifest(name, t, d, stored.get(d), c) != null) {
                c.tags++;
            }
        }
    }

    /** The digests named by {@code <dir>/<algorithm>/<hex>/link} files. */
    private List<Digest> links(String dir, Counts c) {
        List<Digest> out = new ArrayList<>();
        for (String algorithm : list(dir, c)) {
            for (String entry : list(algorithm, c)) {
                Digest d = link(entry + "/link", c);
                if (d != null) {
                    out.add(d);
                }
            }
        }
        return out;
    }

    private List<String> list(String dir, Counts c) {
        try {
            return source.list(dir);
        } catch (PathNotFoundException e) {
            return List.of();
        } catch (IOException e) {
            c.problems.add(dir + ": cannot be listed (" + e.getMessage() + "); left out");
            return List.of();
        }
    }

    private Digest link(String path, Counts c) {
        try (InputStream in = Channels.newInputStream(source.reader(path, 0))) {
            String text = new String(in.readNBytes(256), StandardCharsets.UTF_8).trim();
            try {
                return Digest.parse(text);
            } catch (RegistryException e) {
                c.problems.add(path + ": does not hold a digest ('" + text + "'); left out");
                return null;
            }
        } catch (PathNotFoundException e) {
            return null; // a directory distribution left without its link (a deleted manifest's revision, say)
        } catch (IOException e) {
            c.problems.add(path + ": cannot be read (" + e.getMessage() + "); left out");
            return null;
        }
    }

    private void importBlob(RepositoryName name, Digest digest, Counts c) {
        try {
            long size = sourceBlobs.size(digest).orElseThrow(() -> new PathNotFoundException(
                    BlobStore.blobPath(digest)));
            boolean[] copied = new boolean[1];
            BlobClaims.store(metadata, digest, size, attempt -> copied[0] |= blobs.copyFrom(sourceBlobs, digest),
                    tx -> {
                        tx.linkBlob(name, digest);
                        return null;
                    });
            c.linked++;
            if (copied[0]) {
                c.copied++;
                c.bytes += size;
            }
        } catch (PathNotFoundException e) {
            c.problems.add(name + "@" + digest + ": linked, but distribution has no data for it; left out");
        } catch (IOException | RegistryException e) { // data that does not match its digest among them
            c.problems.add(name + "@" + digest + ": " + e.getMessage() + "; left out");
        }
    }

    /** Stores a manifest (tagged {@code tag} unless null); returns its bytes, or null when it was left out. */
    private byte[] importManifest(RepositoryName name, Tag tag, Digest digest, byte[] known, Counts c) {
        String what = name + (tag == null ? "@" + digest : ":" + tag.value() + " (" + digest + ")");
        try {
            byte[] bytes = known != null ? known : sourceBlobs.readVerified(digest, Manifest.MAX_BYTES);
            // No Content-Type: the parser takes the type the bytes declare, or their shape's, and names a Docker
            // schema 1 manifest as one it does not take.
            manifests.mirror(name, tag, digest, bytes, "");
            return bytes;
        } catch (PathNotFoundException e) {
            c.problems.add(what + ": distribution has no data for this manifest; left out");
        } catch (IOException | RegistryException e) {
            c.problems.add(what + ": " + e.getMessage() + "; left out");
        }
        return null;
    }
}
