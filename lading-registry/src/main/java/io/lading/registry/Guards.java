package io.lading.registry;

import io.lading.core.ErrorCode;
import io.lading.core.RegistryException;

/** Checks shared by the services: read-only mode and disabled deletes. */
final class Guards {
    private Guards() {
    }

    static void writable(RegistryOptions options) {
        if (options.readOnly().get()) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, "the registry is in read-only mode");
        }
    }

    static void deletable(RegistryOptions options) {
        writable(options);
        if (!options.deleteEnabled()) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, "deletes are disabled (storage.delete.enabled)");
        }
    }
}
