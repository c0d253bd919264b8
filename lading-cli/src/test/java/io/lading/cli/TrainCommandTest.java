package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TrainCommandTest {

    @Test
    void runsTheWorkloadAgainstATemporaryRegistryAndDeletesIt(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = new CommandLine(new TrainCommand(new PrintStream(err, true, StandardCharsets.UTF_8)))
                .execute("--clients", "2", "--rounds", "30", "--dir", dir.toString());
        String output = err.toString(StandardCharsets.UTF_8);
        assertThat(rc).as(output).isZero();
        // 2 clients: a config push (2 requests), 30 rounds of 7, and rounds 0 and 25 add a chunked push (6), two
        // fetches, a mount and the tag and catalog pages (at least 2); round 0 adds a large push (2) and 6 pulls
        assertThat(output).containsPattern("lading train: (4[6-9]\\d|5\\d\\d) requests \\(16 MiB of large blobs"
                + " pushed, 96 MiB pulled\\) in [0-9.]+ s");
        try (var left = Files.list(dir)) {
            assertThat(left).as("temporary registry deleted").isEmpty();
        }
    }

    @Test
    void aDirectoryThatCannotHoldTheRegistryIsAnErrorNamingIt(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-directory"), "x");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = new CommandLine(new TrainCommand(new PrintStream(err, true, StandardCharsets.UTF_8)))
                .execute("--dir", file.toString());
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("lading train: cannot create a working directory under " + file);
    }
}
