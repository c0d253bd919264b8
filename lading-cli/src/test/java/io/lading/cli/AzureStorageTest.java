package io.lading.cli;

import io.lading.storage.StorageDriver;
import io.lading.storage.azure.AzureDriver;
import io.lading.storage.azure.AzuriteServer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A registry whose blobs live in an Azure Blob Storage container (storage.azure), against Azurite, Microsoft's
 * Azure Storage API server, with the account key: blob GETs are redirected to URLs with a shared access signature.
 */
class AzureStorageTest extends ObjectStoreTest {
    private static AzuriteServer azurite;

    @BeforeAll
    static void startAzurite() throws Exception {
        azurite = AzuriteServer.start();
        azurite.createContainer("registry");
    }

    @AfterAll
    static void stopAzurite() {
        azurite.close();
    }

    @Override
    String driverName() {
        return "azure";
    }

    @Override
    String storageSection(String root) {
        return azurite.storageSection("registry", root);
    }

    @Override
    String missingStoreSection(String root) {
        return azurite.storageSection("no-such-container", root);
    }

    @Override
    List<String> missingStoreMessages() {
        return List.of("storage.azure: cannot list container no-such-container", "ContainerNotFound");
    }

    @Override
    StorageDriver driver(String root) {
        return new AzureDriver(azurite.settings("registry", root));
    }

    @Override
    int storePort() {
        return azurite.serviceUrl().getPort();
    }
}
