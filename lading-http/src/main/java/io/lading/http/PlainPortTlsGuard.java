package io.lading.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.util.Callback;

/**
 * On a plain-HTTP listener, recognises a TLS handshake (a TLS record: 0x16, then major version 3) before any HTTP
 * parsing and answers it with a plain-text HTTP 400 that says what happened, then closes. A client that mixed up
 * http and https (or a registry whose TLS is not configured) then gets an explanation in logs and packet captures
 * instead of an HTML error about an illegal character.
 */
final class PlainPortTlsGuard extends AbstractConnectionFactory implements ConnectionFactory.Detecting {
    private static final String BODY = "This port speaks plain HTTP, and the client started a TLS handshake:"
            + " use http:// (or configure http.tls).\n";
    private static final byte[] RESPONSE = ("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Connection: close\r\nContent-Length: " + BODY.length() + "\r\n\r\n" + BODY)
            .getBytes(StandardCharsets.US_ASCII);

    PlainPortTlsGuard() {
        super("tls-on-plain-http");
    }

    @Override
    public Detection detect(ByteBuffer buffer) {
        if (buffer.remaining() < 2) {
            return Detection.NEED_MORE_BYTES;
        }
        int p = buffer.position();
        return buffer.get(p) == 0x16 && buffer.get(p + 1) == 0x03 ? Detection.RECOGNIZED : Detection.NOT_RECOGNIZED;
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        // Connection.UpgradeTo: the detector hands over the bytes it read (the handshake), which are not needed.
        class Reply extends AbstractConnection implements Connection.UpgradeTo {
            Reply() {
                super(endPoint, connector.getExecutor());
            }

            @Override
            public void onUpgradeTo(ByteBuffer buffer) {
            }

            @Override
            public void onOpen() {
                super.onOpen();
                getEndPoint().write(Callback.from(getEndPoint()::close, x -> getEndPoint().close()),
                        ByteBuffer.wrap(RESPONSE));
            }

            @Override
            public void onFillable() {
                // the handshake bytes are not read: the reply is sent and the connection closed
            }
        }
        return configure(new Reply(), connector, endPoint);
    }
}
