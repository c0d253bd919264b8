package io.lading.registry;

import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Content the metadata records but whose data a read did not find in storage: deleted behind the registry's back,
 * or lost with a disk. The client of that read gets a 404; this tells the operator, once per digest, and keeps the
 * digest so that a HEAD of the blob answers 404 too. Clients ask with HEAD before they push a layer, so they then
 * push it again, and the push that stores its bytes clears the mark. A {@link ContentCheck} marks what it finds
 * gone the same way, before any read. The marks live in memory: after a restart the next read (or check) that
 * misses the data marks the digest again.
 */
final class MissingData {
    private static final Logger LOG = LoggerFactory.getLogger(MissingData.class);
    /** Digests kept; cleared when they grow past this, so a flood is reported (and marked) again as it is read. */
    private static final int REMEMBERED = 10_000;
    private final Set<Digest> missing = ConcurrentHashMap.newKeySet();
    /** False while nothing is marked, which is almost always: the check on each HEAD is then one volatile read. */
    private volatile boolean any;

    /** Marks {@code digest} as having no data, and logs it the first time. */
    void report(String kind, RepositoryName repository, Digest digest, String remedy) {
        if (mark(digest)) {
            LOG.error("{} {} of {} is recorded but has no data in storage (deleted outside the registry, or lost);"
                    + " a GET of it answers 404. {}", kind, digest, repository, remedy);
        }
    }

    /** Marks {@code digest} as having no data; true when it was not marked yet. Logs nothing. */
    boolean mark(Digest digest) {
        if (missing.size() >= REMEMBERED) {
            missing.clear();
        }
        boolean first = missing.add(digest);
        any = true; // also when marked already: a concurrent stored() of another digest may have just cleared it
        return first;
    }

    /** Whether a read found no data for {@code digest} since it was last stored. */
    boolean marked(Digest digest) {
        return any && missing.contains(digest);
    }

    /** Clears the mark of {@code digest}: its bytes were stored again. */
    void stored(Digest digest) {
        if (any && missing.remove(digest) && missing.isEmpty()) {
            any = false; // racing a report() of another digest, this may hide its mark until that is read again
        }
    }
}
