package io.lading.http;

import io.lading.core.MediaTypes;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * Decides whether a stored manifest may be served for a request's {@code Accept} headers. Lading never rewrites
 * a manifest (the bytes pushed are the bytes served), so negotiation only answers "serve it" or "the client
 * cannot take it". A request that names manifest types but not the stored one (and no wildcard) cannot take it;
 * a request with no Accept, a wildcard, or no manifest type at all gets the manifest as stored, which is what
 * clients that predate a type still handle.
 */
final class ContentNegotiation {
    private ContentNegotiation() {
    }

    /** Whether {@code request}'s Accept headers let it have a manifest stored as {@code storedType}. */
    static boolean acceptable(Request request, String storedType) {
        boolean namesManifestType = false;
        for (String header : request.getHeaders().getValuesList(HttpHeader.ACCEPT)) {
            for (String part : header.split(",")) {
                String type = MediaTypes.normalize(part);
                if (type.isEmpty()) {
                    continue;
                }
                if (type.equals(storedType) || type.equals("*/*") || type.equals("application/*")) {
                    return true;
                }
                if (MediaTypes.MANIFESTS.contains(type)) {
                    namesManifestType = true;
                }
            }
        }
        return !namesManifestType;
    }
}
