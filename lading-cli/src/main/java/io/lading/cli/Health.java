package io.lading.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lading.cli.config.LadingConfig;
import io.lading.http.DebugServer;
import io.lading.metadata.MetadataStore;
import io.lading.storage.PathNotFoundException;
import io.lading.storage.StorageDriver;
import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * {@code /debug/health} and {@code /debug/ready} on the debug listener.
 *
 * <p>Health: the storage driver (a stat of its root) and the metadata store (a one-row query) are checked on
 * each request, unless {@code health.storagedriver.enabled} asks for distribution's periodic storage check; the
 * periodic checks of distribution's {@code health} section run in the background: {@code file} (unhealthy while
 * the file exists), {@code http} (a HEAD answered with the expected status) and {@code tcp} (a connection), each
 * unhealthy after {@code threshold} failures in a row. 200 when every check passes, 503 naming what failed.
 *
 * <p>Readiness: 200 only while the registry serves (started, not draining for shutdown) and is healthy; a load
 * balancer takes it out of rotation as soon as SIGTERM starts the drain. {@code GET /v2/} stays a constant
 * answer that checks nothing.
 */
final class Health {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StorageDriver storage;
    private final MetadataStore metadata;
    private final LadingConfig.HealthChecks config;
    private final List<Periodic> periodic = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private ScheduledExecutorService scheduler;

    Health(StorageDriver storage, MetadataStore metadata, LadingConfig.HealthChecks config) {
        this.storage = storage;
        this.metadata = metadata;
        this.config = config;
        if (config.storageDriver() != null) {
            periodic.add(new Periodic("storage", config.storageDriver().interval(), config.storageDriver().threshold(),
                    this::checkStorage));
        }
        for (LadingConfig.FileCheck f : config.files()) {
            periodic.add(new Periodic("file:" + f.path(), f.interval(), 1, () -> {
                if (Files.exists(f.path())) {
                    throw new IOException("file exists (the registry is taken out of rotation)");
                }
            }));
        }
        for (LadingConfig.HttpCheck h : config.http()) {
            periodic.add(new Periodic("http:" + h.uri(), h.interval(), h.threshold(), () -> checkHttp(h)));
        }
        for (LadingConfig.TcpCheck t : config.tcp()) {
            periodic.add(new Periodic("tcp:" + t.addr(), t.interval(), t.threshold(), () -> {
                try (Socket s = new Socket()) {
                    s.connect(LadingApp.address(t.addr()), (int) t.timeout().toMillis());
                }
            }));
        }
    }

    /** Starts the periodic checks (each also runs once right away), on a thread of their own. */
    void start() {
        if (periodic.isEmpty()) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lading-health");
            t.setDaemon(true);
            return t;
        });
        for (Periodic p : periodic) {
            scheduler.scheduleWithFixedDelay(p::run, 0, p.interval.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        http.close();
    }

    private void checkStorage() throws IOException {
        try {
            storage.stat("/");
        } catch (PathNotFoundException e) {
            // an empty store has no root entry yet; the driver answered
        }
    }

    private void checkHttp(LadingConfig.HttpCheck h) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(h.uri()).timeout(h.timeout())
                .method("HEAD", HttpRequest.BodyPublishers.noBody());
        h.headers().forEach((k, vs) -> vs.forEach(v -> b.header(k, v)));
        int status = http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        if (status != h.statusCode()) {
            throw new IOException("HTTP " + status + ", expected " + h.statusCode());
        }
    }

    DebugServer.Rendered render() {
        ObjectNode out = JSON.createObjectNode();
        boolean ok = healthy(out);
        return new DebugServer.Rendered(ok ? 200 : 503, out.toString());
    }

    /** @param serving true from the start of the listener until the shutdown drain begins */
    DebugServer.Rendered ready(BooleanSupplier serving) {
        ObjectNode out = JSON.createObjectNode();
        boolean ok = healthy(out);
        boolean up = serving.getAsBoolean();
        out.put("serving", up ? "ok" : "not serving (starting or draining)");
        return new DebugServer.Rendered(ok && up ? 200 : 503, out.toString());
    }

    private boolean healthy(ObjectNode out) {
        boolean ok = true;
        if (config.storageDriver() == null) {
            ok = check(out, "storage", this::checkStorage);
        }
        ok &= check(out, "metadata", metadata::ping);
        for (Periodic p : periodic) {
            String error = p.error;
            out.put(p.name, error == null ? "ok" : error);
            ok &= error == null;
        }
        return ok;
    }

    private interface Check {
        void run() throws Exception;
    }

    private static boolean check(ObjectNode out, String name, Check check) {
        String error = attempt(check);
        out.put(name, error == null ? "ok" : error);
        return error == null;
    }

    /** Runs a check; null when it passed, else what went wrong. */
    private static String attempt(Check check) {
        try {
            check.run();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (Exception e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
    }

    /** A background check that turns unhealthy after {@code threshold} failures in a row. */
    private static final class Periodic {
        final String name;
        final Duration interval;
        final int threshold;
        final Check check;
        int failures;
        volatile String error;

        Periodic(String name, Duration interval, int threshold, Check check) {
            this.name = name;
            this.interval = interval;
            this.threshold = Math.max(1, threshold);
            this.check = check;
        }

        void run() {
            String e = attempt(check);
            if (e == null) {
                failures = 0;
                error = null;
            } else if (++failures >= threshold) {
                error = e;
            }
        }
    }
}
