package io.lading.registry;

import io.lading.core.Digest;
import io.lading.core.ErrorCode;
import io.lading.core.RegistryException;
import io.lading.metadata.MetadataStore;
import io.lading.metadata.MetadataStore.Durability;
import io.lading.metadata.WriteTx;
import java.io.IOException;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * The push side of the collector protocol (docs/design/gc.md): before a push moves bytes into a blob's storage
 * path, it claims the digest in the metadata store. The claim protects the blob from collection for the grace
 * period; if the collector is deleting the digest's bytes at that moment, the push waits for it to finish and
 * then writes the bytes anew, instead of handing its bytes to a file that is about to be removed.
 */
final class BlobClaims {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long PAUSE_MS = 20;

    private BlobClaims() {
    }

    /**
     * Claims the digest; returns the claim's generation, which {@link #store} checks in the transaction that
     * links the blob. @throws RegistryException UNAVAILABLE when a deletion of the digest does not finish in 30 s
     */
    private static long claim(MetadataStore metadata, Digest digest, long size) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            // A lost claim (power cut) leaves at worst bytes with no record, which the collector removes later.
            OptionalLong claim = metadata.write(Durability.PROCESS_CRASH_SAFE, tx -> {
                // A claim adds the blob's row or refreshes its last use; no lookup kept reads either (a blob is
                // found through a repository's link), so it has nothing to bring up to date.
                tx.updateLookupsOnCommit(count -> {
                });
                return tx.claimBlob(digest, size);
            });
            if (claim.isPresent()) {
                return claim.getAsLong();
            }
            pause(digest, deadline);
        }
    }

    /** Waits a moment for a collection deleting {@code digest} to finish. @throws RegistryException UNAVAILABLE */
    private static void pause(Digest digest, long deadline) {
        if (System.nanoTime() > deadline) {
            throw new RegistryException(ErrorCode.UNAVAILABLE, "blob " + digest
                    + " is being garbage collected and the collection has not finished; retry later");
        }
        try {
            Thread.sleep(PAUSE_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(ErrorCode.UNAVAILABLE, "interrupted waiting for blob " + digest);
        }
    }

    /**
     * The push protocol for bytes placed by the transaction itself (staged content): claim and {@code placeAndLink}
     * in one durable transaction, so no collection can come between them. Waits, as a claim does, while a
     * collection is deleting the digest's bytes.
     */
    static <T> T storeClaimed(MetadataStore metadata, Digest digest, long size,
                              MetadataStore.Work<WriteTx, T> placeAndLink) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                return metadata.write(tx -> {
                    if (tx.claimBlob(digest, size).isEmpty()) {
                        throw new LostClaim();
                    }
                    return placeAndLink.run(tx);
                });
            } catch (LostClaim e) {
                pause(digest, deadline);
            }
        }
    }

    /** Puts a blob's bytes at its storage path; {@code attempt} counts from 1. */
    @FunctionalInterface
    interface Placement {
        void place(int attempt) throws IOException;
    }

    private static final int ATTEMPTS = 3;

    /**
     * The whole push protocol: claim, place the bytes, then link in a transaction that checks the claim still
     * holds. A claim is lost only when the push took longer than the grace period and a collection took the blob
     * meanwhile; then the push claims again and re-places the bytes (a manifest rewrites them; an upload, whose
     * bytes were moved, keeps them if they are still there), at most three times.
     *
     * @throws RegistryException UNAVAILABLE when every attempt lost its claim
     */
    static <T> T store(MetadataStore metadata, Digest digest, long size, Placement placement,
                       MetadataStore.Work<WriteTx, T> link) throws IOException {
        for (int attempt = 1; ; attempt++) {
            long generation = claim(metadata, digest, size);
            placement.place(attempt);
            try {
                return metadata.write(tx -> {
                    if (!tx.claimHolds(digest, generation)) {
                        throw new LostClaim();
                    }
                    return link.run(tx);
                });
            } catch (LostClaim e) {
                if (attempt == ATTEMPTS) {
                    throw new RegistryException(ErrorCode.UNAVAILABLE, "blob " + digest + " was garbage collected"
                            + " while it was being stored, " + ATTEMPTS + " times (the grace period is shorter than"
                            + " a push); push it again");
                }
            }
        }
    }

    private static final class LostClaim extends RuntimeException {
        LostClaim() {
            super("claim lost", null, false, false);
        }
    }
}
