package io.lading.storage;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class FileSystemDriverTest extends StorageDriverContract {
    @TempDir
    Path root;

    @Override
    protected StorageDriver create() throws Exception {
        return new FileSystemDriver(root);
    }
}
