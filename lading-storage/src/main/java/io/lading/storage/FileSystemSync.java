package io.lading.storage;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Makes everything written to one file system durable at once: Linux's syncfs(2), followed by an fsync of the
 * directory it was opened on. Where fsync costs a device flush (and, in a virtual machine, an exit to the host) per
 * file and per directory, one syncfs writes a whole batch of new files with the block layer merging their writes,
 * and flushes once. The fsync after it supplies a flush that follows every write syncfs made: on ext4 without a
 * journal, syncfs flushes the device before its last metadata writes have completed.
 *
 * <p>syncfs is reached through the JDK's foreign function API ({@link Libc}); on Java 21, or where the C library has
 * no syncfs, {@link #open} returns empty and callers fsync file by file.
 */
final class FileSystemSync implements AutoCloseable {
    /** open(2), syncfs(2) and close(2); null when unavailable. */
    private static final Natives NATIVES = Natives.find();

    private final Path dir;
    private final int fd;

    private FileSystemSync(Path dir, int fd) {
        this.dir = dir;
        this.fd = fd;
    }

    /**
     * Opens the file system of {@code dir}, or returns empty when syncfs is not available here.
     *
     * @throws IOException when syncfs is available and {@code dir} cannot be opened
     */
    static Optional<FileSystemSync> open(Path dir) throws IOException {
        if (NATIVES == null) {
            return Optional.empty();
        }
        int fd = NATIVES.open(dir);
        if (fd < 0) {
            throw new IOException("cannot open " + dir + " to sync its file system");
        }
        return Optional.of(new FileSystemSync(dir, fd));
    }

    /**
     * Returns once everything written to the file system before this call is durable. Called on a virtual thread,
     * the system call runs on a platform thread of its own while the caller waits unmounted: a native call holds a
     * virtual thread's carrier for its whole length (the JDK adds no carrier for it, as it does around blocking file
     * I/O), and syncfs can take a long time when much is dirty, so it would otherwise take a carrier from requests.
     */
    void sync() throws IOException {
        if (!Thread.currentThread().isVirtual()) {
            syncHere();
            return;
        }
        FutureTask<Void> call = new FutureTask<>(() -> {
            syncHere();
            return null;
        });
        Thread.ofPlatform().daemon().name("lading-syncfs").start(call);
        try {
            call.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the sync goes on; whether it covers our writes is unknown
            throw new InterruptedIOException("interrupted waiting for syncfs on the file system of " + dir);
        }
    }

    private void syncHere() throws IOException {
        if (NATIVES.syncfs(fd) != 0) {
            throw new IOException("syncfs failed on the file system of " + dir);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    @Override
    public void close() {
        NATIVES.close(fd);
    }

    /** The downcalls, set up once. */
    private record Natives(MethodHandle open, MethodHandle syncfs, MethodHandle close) {

        static Natives find() {
            MethodHandle open = Libc.function("open", Libc.Type.INT, Libc.Type.POINTER, Libc.Type.INT);
            MethodHandle syncfs = Libc.function("syncfs", Libc.Type.INT, Libc.Type.INT);
            MethodHandle close = Libc.function("close", Libc.Type.INT, Libc.Type.INT);
            // null: not Linux, a C library without syncfs, or Java 21
            return open == null || syncfs == null || close == null ? null : new Natives(open, syncfs, close);
        }

        int open(Path dir) throws IOException {
            try {
                return Libc.withString(dir.toAbsolutePath().toString(), path -> (int) open.invoke(path, 0)); // O_RDONLY
            } catch (Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IOException("cannot open " + dir + " to sync its file system", e);
            }
        }

        int syncfs(int fd) throws IOException {
            try {
                return (int) syncfs.invokeExact(fd);
            } catch (Error | RuntimeException e) {
                throw e;
            } catch (Throwable e) {
                throw new IOException("syncfs failed", e);
            }
        }

        void close(int fd) {
            try {
                int ignored = (int) close.invokeExact(fd);
            } catch (Throwable e) {
                // nothing left to release
            }
        }
    }
}
