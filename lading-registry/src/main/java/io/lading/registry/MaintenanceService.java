package io.lading.registry;

import io.lading.core.ErrorCode;
import io.lading.core.RegistryException;
import io.lading.core.RepositoryName;
import io.lading.metadata.GcRunRecord;
import io.lading.metadata.MetadataStore;
import io.lading.metadata.Usage;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's switches behind {@code /lading/v1}: read-only mode at runtime, garbage collections on demand
 * and their status, and storage usage from the metadata store.
 */
public final class MaintenanceService {
    private static final Logger LOG = LoggerFactory.getLogger(MaintenanceService.class);

    /**
     * lading.gc.*: the online collector.
     *
     * @param enabled        collect every {@code interval}
     * @param interval       time between the end of one collection and the start of the next
     * @param grace          nothing younger than this is collected
     * @param deleteUntagged also delete manifests no tag reaches
     */
    public record GcSettings(boolean enabled, Duration interval, Duration grace, boolean deleteUntagged) {
        public static GcSettings defaults() {
            return new GcSettings(true, Duration.ofHours(1), Duration.ofHours(24), false);
        }
    }

    /**
     * lading.check.*: the scheduled content check ({@link ContentCheck}).
     *
     * @param enabled    check every {@code interval} (the first one an hour after start, or sooner with a shorter
     *                   interval)
     * @param interval   time between the end of one check and the start of the next
     * @param verify     read and hash every byte (else presence and size only: one stat per blob)
     * @param quarantine move damaged data aside
     * @param verifyRate bytes per second a verify check reads at most (0: as fast as storage gives them)
     */
    public record CheckSettings(boolean enabled, Duration interval, boolean verify, boolean quarantine,
                                long verifyRate) {
        public static CheckSettings defaults() {
            return new CheckSettings(true, Duration.ofHours(24), false, false, 0);
        }

        public ContentCheck.Options options() {
            return new ContentCheck.Options(verify, quarantine, verifyRate);
        }
    }

    /** Whether a collection is running, and the last one recorded. */
    public record GcStatus(boolean running, Optional<GcRunRecord> last) {
    }

    private final MetadataStore metadata;
    private final RegistryOptions options;
    private final GarbageCollector collector;
    private final GcSettings gc;
    private final CheckSettings checkSettings;
    private final ContentCheck check;
    private volatile Thread startedCheck;
    private volatile java.util.function.BiConsumer<GarbageCollector.Result, RuntimeException> observer = (r, e) -> {
    };

    public MaintenanceService(MetadataStore metadata, RegistryOptions options, GarbageCollector collector,
                              GcSettings gc, CheckSettings checkSettings, ContentCheck check) {
        this.metadata = metadata;
        this.options = options;
        this.collector = collector;
        this.gc = gc;
        this.checkSettings = checkSettings;
        this.check = check;
    }

    public GcSettings gcSettings() {
        return gc;
    }

    /** lading.check.*: the schedule, and what a check started without options of its own does. */
    public CheckSettings checkSettings() {
        return checkSettings;
    }

    public boolean readOnly() {
        return options.readOnly().get();
    }

    /** Switches read-only mode; writes get 405 UNSUPPORTED while it is on. Returns the new state. */
    public boolean setReadOnly(boolean on) {
        boolean was = options.readOnly().getAndSet(on);
        if (was != on) {
            LOG.warn("read-only mode switched {} at runtime", on ? "ON: pushes and deletes are refused" : "off");
        }
        return on;
    }

    /** Storage used by the whole registry, each blob counted once. */
    public Usage usage() {
        return metadata.read(tx -> tx.usage());
    }

    /** Storage used by one repository. @throws RegistryException NAME_UNKNOWN */
    public Usage usage(RepositoryName repository) {
        return metadata.read(tx -> tx.usage(repository)).orElseThrow(() ->
                new RegistryException(ErrorCode.NAME_UNKNOWN, "repository " + repository + " is unknown"));
    }

    public GcStatus gcStatus() {
        return new GcStatus(collector.isRunning(), collector.last());
    }

    /** The options of a collection with the configured grace, as the online collector runs it. */
    public GarbageCollector.Options gcOptions(boolean dryRun, Boolean deleteUntagged) {
        return new GarbageCollector.Options(gc.grace(), deleteUntagged == null ? gc.deleteUntagged() : deleteUntagged,
                dryRun, GarbageCollector.Orphans.SKIP);
    }

    /** Starts a collection in the background; false when one is already running. */
    public boolean startGc(boolean dryRun, Boolean deleteUntagged) {
        if (collector.isRunning()) {
            return false;
        }
        GarbageCollector.Options o = gcOptions(dryRun, deleteUntagged);
        Thread.ofVirtual().name("lading-gc-manual").start(() -> runGc(o));
        return true;
    }

    /**
     * Whether a content check is running (and how far it is), the last one this process finished, and why the last
     * one that started did not finish, if it did not.
     */
    public record CheckStatus(Optional<ContentCheck.Progress> running, Optional<ContentCheck.Result> last,
                              Optional<String> failure) {
    }

    public CheckStatus checkStatus() {
        return new CheckStatus(check.progress(), check.last(), check.lastFailure());
    }

    /**
     * Starts a content check in the background; false when one is already running. What it finds is logged, and
     * blobs whose data is gone answer 404 from then on (see {@link ContentCheck}).
     */
    public boolean startCheck(ContentCheck.Options o) {
        if (check.isRunning()) {
            return false;
        }
        startedCheck = Thread.ofVirtual().name("lading-check").start(() -> runCheck(o));
        return true;
    }

    /**
     * Stops a check {@link #startCheck} started, if it runs, and waits up to {@code wait} for it to end (the registry
     * is stopping, and closes the stores next).
     */
    public void stopStartedCheck(Duration wait) throws InterruptedException {
        Thread t = startedCheck;
        if (t != null) {
            t.interrupt();
            t.join(wait);
        }
    }

    /**
     * Runs a content check on the calling thread, logging instead of throwing; false when one was running. An
     * interrupt stops it between two blobs.
     */
    public boolean runCheck(ContentCheck.Options o) {
        try {
            check.run(o, new ContentCheck.Listener() {
            });
            return true;
        } catch (ContentCheck.AlreadyRunningException e) {
            return false;
        } catch (java.util.concurrent.CancellationException e) {
            LOG.info("content check stopped before it finished");
            return true;
        } catch (RuntimeException e) {
            LOG.error("content check failed", e);
            return true;
        }
    }

    /** Called after every collection this service runs: its result, or the failure (metrics). */
    public void observeRuns(java.util.function.BiConsumer<GarbageCollector.Result, RuntimeException> observer) {
        this.observer = observer;
    }

    /** Runs a collection on the calling thread, logging instead of throwing; false when one was running. */
    public boolean runGc(GarbageCollector.Options o) {
        try {
            GarbageCollector.Result r = collector.run(o, new GarbageCollector.Listener() {
            });
            observer.accept(r, null);
            return true;
        } catch (GarbageCollector.AlreadyRunningException e) {
            return false;
        } catch (RuntimeException e) {
            LOG.error("gc: collection failed", e);
            observer.accept(null, e);
            return true;
        }
    }
}
