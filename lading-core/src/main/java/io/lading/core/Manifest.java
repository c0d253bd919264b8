package io.lading.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed manifest: either an image manifest (OCI or Docker schema2) or an index (OCI index or Docker
 * manifest list). Parsing validates structure only; whether referenced content exists is the registry's check.
 *
 * <pre>{@code
 * Manifest m = Manifest.parse(bytes, request.contentType());
 * switch (m) {
 *     case Manifest.Image img -> img.layers();
 *     case Manifest.Index idx -> idx.manifests();
 * }
 * }</pre>
 */
public sealed interface Manifest {
    /** Largest manifest accepted (the spec asks registries to take at least 4 MB). */
    int MAX_BYTES = 4 * 1024 * 1024;

    /** The manifest's media type (from its {@code mediaType} field or the request's Content-Type). */
    String mediaType();

    /** The subject this manifest refers to, if any. */
    Optional<Descriptor> subject();

    /** The explicit {@code artifactType}, or null. */
    String artifactType();

    /** Annotations of the manifest itself, never null. */
    Map<String, String> annotations();

    /** The artifactType a referrers listing shows for this manifest (spec: config media type as fallback for images). */
    String referrerArtifactType();

    /** An image manifest: config plus layers. */
    record Image(String mediaType, Descriptor config, List<Descriptor> layers, Optional<Descriptor> subject,
                 String artifactType, Map<String, String> annotations) implements Manifest {
        @Override
        public String referrerArtifactType() {
            return artifactType != null ? artifactType : config.mediaType();
        }
    }

    /** An index of manifests (multi-arch image, or an artifact index). */
    record Index(String mediaType, List<Descriptor> manifests, Optional<Descriptor> subject,
                 String artifactType, Map<String, String> annotations) implements Manifest {
        @Override
        public String referrerArtifactType() {
            return artifactType;
        }
    }

    /**
     * Parses and validates manifest bytes.
     *
     * @param contentType the request's Content-Type (parameters ignored); may be null or empty
     * @throws RegistryException MANIFEST_INVALID for anything malformed, SIZE_TOO_LARGE above {@link #MAX_BYTES}
     */
    static Manifest parse(byte[] bytes, String contentType) {
        return ManifestParser.parse(bytes, contentType);
    }

    /** Implementation of {@link #parse}; kept out of the interface so the interface reads as a type. */
    final class ManifestParser {
        private static final ObjectMapper JSON = JsonMapper.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();

        static {
            JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
        }

        private ManifestParser() {
        }

        static Manifest parse(byte[] bytes, String contentType) {
            if (bytes.length > MAX_BYTES) {
                throw new RegistryException(ErrorCode.SIZE_TOO_LARGE, "manifest exceeds " + MAX_BYTES + " bytes");
            }
            JsonNode root;
            try {
                root = JSON.readTree(bytes);
            } catch (JsonProcessingException e) {
                throw invalid("manifest is not valid JSON: " + JsonProblems.describe(e));
            } catch (IOException e) {
                throw invalid("manifest is not valid JSON");
            }
            if (root == null || !root.isObject()) {
                throw invalid("manifest must be a JSON object");
            }
            JsonNode schemaVersion = root.get("schemaVersion");
            if (schemaVersion == null || !schemaVersion.isIntegralNumber() || schemaVersion.asInt() != 2) {
                if (schemaVersion != null && schemaVersion.isIntegralNumber() && schemaVersion.asInt() == 1) {
                    throw new RegistryException(ErrorCode.MANIFEST_INVALID,
                            "Docker schema1 manifests are not supported; push schema2 or OCI");
                }
                throw invalid("schemaVersion must be 2");
            }
            String declared = optionalString(root, "mediaType");
            String header = MediaTypes.normalize(contentType);
            boolean headerKnown = MediaTypes.IMAGE_MANIFESTS.contains(header) || MediaTypes.INDEXES.contains(header);
            if (declared != null && headerKnown && !declared.equals(header)) {
                throw invalid("mediaType " + declared + " does not match Content-Type " + header);
            }
            String mediaType = declared != null ? declared : headerKnown ? header : guess(root);
            String artifactType = optionalString(root, "artifactType");
            Optional<Descriptor> subject = root.has("subject")
                    ? Optional.of(descriptor(root.get("subject"), "subject")) : Optional.empty();
            Map<String, String> annotations = annotations(root.get("annotations"), "annotations");
            if (MediaTypes.IMAGE_MANIFESTS.contains(mediaType)) {
                if (root.has("manifests")) {
                    throw invalid("an image manifest must not have a manifests field");
                }
                Descriptor config = descriptor(root.get("config"), "config");
                List<Descriptor> layers = descriptors(root, "layers", mediaType.equals(MediaTypes.DOCKER_MANIFEST));
                return new Image(mediaType, config, layers, subject, artifactType, annotations);
            }
            if (MediaTypes.INDEXES.contains(mediaType)) {
                if (root.has("config") || root.has("layers")) {
                    throw invalid("an index must not have config or layers");
                }
                return new Index(mediaType, descriptors(root, "manifests", true), subject, artifactType, annotations);
            }
            throw invalid("unsupported manifest media type: " + Digest.abbreviate(mediaType));
        }

