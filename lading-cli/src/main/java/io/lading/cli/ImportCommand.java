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
import io.lading.storage.StorageDriver;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lading import --from DIR | --from-config FILE}: adopts the storage of a CNCF distribution registry (its
 * {@code storage.filesystem.rootdirectory}, or the filesystem, s3 or azure storage its config.yml names) into a Lading
 * registry; see {@link DistributionImport}.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Import the repositories, blobs, manifests and tags of a distribution registry's storage"
                + " (filesystem, S3 or Azure) into Lading's (stop the registry being imported into first; the source is"
                + " only read).",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:everything was imported", "1:some content was left out (listed, with the reason)",
                "2:bad arguments or configuration", "3:the import could not finish (storage or database failure)"})
final class ImportCommand implements Callable<Integer> {
    @Option(names = "--from", paramLabel = "DIR", description = "distribution's"
            + " storage.filesystem.rootdirectory (the directory holding docker/registry/v2)")
    Path from;

    @Option(names = "--from-config", paramLabel = "FILE", description = "distribution's config.yml: the storage it"
            + " names (filesystem, or s3 or azure with its bucket or container, rootdirectory and credentials) is read")
    Path fromConfig;

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

    /** Where distribution's tree is read from: a driver rooted at it, and its directory when it is local. */
    private record Source(StorageDriver driver, Path directory) {
    }

    /** The source the options name, opened; null after saying why (exit 2). */
    private Source source() throws java.io.IOException {
        if ((from == null) == (fromConfig == null)) {
            err.println("lading import: name the distribution storage to read with either --from DIR or"
                    + " --from-config FILE");
            return null;
        }
        Path dir = from;
        if (fromConfig != null) {
            LadingConfig.Storage s;
            try {
                s = io.lading.cli.config.ConfigLoader.load(fromConfig, new java.util.HashMap<>(System.getenv()), null)
                        .storage();
            } catch (io.lading.cli.config.ConfigException e) {
                err.println("lading import: --from-config: " + e.getMessage());
                return null;
            }
            if (s.objectStore()) {
                LadingConfig.Storage tree = distributionTree(s);
                StorageDriver driver = LadingApp.Stores.objectStore(tree);
                List<String> top;
                try {
                    top = driver.list("/");
                } catch (java.io.IOException | RuntimeException e) {
                    driver.close();
                    throw e;
                }
                if (top.stream().noneMatch(p -> p.equals("/repositories") || p.equals("/blobs"))) {
                    driver.close();
                    err.println("lading import: " + tree.objectStoreLocation() + " holds no distribution storage"
                            + " (no repositories or blobs)");
                    return null;
                }
                return new Source(driver, null);
            }
            if (!s.driver().equals("filesystem")) {
                err.println("lading import: " + fromConfig + " names " + s.driver() + " storage: nothing to read");
                return null;
            }
            dir = s.rootDirectory();
        }
        Path tree = tree(dir);
        if (!Files.isDirectory(tree.resolve("repositories")) && !Files.isDirectory(tree.resolve("blobs"))) {
            err.println("lading import: " + dir + " holds no distribution storage (no docker/registry/v2 with"
                    + " repositories or blobs in it)");
            return null;
        }
        return new Source(new FileSystemDriver(tree), tree);
    }

    /** An object store's settings moved to distribution's tree below its root directory: docker/registry/v2. */
    private static LadingConfig.Storage distributionTree(LadingConfig.Storage s) {
        String root = s.s3() != null ? s.s3().rootDirectory() : s.azure().rootDirectory();
        String tree = (root.isEmpty() ? "" : root + "/") + "docker/registry/v2";
        return new LadingConfig.Storage(s.driver(), s.rootDirectory(), s.deleteEnabled(), s.readOnly(),
                s.uploadPurging(), s.redirectDisabled(), s.s3() != null ? s.s3().withRootDirectory(tree) : null,
                s.azure() != null ? s.azure().withRootDirectory(tree) : null);
    }

    @Override
    public Integer call() {
        LadingConfig cfg = LadingApp.Stores.offline("import", "import into", config, data, err, false);
        if (cfg == null) {
            return 2;
        }
        Source source;
        try {
            source = source();
        } catch (Exception e) {
            err.println("lading import: cannot read the distribution storage: " + e.getMessage());
            return 3;
        }
        if (source == null) {
            return 2;
        }
        if (source.directory() != null && cfg.storage().driver().equals("filesystem")
                && tree(cfg.storage().rootDirectory()).toAbsolutePath().normalize()
                .equals(source.directory().toAbsolutePath().normalize())) {
            close(source);
            err.println("lading import: --from is the data directory being imported into");
            return 2;
        }
        Instant started = Instant.now();
        try (LadingApp.Stores stores = LadingApp.Stores.open(cfg);
             StorageDriver distribution = source.driver()) {
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
            close(source); // when the registry's stores failed to open, before the source was taken in hand
            err.println("lading import: failed: " + e.getMessage());
            return 3;
        }
    }

    private static void close(Source source) {
        try {
            source.driver().close();
        } catch (Exception e) {
            // nothing was written through it
        }
    }
}
