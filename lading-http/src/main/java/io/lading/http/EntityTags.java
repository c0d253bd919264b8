package io.lading.http;

import io.lading.core.Digest;
import java.util.List;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * The conditional headers against the entity tag Lading gives content, {@code "<digest>"}. {@code If-None-Match}
 * (RFC 9110, section 13.1.2): a GET or HEAD that names it (or {@code *}) is answered 304 Not Modified without the
 * content; the comparison is weak, as that section asks, and a digest without quotes matches too, as
 * distribution's does. {@code If-Range} (section 13.1.5): a blob range is sent only when it names the tag.
 *
 * <pre>{@code
 * If-None-Match: "sha256:4413…", W/"sha256:…"   // matches either digest
 * }</pre>
 */
final class EntityTags {
    private EntityTags() {
    }

    /** Whether the request has an If-None-Match header at all (the cheap test the in-memory answers make). */
    static boolean conditional(Request request) {
        return request.getHeaders().contains(HttpHeader.IF_NONE_MATCH);
    }

    /**
     * Whether an If-Range value (or one tag of If-None-Match) names {@code digest}'s entity tag, strongly compared
     * (RFC 9110, section 13.1.5): a weak tag or a date (Lading gives content no Last-Modified) names nothing.
     */
    static boolean names(String tag, Digest digest) {
        String t = tag.strip();
        String bare = digest.toString();
        return t.length() == bare.length() + 2 && t.startsWith("\"") && t.endsWith("\"")
                && t.regionMatches(1, bare, 0, bare.length());
    }

    /** Whether the request's If-None-Match names {@code digest}'s entity tag, or any ({@code *}). */
    static boolean noneMatchFails(Request request, Digest digest) {
        List<String> values = request.getHeaders().getValuesList(HttpHeader.IF_NONE_MATCH);
        if (values.isEmpty()) {
            return false;
        }
        String bare = digest.toString();
        for (String value : values) {
            for (String tag : value.split(",")) {
                String t = tag.strip();
                if (t.startsWith("W/")) {
                    t = t.substring(2);
                }
                if (t.equals("*") || t.equals(bare) || names(t, digest)) {
                    return true;
                }
            }
        }
        return false;
    }
}
