package io.lading.http;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.MimeTypes;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The responses Jetty makes itself, in the spec's JSON error shape instead of Jetty's HTML page: a request it could
 * not parse (a bad percent-escape in the URI, a Content-Length that is no number, no Host, headers or a URI too
 * long), answered before any handler sees it, and a failure a handler left unanswered. Jetty's status stays; a
 * client error carries Jetty's reason, a server error only "internal server error" or "service unavailable" (the
 * failure itself is logged where it happened).
 */
final class JsonErrorHandler extends ErrorHandler {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = request.getAttribute(ERROR_STATUS) instanceof Integer s ? s : response.getStatus();
        String message = request.getAttribute(ERROR_MESSAGE) instanceof String m ? m : null;
        if (request.getAttribute(ERROR_EXCEPTION) instanceof HttpException e) { // e.g. a body that ends early
            status = e.getCode();
            message = e.getReason();
        }
        byte[] body = ErrorResponses.ofHttpStatus(status, message);
        response.setStatus(status);
        HttpFields.Mutable headers = response.getHeaders();
        headers.put(HttpHeader.CONTENT_TYPE, MimeTypes.Type.APPLICATION_JSON.asString());
        if (HttpMethod.HEAD.is(request.getMethod()) || HttpStatus.hasNoBody(status)) {
            response.write(true, null, callback);
        } else {
            headers.put(HttpHeader.CONTENT_LENGTH, body.length);
            response.write(true, ByteBuffer.wrap(body), callback);
        }
        return true;
    }
}
