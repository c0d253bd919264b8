package io.lading.cli;

import io.lading.core.Causes;
import java.net.BindException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.List;

/**
 * One line that says why {@code lading serve} could not start, for an operator: the JDK's file exceptions carry
 * only a path when the kernel's reason maps to their type, and a failed bind only names the address.
 */
final class StartupFailure {
    private StartupFailure() {
    }

    static String describe(Throwable failure) {
        List<Throwable> causes = Causes.of(failure);
        for (Throwable t : causes) {
            if (t instanceof BindException b) {
                return (failure.getMessage() == null ? "" : failure.getMessage() + ": ") + b.getMessage()
                        + " (the address comes from --listen, http.addr or http.debug.addr)";
            }
        }
        StringBuilder line = new StringBuilder();
        for (Throwable t : causes) {
            String part = t instanceof FileSystemException f ? file(f) : t.getMessage();
            if (part != null && !line.toString().contains(part)) {
                line.append(line.isEmpty() ? "" : ": ").append(part);
            }
        }
        return line.isEmpty() ? failure.toString() : line.toString();
    }

    private static String file(FileSystemException f) {
        String reason = f.getReason();
        if (reason == null) {
            reason = switch (f) {
                case NoSuchFileException e -> "no such file or directory";
                case AccessDeniedException e -> "permission denied";
                case FileAlreadyExistsException e -> "a file is in the way";
                case NotDirectoryException e -> "not a directory";
                default -> f.getClass().getSimpleName();
            };
        }
        return f.getFile() + ": " + reason;
    }
}
