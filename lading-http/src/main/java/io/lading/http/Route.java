package io.lading.http;

import io.lading.core.ErrorCode;
import io.lading.core.RegistryException;
import io.lading.core.RepositoryName;
import java.util.List;

/**
 * Where a request path leads: the whole {@code /v2/} surface as a closed set. Parsing works from the end of the
 * path because repository names may themselves contain {@code /}; a name must match the spec's grammar, so a
 * path with {@code ..}, empty or percent-encoded components never reaches a service.
 *
 * <pre>
 *   /v2/                                   Base
 *   /v2/_catalog                           Catalog
 *   /v2/&lt;name&gt;/tags/list                   Tags
 *   /v2/&lt;name&gt;/manifests/&lt;reference&gt;      Manifests
 *   /v2/&lt;name&gt;/blobs/uploads/             UploadStart
 *   /v2/&lt;name&gt;/blobs/uploads/&lt;id&gt;         UploadSession
 *   /v2/&lt;name&gt;/blobs/&lt;digest&gt;             Blob
 *   /v2/&lt;name&gt;/referrers/&lt;digest&gt;         Referrers
 * </pre>
 */
sealed interface Route {
    record Base() implements Route {
    }

    record Catalog() implements Route {
    }

    record Tags(RepositoryName name) implements Route {
    }

    record Manifests(RepositoryName name, String reference) implements Route {
    }

    record UploadStart(RepositoryName name) implements Route {
    }

    record UploadSession(RepositoryName name, String id) implements Route {
    }

    record Blob(RepositoryName name, String digest) implements Route {
    }

    record Referrers(RepositoryName name, String digest) implements Route {
    }

    /** No such endpoint. */
    record NotFound() implements Route {
    }

    /**
     * The methods this resource has, as a 405's Allow header lists them (a pull-through cache, read-only mode and
     * disabled deletes take some away while they apply).
     */
    default List<String> methods() {
        return switch (this) {
            case Base b -> List.of("GET", "HEAD");
            case Catalog c -> List.of("GET");
            case Tags t -> List.of("GET");
            case Manifests m -> List.of("GET", "HEAD", "PUT", "DELETE");
            case UploadStart u -> List.of("POST");
            case UploadSession s -> List.of("GET", "PATCH", "PUT", "DELETE");
            case Blob b -> List.of("GET", "HEAD", "DELETE");
            case Referrers r -> List.of("GET");
            case NotFound n -> List.of();
        };
    }

    /** Parses a raw (still percent-encoded) request path. */
    static Route parse(String path) {
        if (path == null || !path.startsWith("/v2")) {
            return new NotFound();
        }
        if (path.equals("/v2") || path.equals("/v2/")) {
            return new Base();
        }
        if (!path.startsWith("/v2/")) {
            return new NotFound();
        }
        String rest = path.substring(4);
        if (rest.equals("_catalog")) {
            return new Catalog();
        }
        if (rest.endsWith("/tags/list")) {
            return new Tags(name(rest.substring(0, rest.length() - "/tags/list".length())));
        }
        if (rest.endsWith("/blobs/uploads/") || rest.endsWith("/blobs/uploads")) {
            int cut = rest.lastIndexOf("/blobs/uploads");
            return new UploadStart(name(rest.substring(0, cut)));
        }
        int slash = rest.lastIndexOf('/');
        if (slash <= 0) {
            return new NotFound();
        }
        String last = rest.substring(slash + 1);
        String head = rest.substring(0, slash);
        int slash2 = head.lastIndexOf('/');
        if (slash2 <= 0) {
            return new NotFound();
        }
        String kind = head.substring(slash2 + 1);
        String prefix = head.substring(0, slash2);
        if (kind.equals("uploads") && prefix.endsWith("/blobs")) {
            return new UploadSession(name(prefix.substring(0, prefix.length() - "/blobs".length())), last);
        }
        return switch (kind) {
            case "manifests" -> new Manifests(name(prefix), last);
            case "blobs" -> new Blob(name(prefix), last);
            case "referrers" -> new Referrers(name(prefix), last);
            default -> new NotFound();
        };
    }

    private static RepositoryName name(String raw) {
        if (!RepositoryName.isValid(raw)) {
            throw new RegistryException(ErrorCode.NAME_INVALID, "invalid repository name: "
                    + (raw.length() > 80 ? raw.substring(0, 80) + "..." : raw));
        }
        return new RepositoryName(raw);
    }
}
