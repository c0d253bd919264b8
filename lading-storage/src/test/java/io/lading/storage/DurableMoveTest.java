package io.lading.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which directories a move fsyncs: every new entry on the way to the file, including ones a concurrent move made; and
 * how a batch of small files is made durable with two syncs of the file system instead.
 */
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

    @Test
    void syncfsIsAvailableOnLinuxFromJava22() throws Exception {
        // Without this the batch below would silently take the file-by-file path, and the tests still pass.
        assumeTrue(System.getProperty("os.name").equals("Linux") && Runtime.version().feature() >= 22);
        Optional<FileSystemSync> sync = FileSystemSync.open(root);
        assertThat(sync).isPresent();
        sync.get().sync();
        // From a virtual thread (the staged writer's), the call is made on a platform thread of its own.
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread.ofVirtual().start(() -> {
            try {
                sync.get().sync();
            } catch (Throwable e) {
                failed.set(e);
            }
        }).join();
        assertThat(failed.get()).isNull();
        sync.get().close();
    }

    @Test
    void aBatchIsDurableBeforeAnyFileAppearsAtItsPathAndItsRenamesBeforeItReturns() throws Exception {
        Optional<FileSystemSync> available = FileSystemSync.open(root);
        available.ifPresent(FileSystemSync::close);
        assumeTrue(available.isPresent());
        FileSystemDriver d = new FileSystemDriver(root, false);
        Path r = root.toAbsolutePath().normalize();
        List<Path> targets = List.of(r.resolve("blobs/ab/ab01/data"), r.resolve("blobs/ab/ab02/data"),
                r.resolve("blobs/cd/cd01/data"));
        List<String> seen = new CopyOnWriteArrayList<>();
        d.beforeFileSystemSync = () -> {
            try (var scratch = Files.list(r.resolve("uploads/batch"))) {
                seen.add(targets.stream().filter(Files::exists).count() + " placed, "
                        + scratch.filter(f -> f.toFile().length() == 1).count() + " written");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        List<Path> synced = new CopyOnWriteArrayList<>();
        d.directorySync = synced::add;
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (Path t : targets) {
            files.put("/" + r.relativize(t), new byte[]{7});
        }
        d.putAll(files, "/uploads/batch");
        assertThat(seen).containsExactly("0 placed, 3 written", "3 placed, 0 written");
        assertThat(synced).isEmpty(); // no file-by-file syncs
        assertThat(d.unsynced).isEmpty(); // the directories it made are durable
        assertThat(Files.exists(r.resolve("uploads/batch"))).isFalse();
        d.close();
    }

    @Test
    void aBatchThatCannotPlaceAFileFailsAndLeavesNoScratch() throws Exception {
        FileSystemDriver d = new FileSystemDriver(root, false);
        write(d, "/q/file", "a file where a directory would have to be");
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("/q/first/data", new byte[]{1});
        files.put("/q/file/data", new byte[]{2});
        assertThatThrownBy(() -> d.putAll(files, "/uploads/failed")).isInstanceOf(IOException.class);
        assertThat(Files.exists(root.resolve("uploads/failed"))).isFalse();
        assertThat(Files.readString(root.resolve("q/file"))).isEqualTo("a file where a directory would have to be");
        d.close();
    }
}
