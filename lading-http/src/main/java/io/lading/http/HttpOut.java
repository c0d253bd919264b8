package io.lading.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;

/** Blocking response writes shared by the handlers (they run on virtual threads, so blocking is cheap). */
final class HttpOut {
    static final String JSON_TYPE = "application/json";

    private HttpOut() {
    }

    /** Writes {@code buffer}, waiting until Jetty has taken it; {@code last} ends the response. */
    static void blockingWrite(Response response, boolean last, ByteBuffer buffer) throws IOException {
        try (Blocker.Callback cb = Blocker.callback()) {
            response.write(last, buffer, cb);
            cb.block();
        }
    }

    /** Sends a complete JSON response (headers only for HEAD). */
    static void json(Response response, int status, byte[] body, boolean head) throws IOException {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, JSON_TYPE);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        if (!head) {
            blockingWrite(response, true, ByteBuffer.wrap(body));
        }
    }
}
