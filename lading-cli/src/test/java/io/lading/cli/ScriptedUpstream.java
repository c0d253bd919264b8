package io.lading.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.lading.core.Digest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A registry whose every answer a test decides, for what a real one will not do on request: send bytes that do not
 * match their digest, send a blob slowly, and count how often it was asked. It answers the GETs and HEADs of
 * manifests and blobs a pull-through cache makes, without authentication.
 */
final class ScriptedUpstream implements AutoCloseable {
    /** A manifest or blob as served: its bytes, and the digest header sent with them. */
    record Served(String contentType, byte[] bytes, String digestHeader) {
    }

    private final HttpServer server;
    private final Map<String, Served> content = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> gets = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    /** Pause after each 64 KiB of a blob body, so that requests overlap. */
    volatile long pauseMillis;
    /** When not null, every request is answered 429 with this Retry-After (seconds). */
    volatile String busyRetryAfter;

    ScriptedUpstream() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::answer);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Serves {@code bytes} at {@code path} (/v2/...), claiming {@code digest} for them. */
    void serve(String path, String contentType, byte[] bytes, Digest digest) {
        content.put(path, new Served(contentType, bytes, digest.toString()));
    }

    /** How many requests (any method) {@code path} had. */
    int requests(String path) {
        return requests.computeIfAbsent(path, p -> new AtomicInteger()).get();
    }

    /** How many GETs {@code path} had. */
    int gets(String path) {
        return gets.computeIfAbsent(path, p -> new AtomicInteger()).get();
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            boolean head = exchange.getRequestMethod().equals("HEAD");
            if (!head) {
                gets.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            }
            requests.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            String busy = busyRetryAfter;
            if (busy != null) {
                exchange.getResponseHeaders().set("Retry-After", busy);
                exchange.sendResponseHeaders(429, -1);
                return;
            }
            Served s = content.get(path);
            if (s == null) {
                byte[] body = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"unknown\"}]}".getBytes();
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(404, head ? -1 : body.length);
                if (!head) {
                    exchange.getResponseBody().write(body);
                }
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", s.contentType());
            exchange.getResponseHeaders().set("Docker-Content-Digest", s.digestHeader());
            if (head) {
                exchange.getResponseHeaders().set("Content-Length", Long.toString(s.bytes().length));
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, s.bytes().length);
            OutputStream out = exchange.getResponseBody();
            for (int off = 0; off < s.bytes().length; off += 65536) {
                out.write(s.bytes(), off, Math.min(65536, s.bytes().length - off));
                out.flush();
                if (pauseMillis > 0) {
                    Thread.sleep(pauseMillis);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
