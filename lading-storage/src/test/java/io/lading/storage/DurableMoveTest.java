package io.lading.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which directories a move fsyncs: every new entry on the way to the file, including ones a concurrent move made. */
class DurableMoveTest {
    @TempDir
    Path root;

    private static void write(StorageDriver d, String path, String text) throws Exception {
        try (StorageDriver.FileWriter w = d.writer(path, 0)) {
            w.write(ByteBuffer.wrap(text.getBytes()));
            w.commit();
        }
    }

    @Test
    void aMoveSyncsTheTargetDirectoryAndTheParentOfEachDirectoryItCreated() throws Exception {
        FileSystemDriver d = new FileSystemDriver(root, false);
        List<Path> synced = new CopyOnWriteArrayList<>();
        d.directorySync = synced::add;
        write(d, "/uploads/one", "x");
        d.move("/uploads/one", "/blobs/ab/abcd/data");
        Path r = root.toAbsolutePath().normalize();
        assertThat(synced).containsExactly(r.resolve("blobs/ab/abcd"), r.resolve("blobs/ab"), r.resolve("blobs"), r);
        assertThat(d.unsynced).isEmpty();

        // Into directories that exist and are durable: only the target directory.
        synced.clear();
        write(d, "/uploads/two", "y");
        d.move("/uploads/two", "/blobs/ab/abcd/data");
        assertThat(synced).containsExactly(r.resolve("blobs/ab/abcd"));
    }

    @Test
    void aDirectoryAnotherMoveCreatedButHasNotSyncedIsSyncedByTheMoveThatUsesIt() throws Exception {
        FileSystemDriver d = new FileSystemDriver(root, false);
        Path r = root.toAbsolutePath().normalize();
        // As if a concurrent move had just created blobs/cd and not yet synced its parent.
        Files.createDirectories(r.resolve("blobs/cd"));
        d.unsynced.add(r.resolve("blobs/cd"));
        List<Path> synced = new CopyOnWriteArrayList<>();
        d.directorySync = synced::add;
        write(d, "/uploads/three", "z");
        d.move("/uploads/three", "/blobs/cd/cdef/data");
        assertThat(synced).containsExactly(r.resolve("blobs/cd/cdef"), r.resolve("blobs/cd"), r.resolve("blobs"));
        assertThat(d.unsynced).isEmpty();
        assertThat(Files.readString(r.resolve("blobs/cd/cdef/data"))).isEqualTo("z");
    }
}
