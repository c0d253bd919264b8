package io.lading.cli;

import io.lading.cli.config.LadingConfig;
import io.lading.registry.DistributionImport;
import io.lading.registry.ManifestService;
import io.lading.registry.RegistryOptions;
import io.lading.registry.SpaceReserve;
import io.lading.registry.StagedContent;
import io.lading.registry.events.Notifier;
import io.lading.storage.BlobStore;
import io.lading.storage.FileSystemDriver;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lading import --from DIR}: adopts the storage of a CNCF distribution registry (its
 * {@code storage.filesystem.rootdirectory}) into a Lading data directory; see {@link DistributionImport}.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Import the repositories, blobs, manifests and tags of a distribution registry's filesystem"
                + " storage into Lading's (stop the registry being imported into first; the source is only read).",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:everything was imported", "1:some content was left out (listed, with the reason)",
                "2:bad arguments or configuration", "3:the import could not finish (storage or database failure)"})
final class ImportCommand implements Callable<Integer> {
    @Option(names = "--from", paramLabel = "DIR", required = true, description = "distribution's"
            + " storage.filesystem.rootdirectory (the directory holding docker/registry/v2)")
    Path from;

    @Option(names = "--config", paramLabel = "FILE", description = "distribution-format config.yml of the Lading"
            + " registry to import into")
    Path config;

    @Option(names = "--data", paramLabel = "DIR", description = "overrides storage.filesystem.rootdirectory")
    Path data;

    @Option(names = {"-q", "--quiet"}, description = "print only what was left out and the summary")
    boolean quiet;

    private final PrintStream out;
    private final PrintStream err;

    ImportCommand() {
        this(System.out, System.err);
    }

    ImportCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** distribution's tree below {@code dir}: {@code dir/docker/registry/v2}, or {@code dir} when it is that. */
    static Path tree(Path dir) {
        Path nested = dir.resolve("docker/registry/v2");
        return Files.isDirectory(nested) ? nested : dir;
    }

    @Override
    public Integer call() {
        Path source = tree(from);
        if (!Files.isDirectory(source.resolve("repositories")) && !Files.isDirectory(source.resolve("blobs"))) {
            err.println("lading import: " + from + " holds no distribution storage (no docker/registry/v2 with"
                    + " repositories or blobs in it)");
            return 2;
        }
        LadingConfig cfg = LadingApp.Stores.offline("import", "import into", config, data, err, false);
        if (cfg == null) {
            return 2;
        }
        if (cfg.storage().rootDirectory() != null
                && tree(cfg.storage().rootDirectory()).toAbsolutePath().normalize()
                .equals(source.toAbsolutePath().normalize())) {
            err.println("lading import: --from is the data directory being imported into");
            return 2;
        }
        Instant started = Instant.now();
        try (LadingApp.Stores stores = LadingApp.Stores.open(cfg);
             FileSystemDriver distribution = new FileSystemDriver(source)) {
            BlobStore blobs = new BlobStore(stores.driver());
            RegistryOptions options = LadingApp.options(cfg);
            StagedContent staged = new StagedContent(stores.metadata(), blobs, StagedContent.Settings.OFF);
            ManifestService manifests = new ManifestService(stores.metadata(), blobs, staged, options,
                    new SpaceReserve(blobs, options.reserve()), Clock.systemUTC(), Notifier.none());
            ProgressLine progress = new ProgressLine(err, !quiet && System.console() != null);
            DistributionImport.Result r = new DistributionImport(distribution, stores.metadata(), blobs, manifests)
                    .run((name, done) -> progress.draw("importing", done, -1, "  " + name));
            progress.end();
            r.problems().forEach(p -> out.println("LEFT OUT " + p));
            out.printf(Locale.ROOT, "%d repositories, %d manifests, %d tags and %d blob links imported; %d blobs (%s)"
                            + " copied, in %.1f s%s%n", r.repositories(), r.manifests(), r.tags(), r.blobsLinked(),
                    r.blobsCopied(), GcCommand.bytes(r.bytesCopied()),
                    Duration.between(started, Instant.now()).toMillis() / 1000.0,
                    r.problems().isEmpty() ? "" : "; " + r.problems().size() + " left out (above)");
            return r.problems().isEmpty() ? 0 : 1;
        } catch (Exception e) {
            err.println("lading import: failed: " + e.getMessage());
            return 3;
        }
    }
}
