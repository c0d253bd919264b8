package io.lading.metadata;

/** The metadata database failed (I/O, corruption, or a bug); never caused by user input. */
public final class MetadataException extends RuntimeException {
    private final boolean outOfSpace;

    public MetadataException(String message, Throwable cause) {
        this(message, cause, false);
    }

    /** @param outOfSpace the database could not grow: its disk (or its configured size limit) is full */
    public MetadataException(String message, Throwable cause, boolean outOfSpace) {
        super(message, cause);
        this.outOfSpace = outOfSpace;
    }

    /**
     * Whether the database failed because it could not grow (SQLite's SQLITE_FULL); the same write succeeds once
     * there is space.
     */
    public boolean outOfSpace() {
        return outOfSpace;
    }
}
