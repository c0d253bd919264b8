package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/** lading.http.maxconnections: past the limit, a client waits to be accepted until a connection closes. */
class ConnectionLimitTest {
    private static final Handler OK = new Handler.Abstract() {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            response.setStatus(200);
            response.write(true, java.nio.ByteBuffer.wrap("{}".getBytes(StandardCharsets.UTF_8)), callback);
            return true;
        }
    };

    /** Sends a keep-alive GET on {@code s} and returns the status line of its answer. */
    private static String get(Socket s) throws IOException {
        s.getOutputStream().write("GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        return answer(s);
    }

    /** Reads the answer to a GET sent on {@code s} and returns its status line. */
    private static String answer(Socket s) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
        String status = in.readLine();
        for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
            // headers
        }
        for (int i = 0; i < 2; i++) { // the body, "{}"
            assertThat(in.read()).isNotEqualTo(-1);
        }
        return status;
    }

    @Test
    void aClientPastTheLimitIsServedOnceAnotherConnectionCloses() throws Exception {
        try (RegistryServer server = new RegistryServer(OK, new InetSocketAddress("127.0.0.1", 0),
                Duration.ofSeconds(1))) {
            server.limitConnections(2);
            server.start();
            Socket first = new Socket("127.0.0.1", server.port());
            try (Socket second = new Socket("127.0.0.1", server.port());
                 Socket third = new Socket("127.0.0.1", server.port())) {
                first.setSoTimeout(10_000);
                second.setSoTimeout(10_000);
                assertThat(get(first)).startsWith("HTTP/1.1 200");
                assertThat(get(second)).startsWith("HTTP/1.1 200");
                // The third connection is in the kernel's accept queue, not accepted: its request waits.
                third.setSoTimeout(1_000);
                assertThatThrownBy(() -> get(third)).isInstanceOf(SocketTimeoutException.class);
                first.close();
                third.setSoTimeout(10_000);
                assertThat(answer(third)).startsWith("HTTP/1.1 200"); // the request sent while waiting
                assertThat(get(second)).startsWith("HTTP/1.1 200");
            }
        }
    }

    @Test
    void clientsPastTheLimitConnectAndWaitInTheAcceptQueueInsteadOfTimingOut() throws Exception {
        try (RegistryServer server = new RegistryServer(OK, new InetSocketAddress("127.0.0.1", 0),
                Duration.ofSeconds(1))) {
            server.limitConnections(1);
            server.start();
            // The JDK's default accept queue holds 50: past it, connection attempts go unanswered until they time out.
            java.util.List<Socket> sockets = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 200; i++) {
                    Socket s = new Socket();
                    sockets.add(s);
                    s.connect(new InetSocketAddress("127.0.0.1", server.port()), 3_000);
                }
                Socket first = sockets.get(0);
                first.setSoTimeout(10_000);
                assertThat(get(first)).startsWith("HTTP/1.1 200");
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aLimitOfZeroServesEveryClientAndANegativeOneIsRefused() throws Exception {
        try (RegistryServer server = new RegistryServer(OK, new InetSocketAddress("127.0.0.1", 0),
                Duration.ofSeconds(1))) {
            server.limitConnections(0);
            server.start();
            Socket[] sockets = new Socket[8];
            try {
                for (int i = 0; i < sockets.length; i++) {
                    sockets[i] = new Socket("127.0.0.1", server.port());
                    sockets[i].setSoTimeout(10_000);
                }
                for (Socket s : sockets) {
                    assertThat(get(s)).startsWith("HTTP/1.1 200");
                }
            } finally {
                for (Socket s : sockets) {
                    if (s != null) {
                        s.close();
                    }
                }
            }
            assertThatThrownBy(() -> server.limitConnections(-1)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
