package io.lading.registry;

import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the operator, once per digest, that content the metadata records has no data in storage: deleted behind
 * the registry's back, or lost with a disk. The client only gets a 404; the registry still reports the content in
 * HEAD and listings, so clients do not push it again on their own, and someone has to act.
 */
final class MissingData {
    private static final Logger LOG = LoggerFactory.getLogger(MissingData.class);
    /** Digests already reported; cleared when it grows past this, so a flood is reported again, in bulk. */
    private static final int REMEMBERED = 10_000;
    private static final Set<Digest> REPORTED = ConcurrentHashMap.newKeySet();

    private MissingData() {
    }

    static void report(String kind, RepositoryName repository, Digest digest, String remedy) {
        if (REPORTED.size() >= REMEMBERED) {
            REPORTED.clear();
        }
        if (REPORTED.add(digest)) {
            LOG.error("{} {} of {} is recorded but has no data in storage (deleted outside the registry, or lost);"
                    + " a GET of it answers 404. {}", kind, digest, repository, remedy);
        }
    }
}
