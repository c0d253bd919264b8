package io.lading.registry;

import io.lading.core.ErrorCode;
import io.lading.core.RegistryException;
import java.io.IOException;

/** Turns a storage I/O failure into a registry error: the registry's fault, so a 500 with the cause kept. */
final class StorageFailure {
    private StorageFailure() {
    }

    static RegistryException of(String what, IOException e) {
        return new RegistryException(ErrorCode.INTERNAL, what + ": " + e.getMessage(), null, e);
    }
}
