package io.lading.cli;

import io.lading.cli.config.LadingConfig;
import io.lading.core.Digest;
import io.lading.metadata.BlobRecord;
import io.lading.metadata.sqlite.SqliteMetadataStore;
import io.lading.registry.Pacer;
import io.lading.storage.BlobStore;
import io.lading.storage.ContentMismatchException;
import io.lading.storage.FileSystemDriver;
import io.lading.storage.PathNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.LongConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lading backup --to DIR}: a consistent copy of a filesystem registry, taken while it serves, that is itself
 * a data directory ({@code lading serve --data DIR} serves it). The metadata store is copied first, as one
 * transaction sees it; then the data of every blob that copy records, each written durably and moved into place.
 * Each blob's bytes are read past the page cache and hashed on the way; data that does not hash to its digest is
 * not copied and is reported, as is recorded content with no data. Blob files never change once written (content
 * addressing), so bytes already in the backup are skipped: running it again into the same directory copies only
 * what is new. The copy's database replaces the backup's last, so an
 * interrupted backup leaves the one before it whole (plus some blob files it does not yet use).
 */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = "Copy the registry's metadata and blobs to a directory that can be served as it is (the"
                + " registry may keep running; a second run into the same directory copies only what is new).",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:the backup is complete", "1:the backup is complete but some recorded content had no"
                + " sound data to copy (missing or corrupt), or the metadata database has problems (listed;"
                + " `lading check` tells more)", "2:bad arguments or configuration",
                "3:the backup failed (the one before it, if any, is left as it was)"})
final class BackupCommand implements Callable<Integer> {
    private static final int PAGE = 500;
    /** Blobs up to this size are copied in batches ({@link Copier}); a backup holds at most a batch in memory. */
    private static final int SMALL = 256 * 1024;
    private static final int BATCH_FILES = 256;
    private static final int BATCH_BYTES = 8 << 20;
    private static final String DATABASE = "metadata.db";

    @Option(names = "--config", paramLabel = "FILE", description = "distribution-format config.yml")
    Path config;

    @Option(names = "--data", paramLabel = "DIR", description = "overrides storage.filesystem.rootdirectory")
    Path data;

    @Option(names = "--to", paramLabel = "DIR", required = true, description = "the backup's directory (created"
            + " if missing; a backup made before into it is brought up to date)")
    Path to;

    @Option(names = "--rate", paramLabel = "SIZE", converter = SizeConverter.class, description = "read at most SIZE"
            + " bytes of blob data per second (e.g. 200MiB), leaving the disk to the registry's clients (default: as"
            + " fast as the disk gives them)")
    long rate;

    @Option(names = {"-q", "--quiet"}, description = "print only problems and the summary")
    boolean quiet;

    private final PrintStream out;
    private final PrintStream err;

    BackupCommand() {
        this(System.out, System.err);
    }

    BackupCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        LadingConfig cfg = LadingApp.Stores.offline("backup", "back up", config, data, err);
        if (cfg == null) {
            return 2;
        }
        LadingConfig.Storage s = cfg.storage();
        if (!s.driver().equals("filesystem")) {
            err.println("lading backup: storage is " + s.driver() + ": backups are of filesystem registries only");
            return 2;
        }
        Path target = to.toAbsolutePath().normalize();
        Path root = s.rootDirectory().toAbsolutePath().normalize();
        if (target.startsWith(root) || root.startsWith(target)) {
            err.println("lading backup: --to " + target + " must be outside the registry's directory " + root
                    + " (and not contain it)");
            return 2;
        }
        if (Files.exists(target) && !Files.isDirectory(target)) {
            err.println("lading backup: --to " + target + " is a file; name a directory (it is created when missing)");
            return 2;
        }
        Path targetDb = target.resolve(DATABASE);
        for (String suffix : List.of("-wal", "-shm")) {
            if (Files.exists(target.resolve(DATABASE + suffix))) {
                err.println("lading backup: " + target.resolve(DATABASE + suffix) + " exists: a registry serves"
                        + " that directory, or did and stopped without closing its database; back up into"
                        + " another directory");
                return 2;
            }
        }
        Path partial = target.resolve(DATABASE + ".partial");
        long started = System.nanoTime();
        try (LadingApp.Stores stores = LadingApp.Stores.open(cfg)) {
            Files.createDirectories(target);
            Files.deleteIfExists(partial); // left by an interrupted backup
            stores.metadata().copyTo(partial);
            BlobStore source = new BlobStore(stores.driver());
            BlobStore backup = new BlobStore(new FileSystemDriver(target));
            Counts counts = copyBlobs(partial, source, backup);
            Path installed = targetDb;
            if (!counts.metadataProblems.isEmpty() && Files.exists(targetDb)) {
                // A damaged copy must not replace a backup that may be sound: it is kept beside it instead.
                installed = target.resolve(DATABASE + "." + System.currentTimeMillis() + ".damaged");
            }
            Files.move(partial, installed, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel dir = FileChannel.open(target, StandardOpenOption.READ)) {
                dir.force(true);
            }
            out.printf(Locale.ROOT, "backup in %s: %d blobs recorded (%d staged in the database), %d copied (%s),"
                            + " %d there already; %.1f s%n", target, counts.recorded, counts.staged, counts.copied,
                    GcCommand.bytes(counts.copiedBytes), counts.present, (System.nanoTime() - started) / 1e9);
            if (!counts.metadataProblems.isEmpty()) {
                out.printf(Locale.ROOT, "the copy of the metadata database has %d problems (listed), which came from"
                        + " the registry's (`lading check` lists them)%s%n", counts.metadataProblems.size(),
                        installed.equals(targetDb) ? "" : "; the backup's metadata.db from before is kept, and this"
                                + " copy is " + installed);
            }
            if (counts.damaged > 0) {
                out.printf(Locale.ROOT, "%d recorded blobs had no sound data to copy; `lading check --verify` on the"
                        + " registry says what reaches them%n", counts.damaged);
            }
            return counts.damaged > 0 || !counts.metadataProblems.isEmpty() ? 1 : 0;
        } catch (Exception e) {
            err.println("lading backup: failed: " + e.getMessage());
            try {
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // the next run removes it
            }
            return 3;
        }
    }

    private static final class Counts {
        long recorded;
        long staged;
        long copied;
        long copiedBytes;
        long present;
        long damaged;
        List<String> metadataProblems = List.of();
    }

    /** Copies the data of every blob the database copy at {@code snapshot} records and holds no staged bytes of. */
    private Counts copyBlobs(Path snapshot, BlobStore source, BlobStore backup) {
        ProgressLine progress = new ProgressLine(err, !quiet && System.console() != null);
        try (SqliteMetadataStore copy = SqliteMetadataStore.open(snapshot)) {
            Copier copier = new Copier(copy, source, backup, progress);
            copier.counts.metadataProblems = copy.integrityProblems(); // the copy's indexes are rebuilt, not its rows
            copier.counts.metadataProblems.forEach(p -> out.println("METADATA " + p));
            long total = copy.read(tx -> tx.usage()).blobs();
            copy.forEachBlob(PAGE, blob -> {
                copier.copy(blob);
                progress.draw("copying", copier.counts.recorded, total, "  "
                        + GcCommand.bytes(copier.counts.copiedBytes));
            });
            copier.flush();
            return copier.counts;
        } finally {
            progress.end();
        }
    }

    /**
     * Copies blob data into the backup. Small blobs are read whole and written in batches
     * ({@link BlobStore#putSmall(java.util.Map)}: on the filesystem driver, two syncs of the file system per batch
     * instead of an fsync of each file and its directory, which is what a backup of many manifests and configs
     * spends its time on); larger ones one by one ({@link BlobStore#copyFrom}). Either way the data is durable
     * before the backup's database names it: the database is moved into place after the last batch.
     */
    private final class Copier {
        private final SqliteMetadataStore copy;
        private final BlobStore source;
        private final BlobStore backup;
        private final ProgressLine progress;
        private final LongConsumer pace;
        private final Counts counts = new Counts();
        private final Map<Digest, byte[]> batch = new LinkedHashMap<>();
        private long batchBytes;

        Copier(SqliteMetadataStore copy, BlobStore source, BlobStore backup, ProgressLine progress) {
            this.copy = copy;
            this.source = source;
            this.backup = backup;
            this.progress = progress;
            Pacer pacer = new Pacer(rate);
            this.pace = n -> pacer.pacedOrStop(n, "the backup was interrupted");
        }

        void copy(BlobRecord blob) {
            counts.recorded++;
            if (copy.read(tx -> tx.staging().get(blob.digest())).isPresent()) {
                counts.staged++; // its bytes are in the database
                return;
            }
            try {
                Optional<Long> have = backup.size(blob.digest());
                if (have.isPresent() && have.get() == blob.size()) {
                    counts.present++;
                } else if (blob.size() <= SMALL && have.isEmpty()
                        && source.size(blob.digest()).orElse(-1L) == blob.size()) { // else copyFrom says what is wrong
                    byte[] bytes = source.readVerified(blob.digest(), SMALL);
                    pace.accept(bytes.length);
                    batch.put(blob.digest(), bytes);
                    batchBytes += bytes.length;
                    if (batch.size() >= BATCH_FILES || batchBytes >= BATCH_BYTES) {
                        flush();
                    }
                } else if (backup.copyFrom(source, blob.digest(), pace)) {
                    counts.copied++;
                    counts.copiedBytes += blob.size();
                } else {
                    counts.present++;
                }
            } catch (PathNotFoundException e) {
                damaged(blob, "no data for " + blob.digest() + " (" + GcCommand.bytes(blob.size()) + ") in the"
                        + " registry's storage: not in the backup either");
            } catch (ContentMismatchException e) {
                damaged(blob, e.getMessage() + " in the registry's storage (corrupt): not copied; `lading check"
                        + " --verify --quarantine` moves it aside so that a push stores it again");
            } catch (IOException e) {
                throw new UncheckedIOException("copying " + blob.digest() + ": " + e.getMessage(), e);
            }
        }

        /** Writes the small blobs read so far, durably. */
        void flush() {
            if (batch.isEmpty()) {
                return;
            }
            try {
                backup.putSmall(batch);
            } catch (IOException e) {
                throw new UncheckedIOException("copying " + batch.size() + " small blobs: " + e.getMessage(), e);
            }
            counts.copied += batch.size();
            counts.copiedBytes += batchBytes;
            batch.clear();
            batchBytes = 0;
        }

        /** Reports recorded content whose data could not be copied; none when nothing reaches it. */
        private void damaged(BlobRecord blob, String message) {
            if (copy.read(tx -> tx.blobUses(blob.digest(), 1)).isEmpty()) {
                return; // a claim whose push had not stored its bytes yet, or the collector's: nothing uses it
            }
            counts.damaged++;
            progress.end();
            out.println(message);
        }
    }
}
