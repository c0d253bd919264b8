package io.lading.metadata.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the SQLite that Lading bundles runs the statements whose plan decides their cost. */
class QueryPlanTest {
    @Test
    void theCollectorsLiveSetFindsEachLiveManifestsChildrenAndReferrersByIndex(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("metadata.db");
        SqliteMetadataStore.open(file).close(); // the current schema, as a registry creates it
        List<String> plan = plan(file, SqliteTx.UNREACHABLE_MANIFESTS);
        // Referrers of one live manifest: a search by subject, not a walk over the repository's referrers.
        assertThat(plan).anySatisfy(step ->
                assertThat(step).contains("manifests_by_subject (repository_id=? AND subject=?)"));
        assertThat(plan).anySatisfy(step ->
                assertThat(step).contains("SEARCH c USING PRIMARY KEY (repository_id=? AND manifest_id=? AND kind=?)"));
        assertThat(plan).noneSatisfy(step -> assertThat(step).matches(".*SCAN (m|c|b)\\b.*"));
    }

    @Test
    void aPageOfTheCollectorsUnreferencedLinksReadsTheLinksInKeyOrderWithoutSorting(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("metadata.db");
        SqliteMetadataStore.open(file).close();
        List<String> plan = plan(file, SqliteTx.UNREFERENCED_LINKS);
        assertThat(plan).anySatisfy(step ->
                assertThat(step).contains("SEARCH rb USING PRIMARY KEY (repository_id=? AND blob_id>?)"));
        assertThat(plan).noneSatisfy(step -> assertThat(step).contains("TEMP B-TREE"));
    }

    @Test
    void whereABlobIsUsedIsFoundByIndexInEveryTable(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("metadata.db");
        SqliteMetadataStore.open(file).close();
        List<String> plan = plan(file, SqliteTx.BLOB_USES);
        assertThat(plan).anySatisfy(step -> assertThat(step).contains("repository_blobs_by_blob (blob_id=?)"));
        assertThat(plan).anySatisfy(step -> assertThat(step).contains("manifests_by_blob (blob_id=?)"));
        assertThat(plan).anySatisfy(step -> assertThat(step).contains("manifest_references_by_child (child_digest=?)"));
        assertThat(plan).noneSatisfy(step -> assertThat(step).matches(".*SCAN (rb|m|c|t|b|r)\\b.*"));
    }

    private static List<String> plan(Path file, String sql) throws Exception {
        List<String> steps = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("EXPLAIN QUERY PLAN " + sql)) {
            while (rs.next()) {
                steps.add(rs.getString("detail"));
            }
        }
        return steps;
    }
}
