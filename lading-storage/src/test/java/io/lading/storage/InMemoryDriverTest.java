package io.lading.storage;

class InMemoryDriverTest extends StorageDriverContract {
    @Override
    protected StorageDriver create() {
        return new InMemoryDriver();
    }
}
