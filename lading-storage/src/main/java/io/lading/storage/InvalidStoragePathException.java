package io.lading.storage;

/** A storage path that breaks the {@link StorageDriver} path grammar; a programming error, never user input. */
public class InvalidStoragePathException extends IllegalArgumentException {
    public InvalidStoragePathException(String path) {
        super("invalid storage path: " + path);
    }
}
