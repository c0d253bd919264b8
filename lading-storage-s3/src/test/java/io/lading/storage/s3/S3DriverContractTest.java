package io.lading.storage.s3;

import io.lading.storage.StorageDriver;
import io.lading.storage.StorageDriverContract;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** The driver contract every driver meets, against a real S3 API server; each test below its own root. */
class S3DriverContractTest extends StorageDriverContract {
    private static S3ProxyServer server;
    private S3Driver s3;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3ProxyServer.start();
        server.createBucket("contract");
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Override
    protected StorageDriver create() {
        s3 = new S3Driver(server.settings("contract", "/t-" + UUID.randomUUID() + "/"));
        return s3;
    }

    @AfterEach
    void closeDriver() {
        s3.close();
    }
}
