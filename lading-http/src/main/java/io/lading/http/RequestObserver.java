package io.lading.http;

/**
 * Sees every finished request (metrics). Called on the request's thread after the response is complete; must
 * not block.
 */
@FunctionalInterface
public interface RequestObserver {
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
