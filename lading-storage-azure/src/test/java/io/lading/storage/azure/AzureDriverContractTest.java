package io.lading.storage.azure;

import io.lading.storage.StorageDriver;
import io.lading.storage.StorageDriverContract;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** The driver contract every driver meets, against a real Azure Blob API server; each test below its own root. */
class AzureDriverContractTest extends StorageDriverContract {
    private static AzuriteServer server;
    private AzureDriver azure;

    @BeforeAll
    static void startServer() throws Exception {
        server = AzuriteServer.start();
        server.createContainer("contract");
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Override
    protected StorageDriver create() {
        azure = new AzureDriver(server.settings("contract", "/t-" + UUID.randomUUID() + "/"));
        return azure;
    }

    @AfterEach
    void closeDriver() {
        azure.close();
    }
}
