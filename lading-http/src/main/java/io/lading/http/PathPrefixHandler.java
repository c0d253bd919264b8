package io.lading.http;

import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Serves the registry below a path ({@code http.prefix}): {@code /my/registry/v2/...} reaches the handler behind it
 * as {@code /v2/...}, and a path outside the prefix is not found. Everything behind it (routing, access rules,
 * the admin API, the token endpoint) sees the path without the prefix, as if the registry ran at the root; the
 * URLs it hands out carry the prefix because their base does ({@link RegistryHandler}'s base URL). The access log
 * and spans show the path as the client sent it ({@link Request#unWrap}).
 *
 * <pre>
 *   prefix /my/registry        /my/registry/v2/a/b/tags/list  ->  /v2/a/b/tags/list
 *                              /my/registryx/v2/              ->  404
 *                              /v2/                           ->  404
 * </pre>
 *
 * <p>It does not block and adds no thread hand-off: {@link #getInvocationType} is the wrapped handler's.
 */
public final class PathPrefixHandler extends Handler.Wrapper {
    private final String prefix;

    /** @param prefix the prefix, starting with {@code /} and without a trailing one ({@code /my/registry}) */
    public PathPrefixHandler(String prefix, Handler handler) {
        super(handler);
        if (!prefix.startsWith("/") || prefix.endsWith("/")) {
            throw new IllegalArgumentException("a path prefix starts with / and does not end with one: " + prefix);
        }
        this.prefix = prefix;
    }

    /**
     * The path below {@code prefix} (normalized as the constructor wants it), or null when {@code path} is not
     * below it: {@code /my/registry/v2/} gives {@code /v2/}, and {@code /my/registry} alone gives null.
     */
    static String below(String prefix, String path) {
        if (path == null || path.length() <= prefix.length() + 1 || !path.startsWith(prefix)
                || path.charAt(prefix.length()) != '/') {
            return null;
        }
        return path.substring(prefix.length());
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        HttpURI uri = request.getHttpURI();
        String inside = below(prefix, uri.getPath());
        if (inside == null) {
            return false; // Jetty answers 404, as for any path the registry does not serve
        }
        HttpURI stripped = HttpURI.build(uri).path(inside).asImmutable();
        return super.handle(new Request.Wrapper(request) {
            @Override
            public HttpURI getHttpURI() {
                return stripped;
            }
        }, response, callback);
    }
}
