package io.lading.storage;

import io.lading.core.Causes;
import java.io.IOException;
import java.nio.file.FileSystemException;

/**
 * Tells a failure caused by a full file system (or an exhausted disk quota) apart from other I/O failures. The JDK
 * has no exception type for it: a write, a directory creation or a rename that the kernel refuses with
 * {@code ENOSPC} or {@code EDQUOT} surfaces as a plain {@link IOException} (or a {@link FileSystemException})
 * carrying the C library's message for the error, so the message is all there is to go by.
 */
public final class OutOfSpace {
    /** glibc's and musl's messages for ENOSPC and EDQUOT. */
    private static final String[] MESSAGES = {"No space left on device", "Disk quota exceeded"};

    private OutOfSpace() {
    }

    /** Whether {@code failure}, or any failure in its chain of causes, is a file system out of space. */
    public static boolean causes(Throwable failure) {
        return Causes.of(failure).stream().anyMatch(t -> t instanceof IOException e && names(e));
    }

    private static boolean names(IOException e) {
        String text = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : e.getMessage();
        if (text == null) {
            return false;
        }
        for (String m : MESSAGES) {
            if (text.contains(m)) {
                return true;
            }
        }
        return false;
    }
}
