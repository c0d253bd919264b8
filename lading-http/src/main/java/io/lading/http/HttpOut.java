package io.lading.http;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutionException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;

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

    /**
     * {@link #blockingWrite}, telling Jetty that finishing the write may block: when the socket is full, Jetty
     * goes on with the write on another thread instead of its selector thread. For a buffer whose flush reads a
     * file ({@link ZeroCopyEndPoint}: sendfile may first have to read pages the kernel evicted), which must not
     * stall every connection that shares the selector.
     */
    static void blockingWriteMayBlock(Response response, boolean last, ByteBuffer buffer) throws IOException {
        Callback.Completable done = new Callback.Completable(Invocable.InvocationType.BLOCKING);
        response.write(last, buffer, done);
        try {
            done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted writing a response");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    /**
     * Marks an error response to a request whose body was not read to its end as the connection's last. The handler
     * may have refused the request before reading its body (a 416, an unknown upload); what the client has already
     * sent of it is read and dropped here, but the rest may be gigabytes still on their way, so Jetty closes the
     * connection after the response, and a client that was not told so sends its next request into a socket being
     * closed (seen as "header parser received no bytes" by the JDK client). Saying {@code Connection: close} lets
     * every client open a new connection instead. A body read to its end (a manifest refused after parsing, a blob
     * whose digest did not match) leaves the connection open: a pushing client keeps its connection, and does not
     * have to race the server's close with its next request.
     */
    private static void closeUnlessBodyConsumed(Request request, Response response) {
        if (!request.consumeAvailable()) { // true at once for a request without a body
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
    }

    /**
     * Sends an error's JSON body (headers only for HEAD), closing the connection after it when the request's body
     * was not read to its end (see {@link #closeUnlessBodyConsumed}). A client that has gone away is not an error of
     * its own.
     */
    static void error(Request request, Response response, int status, byte[] body) {
        closeUnlessBodyConsumed(request, response);
        try {
            json(response, status, body, HttpMethod.HEAD.is(request.getMethod()));
        } catch (IOException e) {
            // the client went away; nothing more can be said to it
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
