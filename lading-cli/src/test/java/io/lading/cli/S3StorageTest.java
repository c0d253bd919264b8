package io.lading.cli;

import io.lading.storage.StorageDriver;
import io.lading.storage.s3.S3Driver;
import io.lading.storage.s3.S3ProxyServer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A registry whose blobs live in a bucket (storage.s3), against S3Proxy, a real S3 API server. */
class S3StorageTest extends ObjectStoreTest {
    private static S3ProxyServer s3;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = S3ProxyServer.start();
        s3.createBucket("registry");
    }

    @AfterAll
    static void stopS3() {
        s3.close();
    }

    @Override
    String driverName() {
        return "s3";
    }

    @Override
    String storageSection(String root) {
        return s3.storageSection("registry", root) + "    chunksize: 5242880\n";
    }

    @Override
    String missingStoreSection(String root) {
        return s3.storageSection("no-such-bucket", root);
    }

    @Override
    List<String> missingStoreMessages() {
        return List.of("storage.s3: cannot list bucket no-such-bucket", "NoSuchBucket");
    }

    @Override
    StorageDriver driver(String root) {
        return new S3Driver(s3.settings("registry", root));
    }

    @Override
    int storePort() {
        return s3.endpoint().getPort();
    }
}
