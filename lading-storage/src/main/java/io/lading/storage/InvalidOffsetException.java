package io.lading.storage;

import java.io.IOException;

/** A read or write was asked to start past the end of a file. */
public class InvalidOffsetException extends IOException {
    public InvalidOffsetException(String path, long offset, long size) {
        super("offset " + offset + " is past the end (" + size + ") of " + path);
    }
}
