package io.lading.registry;

import io.lading.core.ErrorCode;
import io.lading.core.RegistryException;
import io.lading.metadata.UploadRecord;

/** A chunk that does not start where the upload stands (416); carries the session so the reply can say where it is. */
public final class UploadRangeException extends RegistryException {
    private final transient UploadRecord upload;

    public UploadRangeException(UploadRecord upload, String message) {
        super(ErrorCode.RANGE_INVALID, message);
        this.upload = upload;
    }

    public UploadRecord upload() {
        return upload;
    }
}