        private static String guess(JsonNode root) {
            if (root.has("manifests")) {
                return MediaTypes.OCI_INDEX;
            }
            if (root.has("config")) {
                return MediaTypes.OCI_MANIFEST;
            }
            throw invalid("manifest has no mediaType and is neither an image manifest nor an index");
        }

        private static List<Descriptor> descriptors(JsonNode root, String field, boolean required) {
            JsonNode arr = root.get(field);
            if (arr == null || arr.isNull()) {
                if (required) {
                    throw invalid(field + " is required");
                }
                return List.of();
            }
            if (!arr.isArray()) {
                throw invalid(field + " must be an array");
            }
            List<Descriptor> out = new ArrayList<>(arr.size());
            for (int i = 0; i < arr.size(); i++) {
                out.add(descriptor(arr.get(i), field + "[" + i + "]"));
            }
            return List.copyOf(out);
        }

        private static Descriptor descriptor(JsonNode node, String where) {
            if (node == null || !node.isObject()) {
                throw invalid(where + " must be a descriptor object");
            }
            String mediaType = optionalString(node, "mediaType");
            if (mediaType == null || mediaType.isEmpty()) {
                throw invalid(where + ".mediaType is required");
            }
            String digestText = optionalString(node, "digest");
            Digest digest;
            try {
                digest = Digest.parse(digestText);
            } catch (RegistryException e) {
                throw new RegistryException(ErrorCode.MANIFEST_INVALID, where + ".digest: " + e.getMessage());
            }
            JsonNode size = node.get("size");
            if (size == null || !size.isIntegralNumber() || !size.canConvertToLong() || size.asLong() < 0) {
                throw invalid(where + ".size must be a non-negative integer");
            }
            List<String> urls = new ArrayList<>();
            JsonNode u = node.get("urls");
            if (u != null && !u.isNull()) {
                if (!u.isArray()) {
                    throw invalid(where + ".urls must be an array");
                }
                u.forEach(x -> {
                    if (!x.isTextual()) {
                        throw invalid(where + ".urls must hold strings");
                    }
                    urls.add(x.asText());
                });
            }
            Descriptor.Platform platform = null;
            JsonNode p = node.get("platform");
            if (p != null && !p.isNull()) {
                if (!p.isObject()) {
                    throw invalid(where + ".platform must be an object");
                }
                platform = new Descriptor.Platform(optionalString(p, "os"), optionalString(p, "architecture"),
                        optionalString(p, "variant"));
            }
            return new Descriptor(mediaType, digest, size.asLong(), optionalString(node, "artifactType"),
                    annotations(node.get("annotations"), where + ".annotations"), urls, platform);
        }

        private static Map<String, String> annotations(JsonNode node, String where) {
            if (node == null || node.isNull()) {
                return Map.of();
            }
            if (!node.isObject()) {
                throw invalid(where + " must be an object of strings");
            }
            Map<String, String> out = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw invalid(where + "." + e.getKey() + " must be a string");
                }
                out.put(e.getKey(), e.getValue().asText());
            }
            return out;
        }

        private static String optionalString(JsonNode node, String field) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isTextual()) {
                throw invalid(field + " must be a string");
            }
            return v.asText();
        }

        private static RegistryException invalid(String message) {
            return new RegistryException(ErrorCode.MANIFEST_INVALID, message);
        }
    }
}
