package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.http.DebugServer;
import io.lading.metadata.sqlite.SqliteMetadataStore;
import io.lading.storage.FileSystemDriver;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HealthTest {
    @Test
    void healthyWhenStorageAndMetadataAnswerAnd503NamingWhatDoesNot(@TempDir Path dir) throws Exception {
        SqliteMetadataStore metadata = SqliteMetadataStore.open(dir.resolve("m.db"));
        Health health = new Health(new FileSystemDriver(dir.resolve("data")), metadata);
        DebugServer.Rendered ok = health.render();
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("{\"storage\":\"ok\",\"metadata\":\"ok\"}");

        metadata.close();
        DebugServer.Rendered down = health.render();
        assertThat(down.status()).isEqualTo(503);
        assertThat(down.body()).contains("\"storage\":\"ok\"").doesNotContain("\"metadata\":\"ok\"");
    }
}
