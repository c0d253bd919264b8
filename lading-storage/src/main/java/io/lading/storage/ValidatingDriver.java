package io.lading.storage;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.ReadableByteChannel;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * Wraps any driver and refuses paths outside the grammar of {@link StorageDriver}, so no driver can be made
 * to touch a file outside its root, whatever the layers above get wrong.
 */
public final class ValidatingDriver implements StorageDriver {
    private static final Pattern PATH = Pattern.compile("(/[A-Za-z0-9._-]+)+");
    private final StorageDriver delegate;

    public ValidatingDriver(StorageDriver delegate) {
        this.delegate = delegate;
    }

    static String check(String path) {
        if (path == null || !PATH.matcher(path).matches() || path.contains("/./") || path.contains("/../")
                || path.endsWith("/.") || path.endsWith("/..")) {
            throw new InvalidStoragePathException(String.valueOf(path));
        }
        return path;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public ReadableByteChannel reader(String path, long offset) throws IOException {
        if (offset < 0) {
            throw new InvalidOffsetException(path, offset, 0);
        }
        return delegate.reader(check(path), offset);
    }

    @Override
    public ReadableByteChannel uncachedReader(String path) throws IOException {
        return delegate.uncachedReader(check(path));
    }

    @Override
    public FileWriter writer(String path, long offset) throws IOException {
        return writer(path, offset, -1);
    }

    @Override
    public FileWriter writer(String path, long offset, long expected) throws IOException {
        if (offset < 0) {
            throw new InvalidOffsetException(path, offset, 0);
        }
        return delegate.writer(check(path), offset, expected);
    }

    @Override
    public FileInfo stat(String path) throws IOException {
        return delegate.stat(check(path));
    }

    @Override
    public List<String> list(String path) throws IOException {
        return delegate.list(check(path));
    }

    @Override
    public void move(String source, String destination) throws IOException {
        delegate.move(check(source), check(destination));
    }

    @Override
    public void delete(String path) throws IOException {
        delegate.delete(check(path));
    }

    @Override
    public void putAll(Map<String, byte[]> files, String scratch) throws IOException {
        files.keySet().forEach(ValidatingDriver::check);
        delegate.putAll(files, check(scratch));
    }

    @Override
    public OptionalLong usableSpace() throws IOException {
        return delegate.usableSpace();
    }

    @Override
    public Optional<URI> redirectUrl(String path, String method) {
        return delegate.redirectUrl(check(path), method);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
