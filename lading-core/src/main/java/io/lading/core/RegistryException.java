package io.lading.core;

/**
 * A failure with a spec error code, thrown from anywhere and mapped to status and JSON body only by the HTTP layer.
 */
public class RegistryException extends RuntimeException {
    private final ErrorCode code;
    private final Object detail;

    public RegistryException(ErrorCode code, String message) {
        this(code, message, null, null);
    }

    public RegistryException(ErrorCode code, String message, Object detail) {
        this(code, message, detail, null);
    }

    public RegistryException(ErrorCode code, String message, Object detail, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.detail = detail;
    }

    /** The spec error code. */
    public ErrorCode code() {
        return code;
    }

    /** Structured detail for the error body ({@code null} for none). */
    public Object detail() {
        return detail;
    }
}
