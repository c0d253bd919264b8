package io.lading.metadata.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lading.metadata.MetadataException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database that cannot grow is told apart from other failures, so the registry can answer "no space" instead of
 * an internal error. SQLite says SQLITE_FULL both when its disk is full and when it reaches max_page_count; the
 * second makes a full database without filling a disk.
 */
class DatabaseFullTest {
    @Test
    void aWriteThatCannotGrowTheDatabaseIsOutOfSpace(@TempDir Path dir) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("full.db"))) {
            try (var s = c.createStatement()) {
                s.execute("CREATE TABLE t (x BLOB)");
                s.execute("PRAGMA max_page_count = 4");
            }
            SqliteTx tx = new SqliteTx(c);
            assertThatThrownBy(() -> tx.update("INSERT INTO t VALUES (?)", (Object) new byte[64 * 1024]))
                    .isInstanceOf(MetadataException.class)
                    .satisfies(e -> assertThat(((MetadataException) e).outOfSpace()).as(e.getMessage()).isTrue());
            assertThatThrownBy(() -> tx.update("INSERT INTO missing VALUES (1)"))
                    .isInstanceOf(MetadataException.class)
                    .satisfies(e -> assertThat(((MetadataException) e).outOfSpace()).isFalse());
        }
    }
}
