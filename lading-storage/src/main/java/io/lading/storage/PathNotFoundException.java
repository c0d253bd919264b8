package io.lading.storage;

import java.io.IOException;

/** The storage path does not exist. */
public class PathNotFoundException extends IOException {
    public PathNotFoundException(String path) {
        super("path not found: " + path);
    }
}
