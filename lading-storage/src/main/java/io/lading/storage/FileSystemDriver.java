package io.lading.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores files under a root directory. Commit fsyncs the file; move is an atomic rename followed by an fsync
 * of the target directory, so a committed, moved file survives a crash.
 *
 * <p>Writes of two mebibytes or more (or of unknown length) go through a {@link PipelinedFileWriter}, which writes on a
 * background thread while the caller receives the next bytes. With direct I/O on, large files bypass the page
 * cache both ways (O_DIRECT, where the file system supports it): writes that are expected to reach
 * {@link #DIRECT_MIN} bytes or of unknown length, and reads of files of at least that size through
 * {@link DirectFileReader}. Small files (manifests, configs, small layers) stay in the page cache, where repeated
 * reads of them are cheapest.
 */
public final class FileSystemDriver implements StorageDriver {
    private static final Logger LOG = LoggerFactory.getLogger(FileSystemDriver.class);
    /** Size from which files are written and read with O_DIRECT when direct I/O is on. */
    public static final long DIRECT_MIN = 4L << 20;
    private final Path root;
    private final boolean directWrites;
    private final boolean directReads;
    /** Null until the first {@link #putAll}. */
    private Optional<FileSystemSync> fileSystemSync;
    /** Runs before each sync of the whole file system in {@link #putAll}; tests observe the batch's order with it. */
    Runnable beforeFileSystemSync = () -> { };

    /** A driver that reads and writes through the page cache ({@code lading.storage.directio: false}). */
    public FileSystemDriver(Path root) throws IOException {
        this(root, false);
    }

    /** @param directIo true for direct I/O of large files where the file system supports it (class comment) */
    public FileSystemDriver(Path root, boolean directIo) throws IOException {
        this(root, directIo, directIo);
    }

    /**
     * A driver with direct writes and reads chosen apart: reads that are sent with {@code sendfile} must come from
     * the page cache, writes need not.
     */
    public FileSystemDriver(Path root, boolean directWrites, boolean directReads) throws IOException {
        this(root, directWrites, directReads, dir -> DirectChannel.probe(dir, PipelinedFileWriter.STAGE_SIZE));
    }

    /**
     * @param probe tells why O_DIRECT does not work in the root directory, or nothing when it does; asked once
     *              when direct I/O is wanted, and direct I/O is off when it answers
     */
    FileSystemDriver(Path root, boolean directWrites, boolean directReads,
                     java.util.function.Function<Path, Optional<String>> probe) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        Files.createDirectories(this.root);
        Optional<String> broken = directWrites || directReads ? probe.apply(this.root) : Optional.empty();
        broken.ifPresent(why -> LOG.warn("lading.storage.directio: O_DIRECT does not work in {} ({}); large blobs"
                + " are written and read through the page cache (set lading.storage.directio: false to skip this"
                + " check)", this.root, why));
        this.directWrites = directWrites && broken.isEmpty();
        this.directReads = directReads && broken.isEmpty();
    }

    private Path resolve(String path) {
        Path p = root.resolve(path.substring(1)).normalize();
        if (!p.startsWith(root)) {
            throw new InvalidStoragePathException(path);
        }
        return p;
    }

    @Override
    public String name() {
        return "filesystem";
    }

    @Override
    public ReadableByteChannel reader(String path, long offset) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(resolve(path), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new PathNotFoundException(path);
        }
        long size = ch.size();
        if (offset > size) {
            ch.close();
            throw new InvalidOffsetException(path, offset, size);
        }
        if (directReads && size >= DIRECT_MIN) {
            DirectFileReader direct;
            try {
                direct = DirectFileReader.open(resolve(path), offset);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            if (direct != null) {
                ch.close();
                return direct;
            }
        }
        return ch.position(offset);
    }

    /**
     * Reads with O_DIRECT ({@link DirectFileReader}) whatever the file's size and whether or not direct I/O is on,
     * where the file system supports it; through the page cache where it does not.
     */
    @Override
    public ReadableByteChannel uncachedReader(String path) throws IOException {
        DirectFileReader direct = DirectFileReader.openUnbounded(resolve(path)); // null when missing, too
        return direct != null ? direct : reader(path, 0);
    }

    @Override
    public FileWriter writer(String path, long offset) throws IOException {
        return writer(path, offset, -1);
    }

    @Override
    public FileWriter writer(String path, long offset, long expected) throws IOException {
        Path p = resolve(path);
        Files.createDirectories(p.getParent());
        FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
        long size = ch.size();
        if (offset > size) {
            ch.close();
            throw new InvalidOffsetException(path, offset, size);
        }
        if (size > offset) {
            ch.truncate(offset);
        }
        if (directWrites && (expected < 0 || offset + expected >= DIRECT_MIN)) {
            PipelinedFileWriter direct;
            try {
                direct = PipelinedFileWriter.direct(p, offset, ch);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            if (direct != null) {
                ch.close();
                return direct;
            }
        }
        // Below two stages nothing would be written while the caller receives: the hand-off would only add a wait.
        if (expected < 0 || expected >= 2L * PipelinedFileWriter.STAGE_SIZE) {
            PipelinedFileWriter pipelined = PipelinedFileWriter.buffered(p, offset, ch);
            if (pipelined != null) {
                return pipelined;
            }
        }
        ch.position(offset);
        return new Writer(p, ch, offset);
    }

    @Override
    public OptionalLong usableSpace() throws IOException {
        // Finding the file store reads the mount table: callers ask a few times a second at most (SpaceReserve).
        return OptionalLong.of(Files.getFileStore(root).getUsableSpace());
    }

    @Override
    public FileInfo stat(String path) throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(resolve(path), BasicFileAttributes.class);
            return new FileInfo(path, a.isDirectory() ? 0 : a.size(), a.lastModifiedTime().toInstant(), a.isDirectory());
        } catch (NoSuchFileException e) {
            throw new PathNotFoundException(path);
        }
    }

    @Override
    public List<String> list(String path) throws IOException {
        Path p = resolve(path);
        if (!Files.isDirectory(p)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        String prefix = path.equals("/") ? "" : path;
        try (Stream<Path> s = Files.list(p)) {
            s.forEach(c -> out.add(prefix + "/" + c.getFileName()));
        } catch (NoSuchFileException e) {
            return List.of();
        }
        return out;
    }

    /**
     * Moves a file and makes the move durable: the target directory and every directory on the way that this
     * move created (or that another move created and has not synced yet) are fsynced after the rename, before
     * this returns. Syncing after all the directory changes rather than after each lets one journal commit
     * carry them (on ext4 the further syncs find nothing left to write).
     */
    @Override
    public void move(String source, String destination) throws IOException {
        Path from = resolve(source);
        Path to = resolve(destination);
        List<Path> created = new ArrayList<>();
        createDirectories(to.getParent(), created);
        try {
            rename(from, to);
        } catch (NoSuchFileException e) {
            throw new PathNotFoundException(source); // directories it created stay marked unsynced: harmless
        }
        directorySync.accept(to.getParent());
        // Each directory entry of the chain must be durable too: the parent of every directory not yet known to
        // be synced, whoever created it.
        for (Path dir = to.getParent(); dir != null && !dir.equals(root) && dir.startsWith(root);
             dir = dir.getParent()) {
            if (created.contains(dir) || unsynced.contains(dir)) {
                directorySync.accept(dir.getParent());
                unsynced.remove(dir); // its entry is durable now, whoever created it
            }
        }
    }

    private static void rename(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Writes the files into {@code scratch}, makes their bytes durable with one sync of the whole file system,
     * renames each to its path, and makes the renames (and the directories made for them) durable with a second:
     * two device flushes for the batch, where moving each file costs three (the file, its directory, and the
     * directory that holds a new one), and no file is visible at its path before its bytes are durable. Without
     * syncfs (see {@link FileSystemSync}), file by file.
     */
    @Override
    public void putAll(Map<String, byte[]> files, String scratch) throws IOException {
        FileSystemSync sync = fileSystemSync();
        if (sync == null) {
            StorageDriver.super.putAll(files, scratch);
            return;
        }
        Path dir = resolve(scratch);
        try {
            Files.createDirectories(dir);
            List<Path> temporaries = new ArrayList<>(files.size());
            List<Path> targets = new ArrayList<>(files.size());
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                Path temporary = dir.resolve(Integer.toString(temporaries.size()));
                Files.write(temporary, file.getValue()); // not synced: the sync below covers the whole batch
                temporaries.add(temporary);
                targets.add(resolve(file.getKey()));
            }
            beforeFileSystemSync.run();
            sync.sync();
            List<Path> created = new ArrayList<>();
            for (int i = 0; i < targets.size(); i++) {
                createDirectories(targets.get(i).getParent(), created);
                rename(temporaries.get(i), targets.get(i));
            }
            beforeFileSystemSync.run();
            sync.sync();
            created.forEach(unsynced::remove); // their entries are durable now
        } finally {
            try {
                delete(scratch);
            } catch (PathNotFoundException e) {
                // never created
            }
        }
    }

    /** The file system's sync, opened at the first {@link #putAll}; null where syncfs is not available. */
    private synchronized FileSystemSync fileSystemSync() throws IOException {
        if (fileSystemSync == null) {
            fileSystemSync = FileSystemSync.open(root);
        }
        return fileSystemSync.orElse(null);
    }

    @Override
    public synchronized void close() {
        if (fileSystemSync != null) {
            fileSystemSync.ifPresent(FileSystemSync::close);
            fileSystemSync = Optional.empty();
        }
    }

    @Override
    public void delete(String path) throws IOException {
        Path p = resolve(path);
        if (!Files.exists(p)) {
            throw new PathNotFoundException(path);
        }
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                try {
                    Files.deleteIfExists(dir);
                } catch (DirectoryNotEmptyException e) {
                    // a concurrent writer created a file in it; leave the directory to it
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * Directories created by a move whose parent has not been fsynced yet. Without syncing the parent, a power
     * cut can drop the new directory entry (and the blob renamed into it) even though the blob's own directory
     * was synced; a concurrent move that finds such a directory in place syncs its parent itself rather than
     * trusting an entry that may not be durable yet.
     */
    final java.util.Set<Path> unsynced = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** How a directory is made durable; tests observe it. */
    java.util.function.Consumer<Path> directorySync = FileSystemDriver::syncDirectory;

    /** Creates {@code dir} and its missing parents, noting each it created. Existing directories cost one stat. */
    private void createDirectories(Path dir, List<Path> created) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.getParent();
        if (parent != null && parent.startsWith(root)) {
            createDirectories(parent, created);
        }
        // Marked before it exists, so that no other move can see it in place and not know it is unsynced; only a
        // sync of its parent (by whichever move gets there) unmarks it.
        unsynced.add(dir);
        try {
            Files.createDirectory(dir);
            created.add(dir);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // a concurrent move created it; it stays marked until one of us has synced its parent
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Some file systems refuse fsync on a directory; the rename itself has still happened.
        }
    }

    private static final class Writer implements FileWriter {
        private final Path path;
        private final FileChannel channel;
        /** Where this writer began: closing without a commit cuts the file back to it. */
        private final long start;

        Writer(Path path, FileChannel channel, long start) {
            this.path = path;
            this.channel = channel;
            this.start = start;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = 0;
            while (src.hasRemaining()) {
                n += channel.write(src);
            }
            return n;
        }

        @Override
        public long size() {
            try {
                return channel.position();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public void commit() throws IOException {
            try (channel) {
                channel.force(false);
            }
        }

        @Override
        public void cancel() throws IOException {
            channel.close();
            Files.deleteIfExists(path);
        }

        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        @Override
        public void close() throws IOException {
            if (channel.isOpen()) {
                try (channel) {
                    cutBack(channel, start, path);
                }
            }
        }
    }

    /**
     * Cuts a file a writer leaves without a commit back to where the writer began: its bytes past that were never
     * acknowledged, and on a full disk the space they hold is what the next request needs. Best effort: the next
     * writer at that offset cuts them anyway, and purging deletes what an abandoned upload leaves.
     */
    static void cutBack(FileChannel channel, long start, Path path) {
        try {
            if (channel.size() > start) {
                channel.truncate(start);
            }
        } catch (IOException e) {
            LOG.debug("could not cut {} back to {} bytes: {}", path, start, e.getMessage());
        }
    }
}
