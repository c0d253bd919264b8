package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `lading serve` that cannot start says why in one line and exits with 2, without a stack trace. */
class StartupFailureTest {
    @TempDir
    Path dir;

    @Test
    void aTakenAddressIsOneLineNamingTheAddressAndWhereItComesFrom() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Result r = serve("--listen", "127.0.0.1:" + taken.getLocalPort(), "--data", dir.resolve("data").toString());
            assertThat(r.exit).isEqualTo(2);
            assertThat(r.output).contains("lading: cannot start: ").contains("127.0.0.1:" + taken.getLocalPort())
                    .containsIgnoringCase("address already in use").contains("--listen").doesNotContain("\tat ");
        }
    }

    @Test
    void aStorageDirectoryThatCannotBeMadeNamesItsKeyAndTheReason() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        Result r = serve("--listen", "127.0.0.1:0", "--data", file.resolve("data").toString());
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.output).contains("lading: cannot start: cannot use the storage directory (--data or"
                + " storage.filesystem.rootdirectory): " + file).doesNotContain("\tat ");
    }

    private record Result(int exit, String output) {
    }

    private Result serve(String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "serve"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exits").isTrue();
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
