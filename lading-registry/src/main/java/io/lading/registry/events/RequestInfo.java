package io.lading.registry.events;

/**
 * The request behind a change, as events report it ({@code request} and {@code actor} of distribution's event).
 * The HTTP layer binds it to the request's thread for the duration of the request; services read it when they
 * record an event, so no service signature has to carry it.
 *
 * <pre>{@code
 * try (var scope = RequestInfo.bind(new RequestInfo(id, "10.0.0.7:51234", "registry:5000", "PUT", "docker/27", "alice"))) {
 *     manifests.put(...);   // its push event names request id and actor
 * }
 * }</pre>
 *
 * @param actor the authenticated user, or null for anonymous requests
 */
public record RequestInfo(String id, String addr, String host, String method, String userAgent, String actor) {
    private static final ThreadLocal<RequestInfo> CURRENT = new ThreadLocal<>();

    /** Work outside any request (the collector, tests). */
    public static final RequestInfo NONE = new RequestInfo("", "", "", "", "", null);

    /** The request of the current thread, or {@link #NONE}. */
    public static RequestInfo current() {
        RequestInfo r = CURRENT.get();
        return r == null ? NONE : r;
    }

    /** Binds a request to the current thread until the returned scope is closed. */
    public static Scope bind(RequestInfo info) {
        RequestInfo previous = CURRENT.get();
        CURRENT.set(info);
        return () -> {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        };
    }

    /** The binding of a request to a thread. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
