package io.lading.metadata;

import io.lading.core.Digest;

/**
 * Staged content inside a write transaction. Bytes staged here are as durable as the transaction (the log sync of a
 * durable commit), so a push may link content it has only staged; a writer later puts the bytes in storage and
 * {@link #unstage}s them. Forgetting a blob ({@link WriteTx#forgetBlob}) drops its staged bytes too.
 *
 * <pre>{@code
 * store.write(tx -> { tx.claimBlob(d, bytes.length); tx.staging().stage(d, bytes); tx.linkBlob(repo, d); return null; });
 * for (StagedBlob b : store.read(tx -> tx.staging().first(64))) { write b to storage durably; }
 * store.write(tx -> { tx.staging().unstage(d); return null; });
 * }</pre>
 */
public interface Staging extends StagingView {
    /** Stages the bytes of {@code digest}, a claimed blob; nothing changes when they are staged already. */
    void stage(Digest digest, byte[] bytes);

    /** Drops the staged bytes of {@code digest} (once they are durable in storage); false when none were staged. */
    boolean unstage(Digest digest);
}
