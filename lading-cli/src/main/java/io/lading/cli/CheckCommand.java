package io.lading.cli;

import io.lading.cli.config.LadingConfig;
import io.lading.registry.ContentCheck;
import io.lading.storage.BlobStore;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lading check}: a content check of a data directory from the command line (see {@link ContentCheck}). It
 * reads the metadata in short transactions, so the registry may keep running; but only a check run through the
 * registry's admin API ({@code POST /lading/v1/check}) makes the registry answer HEAD of lost content with 404 at
 * once, so this says so when it finds content gone.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Check the metadata database, and that the data of every blob and manifest is in storage (the"
                + " registry may keep running).",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:nothing is damaged", "1:damaged content, or a damaged metadata database, was found (listed)",
                "2:bad arguments or configuration", "3:the check could not finish (storage or database failure)"})
final class CheckCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "distribution-format config.yml")
    Path config;

    @Option(names = "--data", paramLabel = "DIR", description = "overrides storage.filesystem.rootdirectory")
    Path data;

    @Option(names = "--verify", description = "read every byte and check it against its digest (without it, only"
            + " that each blob's data is there with its recorded size)")
    boolean verify;

    @Option(names = "--quarantine", description = "move data that is cut short or does not match its digest to"
            + " <root>/quarantine, so that pushing the content again stores good bytes (a push of content whose"
            + " bytes are in place is dropped as a copy)")
    boolean quarantine;

    @Option(names = "--rate", paramLabel = "SIZE", converter = SizeConverter.class, description = "with --verify,"
            + " read at most SIZE bytes per second (e.g. 200MiB), leaving the disk to a registry that serves from it"
            + " (default: as fast as the disk gives them)")
    long rate;

    @Option(names = {"-q", "--quiet"}, description = "print only the damaged content and the summary")
    boolean quiet;

    private final PrintStream out;
    private final PrintStream err;

    CheckCommand() {
        this(System.out, System.err);
    }

    CheckCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        LadingConfig cfg = LadingApp.Stores.offline("check", "check", config, data, err);
        if (cfg == null) {
            return 2;
        }
        // What the check finds is printed below; its log lines would say it twice.
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ContentCheck.class))
                .setLevel(ch.qos.logback.classic.Level.OFF);
        try (LadingApp.Stores stores = LadingApp.Stores.open(cfg)) {
            int[] lost = new int[1];
            ContentCheck check = new ContentCheck(stores.metadata(), new BlobStore(stores.driver()),
                    Clock.systemUTC(), d -> lost[0]++);
            ProgressLine progress = new ProgressLine(err, !quiet && System.console() != null);
            ContentCheck.Options options = new ContentCheck.Options(verify, quarantine, rate);
            ContentCheck.Result r = check.run(options, new ContentCheck.Listener() {
                @Override
                public void progress(ContentCheck.Progress p) {
                    progress.draw("checking", p.blobs(), p.totalBlobs(), String.format(Locale.ROOT, "  %s of %s",
                            GcCommand.bytes(p.bytes()), GcCommand.bytes(p.totalBytes())));
                }

                @Override
                public void found(ContentCheck.Finding f) {
                    progress.end();
                    out.printf(Locale.ROOT, "%s %s (%s): %s%s%n  reached from %s%n", f.problem(), f.digest(),
                            GcCommand.bytes(f.size()), f.detail(), f.movedTo() == null ? ""
                                    : "; moved to " + f.movedTo(), ContentCheck.describe(f.uses()));
                }
            });
            progress.end();
            r.metadataProblems().forEach(p -> out.println("METADATA " + p));
            out.printf(Locale.ROOT, "%d blobs (%s) checked, %s, in %.1f s: %s%n", r.blobs(), GcCommand.bytes(r.bytes()),
                    verify ? "every byte read and hashed" : "presence and size", r.took().toMillis() / 1000.0,
                    r.sound() ? "nothing is damaged" : r.problems() + " damaged"
                            + (r.metadataProblems().isEmpty() ? "" : ", " + r.metadataProblems().size()
                            + " problems in the metadata database"));
            if (!r.sound() && !quiet) {
                hints(r, lost[0]);
            }
            return r.sound() ? 0 : 1;
        } catch (Exception e) {
            err.println("lading check: failed: " + e.getMessage());
            return 3;
        }
    }

    private void hints(ContentCheck.Result r, int lost) {
        if (!r.metadataProblems().isEmpty()) {
            out.println("The metadata database is damaged. Stop the registry, move metadata.db, metadata.db-wal and"
                    + " metadata.db-shm\naside, and put back the metadata.db of the last backup (`lading backup`); or"
                    + " salvage what\nSQLite can still read with `sqlite3 metadata.db .recover`. Then run `lading"
                    + " check` again.");
        }
        boolean inPlace = r.findings().stream().anyMatch(f -> f.problem() != ContentCheck.Problem.MISSING
                && f.movedTo() == null);
        if (inPlace) {
            out.println("Damaged data still in place blocks a push of the same content; --quarantine moves it aside.");
        }
        if (lost > 0) {
            out.println("A running registry answers HEAD of lost content with 200 until a client reads it. Run the"
                    + " check through\nits admin API (POST /lading/v1/check) to make it answer 404 now, so that"
                    + " clients push the content\nagain; or restore the files.");
        }
    }
}
