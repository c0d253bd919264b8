package io.lading.storage;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The filesystem driver with O_DIRECT off (what it falls back to on tmpfs) passes the same contract. */
class BufferedFileSystemDriverTest extends StorageDriverContract {
    @TempDir
    Path root;

    @Override
    protected StorageDriver create() throws Exception {
        return new FileSystemDriver(root, false);
    }
}
