package io.lading.metadata;

/** The metadata database failed (I/O, corruption, or a bug); never caused by user input. */
public final class MetadataException extends RuntimeException {
    public MetadataException(String message, Throwable cause) {
        super(message, cause);
    }
}
