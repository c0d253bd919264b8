package io.lading.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A real webhook receiver for notification tests: a JDK HTTP server on a loopback port that records every
 * request and answers what {@link #respond} says (204 by default).
 */
public final class EventReceiver implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request as received. */
    public record Received(Instant at, String contentType, String authorization, String body, int status) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        /** The events of a distribution envelope. */
        public List<JsonNode> events() {
            List<JsonNode> out = new ArrayList<>();
            json().path("events").forEach(out::add);
            return out;
        }
    }

    /** What to answer: a status and an optional Retry-After. */
    public record Reply(int status, String retryAfter) {
        public static Reply of(int status) {
            return new Reply(status, null);
        }
    }

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile Function<Received, Reply> respond = r -> Reply.of(204);

    private final String path;

    /** Listens on {@code port} (0: any free port) at /events. */
    public EventReceiver(int port) throws IOException {
        this(port, "/events");
    }

    /** Listens on {@code port} (0: any free port) at {@code path} and below. */
    public EventReceiver(int port, String path) throws IOException {
        this.path = path;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 50);
        server.createContext(path, this::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    public EventReceiver() throws IOException {
        this(0);
    }

    private void handle(HttpExchange x) throws IOException {
        Received r = new Received(Instant.now(), x.getRequestHeaders().getFirst("Content-Type"),
                x.getRequestHeaders().getFirst("Authorization"),
                new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8), 0);
        Reply reply = respond.apply(r);
        received.add(new Received(r.at(), r.contentType(), r.authorization(), r.body(), reply.status()));
        if (reply.retryAfter() != null) {
            x.getResponseHeaders().add("Retry-After", reply.retryAfter());
        }
        x.sendResponseHeaders(reply.status(), -1);
        x.close();
    }

    public void respond(Function<Received, Reply> respond) {
        this.respond = respond;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** Every request so far. */
    public List<Received> requests() {
        return List.copyOf(received);
    }

    /** Events of requests that were answered with a success (2xx/3xx), in arrival order. */
    public List<JsonNode> deliveredEvents() {
        List<JsonNode> out = new ArrayList<>();
        for (Received r : received) {
            if (r.status() < 400) {
                out.addAll(r.events());
            }
        }
        return out;
    }

    /** Waits until {@code condition} holds for the requests received, or fails after {@code timeout}. */
    public List<Received> await(Predicate<List<Received>> condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<Received> now = requests();
            if (condition.test(now)) {
                return now;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("condition not met within " + timeout + "; received " + requests().size()
                + " request(s): " + requests().stream().map(Received::body).toList());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
