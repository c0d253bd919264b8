package io.lading.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lading.core.Causes;
import io.lading.core.ErrorCode;
import io.lading.core.RegistryException;
import io.lading.metadata.MetadataException;
import io.lading.storage.OutOfSpace;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that turns failures into HTTP: a {@link RegistryException} becomes its code's status with the
 * spec's JSON body; a full disk under the blob store or the metadata database is answered 507; anything else is
 * the registry's fault, logged with its stack and answered 500 (or 503 when the metadata store is unavailable) in
 * the same JSON shape, without internals.
 */
final class ErrorResponses {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorResponses.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A status and JSON body ready to send. */
    record Rendered(int status, byte[] body) {
    }

    private ErrorResponses() {
    }

    static Rendered render(Throwable failure, String method, String path) {
        if (failure instanceof RegistryException re && re.code() != ErrorCode.INTERNAL) {
            return new Rendered(re.code().status(), body(re.code(), re.getMessage(), re.detail()));
        }
        if (outOfSpace(failure)) {
            // Not a fault of the registry's, and the operator's to fix: one line naming it, no stack.
            LOG.warn("{} {} failed: no space left for it ({})", method, path,
                    Causes.of(failure).getLast().getMessage());
            ErrorCode full = ErrorCode.INSUFFICIENT_STORAGE;
            return new Rendered(full.status(), body(full, "the registry has no space left to store this; it can"
                    + " succeed once the registry's operator frees space", null));
        }
        ErrorCode code = failure instanceof MetadataException ? ErrorCode.UNAVAILABLE : ErrorCode.INTERNAL;
        LOG.error("{} {} failed", method, path, failure);
        return new Rendered(code.status(), body(code, code.message(), null));
    }

    /** A full disk under the blob store (the kernel's ENOSPC or EDQUOT) or under the metadata database. */
    private static boolean outOfSpace(Throwable failure) {
        return OutOfSpace.causes(failure)
                || Causes.of(failure).stream().anyMatch(t -> t instanceof MetadataException m && m.outOfSpace());
    }

    /**
     * The body of a response Jetty makes itself ({@link JsonErrorHandler}) with {@code status}: a client error
     * carries Jetty's reason, a server error only its code's message (the failure is logged where it happened).
     */
    static byte[] ofHttpStatus(int status, String reason) {
        if (status >= 500) {
            ErrorCode code = status == HttpStatus.SERVICE_UNAVAILABLE_503 ? ErrorCode.UNAVAILABLE : ErrorCode.INTERNAL;
            return body(code, null, null);
        }
        String what = HttpStatus.getMessage(status);
        String message = reason == null || reason.isBlank() || reason.equals(what) ? what : what + ": " + reason;
        return body(status == HttpStatus.NOT_FOUND_404 ? ErrorCode.NAME_UNKNOWN : ErrorCode.MALFORMED_REQUEST, message,
                null);
    }

    static byte[] body(ErrorCode code, String message, Object detail) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode errors = root.putArray("errors");
        ObjectNode e = errors.addObject();
        e.put("code", code.wireCode());
        e.put("message", message == null ? code.message() : message);
        e.set("detail", detail == null ? JSON.nullNode() : JSON.valueToTree(detail));
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }
}
