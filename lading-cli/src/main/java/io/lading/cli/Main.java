package io.lading.cli;

import io.lading.cli.config.ConfigException;
import io.lading.cli.config.ConfigLoader;
import io.lading.cli.config.LadingConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code lading} command line. */
@Command(name = "lading", mixinStandardHelpOptions = true, version = "Lading 0.1.0",
        description = "A container registry (OCI Distribution + Docker Registry V2).",
        subcommands = {Main.Serve.class, GcCommand.class, CheckCommand.class, BackupCommand.class, ImportCommand.class,
                TrainCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** {@code lading serve}: the launch contract other tools depend on. */
    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Start the registry. Without --config: port 5000, data under ./data (filesystem + SQLite).")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--config", paramLabel = "FILE", description = "distribution-format config.yml")
        Path config;

        @Option(names = "--listen", paramLabel = "HOST:PORT", description = "overrides http.addr")
        String listen;

        @Option(names = "--data", paramLabel = "DIR", description = "overrides storage.filesystem.rootdirectory")
        Path data;

        @Override
        public Integer call() throws Exception {
            LadingConfig cfg;
            try {
                cfg = ConfigLoader.load(config, System.getenv(), data, listen);
            } catch (ConfigException e) {
                System.err.println("lading: configuration error: " + e.getMessage());
                return 2;
            }
            Logging.configure(cfg.log(), true);
            var log = LoggerFactory.getLogger("io.lading");
            if (!cfg.warnings().isEmpty()) {
                log.warn("configuration keys not implemented by Lading yet, ignored: {}", String.join(", ", cfg.warnings()));
            }
            if (cfg.auth().htpasswdPath() == null && cfg.auth().token() == null
                    && cfg.warnings().stream().anyMatch(k -> k.equals("auth") || k.startsWith("auth."))) {
                log.warn("the configuration asks for an authentication Lading does not implement yet ({}): this"
                        + " registry serves WITHOUT authentication; keep it on a private network or behind an"
                        + " authenticating proxy", String.join(", ", cfg.warnings().stream()
                        .filter(k -> k.startsWith("auth")).toList()));
            }
            LadingApp app;
            try {
                app = new LadingApp(cfg);
            } catch (IllegalArgumentException e) {
                Logging.flush();
                System.err.println("lading: configuration error: " + e.getMessage());
                return 2;
            } catch (java.io.IOException | io.lading.metadata.MetadataException e) {
                Logging.flush();
                System.err.println("lading: cannot start: " + StartupFailure.describe(e));
                return 2;
            }
            try {
                app.start();
            } catch (java.io.IOException e) { // a listener's address is taken or not ours
                Logging.flush();
                System.err.println("lading: cannot start: " + StartupFailure.describe(e));
                app.close();
                return 2;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                log.info("shutting down: draining in-flight requests (up to {})", cfg.http().drainTimeout());
                try {
                    app.close();
                } catch (Exception e) {
                    log.error("error during shutdown", e);
                }
                Logging.flush(); // lines logged while stopping: the JVM exits once the hooks return
                stopped.countDown();
            }, "lading-shutdown"));
            app.join();
            stopped.await();
            return 0;
        }
    }
}
