package io.lading.cli;

import io.lading.core.Digest;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/** Damage done to a stopped registry's metadata database behind its back, with SQL, for the commands to find. */
final class MetadataDamage {
    private MetadataDamage() {
    }

    /** Adds a tag {@code ghost} in every repository, naming {@code blob}, which is no manifest there. */
    static void ghostTag(Path dataDir, Digest blob) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("metadata.db"));
             Statement s = c.createStatement()) {
            s.execute("INSERT INTO tags (repository_id, name, blob_id, updated_at) SELECT r.id, 'ghost', b.id, 0"
                    + " FROM repositories r, blobs b WHERE b.digest = '" + blob + "'");
        }
    }
}
