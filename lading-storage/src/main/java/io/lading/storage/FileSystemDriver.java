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
import java.util.stream.Stream;

/**
 * Stores files under a root directory. Commit fsyncs the file; move is an atomic rename followed by an fsync
 * of the target directory, so a committed, moved file survives a crash.
 */
public final class FileSystemDriver implements StorageDriver {
    private final Path root;
    private final boolean directWrites;

    /** A driver that writes with O_DIRECT where the file system supports it (see {@link DirectFileWriter}). */
    public FileSystemDriver(Path root) throws IOException {
        this(root, true);
    }

    /** @param directWrites false to write through the page cache even where O_DIRECT is available */
    public FileSystemDriver(Path root, boolean directWrites) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        this.directWrites = directWrites;
        Files.createDirectories(this.root);
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
        return ch.position(offset);
    }

    @Override
    public FileWriter writer(String path, long offset) throws IOException {
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
        if (directWrites) {
            DirectFileWriter direct;
            try {
                direct = DirectFileWriter.open(p, offset, ch);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            if (direct != null) {
                ch.close();
                return direct;
            }
        }
        ch.position(offset);
        return new Writer(p, ch);
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

    @Override
    public void move(String source, String destination) throws IOException {
        Path from = resolve(source);
        Path to = resolve(destination);
        createDirectoriesDurably(to.getParent());
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (NoSuchFileException e) {
            throw new PathNotFoundException(source);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
        syncDirectory(to.getParent());
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
     * Creates {@code dir} and its missing parents, and fsyncs the parent of each directory it created: without
     * that, a power cut can drop the new directory entry (and the blob renamed into it) even though the blob's
     * own directory was synced. Directories that already exist cost one stat.
     */
    private void createDirectoriesDurably(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.getParent();
        if (parent != null && parent.startsWith(root)) {
            createDirectoriesDurably(parent);
        }
        try {
            Files.createDirectory(dir);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            return; // a concurrent move created it (and syncs its parent)
        }
        if (parent != null) {
            syncDirectory(parent);
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Some file systems refuse fsync on a directory; the rename itself has still happened.
        }
    }

    private static final class Writer implements FileWriter {
        private final Path path;
        private final FileChannel channel;

        Writer(Path path, FileChannel channel) {
            this.path = path;
            this.channel = channel;
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
            channel.close();
        }
    }
}
