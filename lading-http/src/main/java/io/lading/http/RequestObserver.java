package io.lading.http;

/**
 * Sees every request begin and finish (metrics, the staged-content writer). Called on the request's thread, when
 * it is received and after the response is complete; must not block.
 */
@FunctionalInterface
public interface RequestObserver {
    /** A request was received; {@link #completed} follows for each. */
    default void started() {
    }

    /**
     * @param route    a bounded label: base, catalog, tags, manifests, blobs, upload_start, upload_session,
     *                 referrers, admin, token or other
     * @param bytesIn  request body bytes read
     * @param bytesOut response body bytes written
     */
    void completed(String route, String method, int status, long nanos, long bytesIn, long bytesOut);

    RequestObserver NONE = (route, method, status, nanos, in, out) -> {
    };
}
