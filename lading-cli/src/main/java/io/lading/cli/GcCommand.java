package io.lading.cli;

import io.lading.cli.config.ConfigException;
import io.lading.cli.config.ConfigLoader;
import io.lading.cli.config.Durations;
import io.lading.cli.config.LadingConfig;
import io.lading.core.Digest;
import io.lading.core.RepositoryName;
import io.lading.registry.GarbageCollector;
import io.lading.storage.BlobStore;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lading gc}: one garbage collection now, from the command line, with distribution's flags
 * ({@code registry garbage-collect [--dry-run] [--delete-untagged] [--quiet]}). It is the same collector the
 * server runs online, so it is safe to run while the registry serves: at worst a push in progress has to retry
 * its manifest (see docs/design/gc.md).
 */
@Command(name = "gc", mixinStandardHelpOptions = true,
        description = "Delete unreferenced content now (the registry may keep running).")
final class GcCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "distribution-format config.yml")
    Path config;

    @Option(names = "--data", paramLabel = "DIR", description = "overrides storage.filesystem.rootdirectory")
    Path data;

    @Option(names = {"-d", "--dry-run"}, description = "print what would be deleted; change nothing")
    boolean dryRun;

    @Option(names = {"-m", "--delete-untagged"}, description = "also delete manifests no tag reaches (index"
            + " children and referrers of tagged manifests are kept)")
    boolean deleteUntagged;

    @Option(names = "--delete-orphans", description = "delete bytes in storage that the metadata store has no"
            + " record of (left by a power cut, or not Lading's); without it they are only listed")
    boolean deleteOrphans;

    @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "0s", description = "leave content younger"
            + " than this (default 0s: everything unreferenced goes, as with distribution; use e.g. 1h while pushes"
            + " are running so they need not retry)")
    String grace;

    @Option(names = {"-q", "--quiet"}, description = "print only the summary")
    boolean quiet;

    private final PrintStream out;
    private final PrintStream err;

    GcCommand() {
        this(System.out, System.err);
    }

    GcCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception {
        LadingConfig cfg;
        Duration graceDuration;
        try {
            cfg = ConfigLoader.load(config, new HashMap<>(System.getenv()), data);
            graceDuration = Durations.parse(grace);
            if (graceDuration == null) {
                throw new IllegalArgumentException("--grace must be a duration such as 0s, 30m or 24h, not '"
                        + grace + "'");
            }
        } catch (ConfigException | IllegalArgumentException e) {
            err.println("lading gc: " + e.getMessage());
            return 2;
        }
        Logging.configure(new LadingConfig.Log(quiet ? "warn" : "info", "text", true, java.util.Map.of()), false);
        if (cfg.storage().driver().equals("inmemory") && cfg.lading().metadataPath() == null) {
            err.println("lading gc: storage is inmemory: there is nothing on disk to collect");
            return 2;
        }
        if (!LadingApp.Stores.hasDatabase("gc", cfg, err)) {
            return 2;
        }
        try (LadingApp.Stores stores = LadingApp.Stores.open(cfg)) {
            GarbageCollector collector = new GarbageCollector(stores.metadata(), new BlobStore(stores.driver()), null,
                    Clock.systemUTC(), cfg.proxy() == null ? null : cfg.proxy().ttl()); // a cache's content expires
            GarbageCollector.Options options = new GarbageCollector.Options(graceDuration, deleteUntagged, dryRun,
                    deleteOrphans ? GarbageCollector.Orphans.DELETE : GarbageCollector.Orphans.REPORT);
            Printer printer = new Printer(System.console() != null);
            GarbageCollector.Result r = collector.run(options, printer);
            printer.endProgress();
            String verb = dryRun ? "would be deleted" : "deleted";
            out.printf(Locale.ROOT, "%d manifests, %d blob links and %d blobs (%s) %s; %d repositories and %d"
                            + " unreferenced blobs scanned in %.1f s%n", r.manifestsDeleted(), r.linksRemoved(),
                    r.blobsDeleted(), bytes(r.bytesReclaimed()), verb, r.repositoriesScanned(), r.blobsScanned(),
                    r.took().toMillis() / 1000.0);
            if (r.orphansFound() > 0) {
                out.printf(Locale.ROOT, "%d blobs in storage have no record in the metadata store (%d %s)%s%n",
                        r.orphansFound(), r.orphansDeleted(), verb, deleteOrphans ? ""
                                : "; --delete-orphans deletes them");
            }
            return 0;
        } catch (RuntimeException e) {
            err.println("lading gc: failed: " + e.getMessage());
            return 1;
        }
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** Prints what is deleted, and a progress line on a terminal. */
    private final class Printer implements GarbageCollector.Listener {
        private final ProgressLine progress;
        private final Map<GarbageCollector.Phase, String> names = Map.of(
                GarbageCollector.Phase.RECOVER, "recovering", GarbageCollector.Phase.EXPIRE, "expired cached tags",
                GarbageCollector.Phase.MANIFESTS, "untagged manifests",
                GarbageCollector.Phase.LINKS, "repositories", GarbageCollector.Phase.BLOBS, "blobs",
                GarbageCollector.Phase.ORPHANS, "storage");

        Printer(boolean terminal) {
            this.progress = new ProgressLine(err, terminal);
        }

        private String verb() {
            return dryRun ? "eligible for deletion" : "deleted";
        }

        @Override
        public void manifestDeleted(RepositoryName repository, Digest digest) {
            line(repository + ": manifest " + digest + " " + verb());
        }

        @Override
        public void linkRemoved(RepositoryName repository, Digest digest) {
            line(repository + ": blob link " + digest + " " + verb());
        }

        @Override
        public void blobMarked(Digest digest, long size) {
            line("blob " + digest + " (" + bytes(size) + ") " + verb());
        }

        @Override
        public void orphanFound(Digest digest) {
            line("blob " + digest + " is in storage but not recorded"
                    + (deleteOrphans ? " (" + verb() + ")" : ""));
        }

        @Override
        public void progress(GarbageCollector.Phase phase, long done, long total) {
            progress.draw(names.get(phase), done, total, "");
        }

        private void line(String text) {
            if (quiet) {
                return;
            }
            endProgress();
            out.println(text);
        }

        void endProgress() {
            progress.end();
        }
    }
}
