package io.lading.core;

/**
 * The error codes of the OCI Distribution Spec and the Docker Registry V2 API, each with the HTTP status it is
 * answered with and the spec's message. {@code lading-http} is the only place that turns them into a response.
 */
public enum ErrorCode {
    BLOB_UNKNOWN(404, "blob unknown to registry"),
    BLOB_UPLOAD_INVALID(400, "blob upload invalid"),
    BLOB_UPLOAD_UNKNOWN(404, "blob upload unknown to registry"),
    DIGEST_INVALID(400, "provided digest did not match uploaded content"),
    MANIFEST_BLOB_UNKNOWN(400, "manifest references a manifest or blob unknown to registry"),
    MANIFEST_INVALID(400, "manifest invalid"),
    MANIFEST_UNKNOWN(404, "manifest unknown to registry"),
    NAME_INVALID(400, "invalid repository name"),
    NAME_UNKNOWN(404, "repository name not known to registry"),
    SIZE_INVALID(400, "provided length did not match content length"),
    TAG_INVALID(400, "manifest tag did not match URI"),
    UNAUTHORIZED(401, "authentication required"),
    DENIED(403, "requested access to the resource is denied"),
    UNSUPPORTED(405, "the operation is unsupported"),
    TOOMANYREQUESTS(429, "too many requests"),
    PAGINATION_NUMBER_INVALID(400, "invalid number of results requested"),
    RANGE_INVALID(416, "invalid content range"),
    /** Not a spec code; answered for bodies over a limit (manifests over 4 MiB). */
    SIZE_TOO_LARGE(413, "payload too large"),
    /**
     * Not a spec code; a request that conflicts with what the registry holds: a delete of content others still
     * need (a manifest an index lists, a subject with referrers, a blob a manifest references), or a garbage
     * collection while one runs. Sent as DENIED, which clients already know.
     */
    CONFLICT(409, "the request conflicts with what the registry holds"),
    /**
     * Not a spec code; a request the HTTP server could not read (a bad URI, header or length), answered before any
     * handler.
     */
    MALFORMED_REQUEST(400, "the request is not valid HTTP"),
    /** Not a spec code; answered for failures that are the registry's fault. */
    INTERNAL(500, "internal server error"),
    /** Not a spec code; the registry cannot serve right now (shutting down, store unavailable). */
    UNAVAILABLE(503, "service unavailable"),
    /**
     * Not a spec code; a pull-through cache could not get content it does not hold from the registry it mirrors
     * (unreachable, refused, rate limited), or got bytes that do not match their digest. 502 Bad Gateway.
     */
    UPSTREAM_FAILED(502, "the upstream registry failed"),
    /**
     * Not a spec code; the disk under the blob store or the metadata database has no space left for the request.
     * Answered 507 (Insufficient Storage, RFC 4918) rather than 500: nothing is wrong with the request or the
     * registry's code, and the same request succeeds once the operator frees space.
     */
    INSUFFICIENT_STORAGE(507, "insufficient storage");

    private final int status;
    private final String message;

    ErrorCode(int status, String message) {
        this.status = status;
        this.message = message;
    }

    /** The HTTP status this code is answered with. */
    public int status() {
        return status;
    }

    /** The spec's short message for this code. */
    public String message() {
        return message;
    }

    /** The code as it appears on the wire; the non-spec codes use names clients already know. */
    public String wireCode() {
        return switch (this) {
            case SIZE_TOO_LARGE -> "SIZE_INVALID";
            case CONFLICT -> "DENIED";
            case MALFORMED_REQUEST, INTERNAL, UNAVAILABLE, UPSTREAM_FAILED, INSUFFICIENT_STORAGE -> "UNKNOWN";
            default -> name();
        };
    }
}
