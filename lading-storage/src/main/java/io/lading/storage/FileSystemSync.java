package io.lading.storage;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
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
 * <p>syncfs is reached through the JDK's foreign function API, final from Java 22. The project compiles for Java 21,
 * where that API is a preview, so the few calls that set it up are looked up reflectively; on Java 21, or where the
 * C library has no syncfs, {@link #open} returns empty and callers fsync file by file.
 */
final class FileSystemSync implements AutoCloseable {
    /** open(2), syncfs(2), close(2), and a way to pass a path to C; null when unavailable. */
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
    private record Natives(MethodHandle open, MethodHandle syncfs, MethodHandle close, Method ofConfined,
                           Method allocateFrom) {

        static Natives find() {
            if (Runtime.version().feature() < 22) {
                return null; // the API is a preview in 21, with other method names
            }
            try {
                Class<?> linkerClass = Class.forName("java.lang.foreign.Linker");
                Class<?> lookupClass = Class.forName("java.lang.foreign.SymbolLookup");
                Class<?> segmentClass = Class.forName("java.lang.foreign.MemorySegment");
                Class<?> layoutClass = Class.forName("java.lang.foreign.MemoryLayout");
                Class<?> descriptorClass = Class.forName("java.lang.foreign.FunctionDescriptor");
                Class<?> optionClass = Class.forName("java.lang.foreign.Linker$Option");
                Class<?> valueLayoutClass = Class.forName("java.lang.foreign.ValueLayout");
                Class<?> arenaClass = Class.forName("java.lang.foreign.Arena");
                Object linker = linkerClass.getMethod("nativeLinker").invoke(null);
                Object libc = linkerClass.getMethod("defaultLookup").invoke(linker);
                Object javaInt = valueLayoutClass.getField("JAVA_INT").get(null);
                Object address = valueLayoutClass.getField("ADDRESS").get(null);
                var find = lookupClass.getMethod("find", String.class);
                var descriptor = descriptorClass.getMethod("of", layoutClass, layoutClass.arrayType());
                var downcall = linkerClass.getMethod("downcallHandle", segmentClass, descriptorClass,
                        optionClass.arrayType());
                Object noOptions = Array.newInstance(optionClass, 0);
                MethodHandle[] handles = new MethodHandle[3];
                String[] names = {"open", "syncfs", "close"};
                Object[][] arguments = {{address, javaInt}, {javaInt}, {javaInt}};
                for (int i = 0; i < names.length; i++) {
                    Optional<?> symbol = (Optional<?>) find.invoke(libc, names[i]);
                    if (symbol.isEmpty()) {
                        return null; // not Linux, or a C library without syncfs
                    }
                    Object args = Array.newInstance(layoutClass, arguments[i].length);
                    for (int j = 0; j < arguments[i].length; j++) {
                        Array.set(args, j, arguments[i][j]);
                    }
                    handles[i] = (MethodHandle) downcall.invoke(linker, symbol.get(),
                            descriptor.invoke(null, javaInt, args), noOptions);
                }
                return new Natives(handles[0], handles[1], handles[2], arenaClass.getMethod("ofConfined"),
                        Class.forName("java.lang.foreign.SegmentAllocator").getMethod("allocateFrom", String.class));
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }

        int open(Path dir) throws IOException {
            try (AutoCloseable arena = (AutoCloseable) ofConfined.invoke(null)) {
                Object path = allocateFrom.invoke(arena, dir.toAbsolutePath().toString());
                return (int) open.invoke(path, 0); // O_RDONLY
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
