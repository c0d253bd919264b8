package io.lading.core;

import java.util.Set;

/** The manifest media types Lading understands, and the normalisation of Content-Type values. */
public final class MediaTypes {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json";
    public static final String DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    /** Types whose payload is an image manifest (config + layers). */
    public static final Set<String> IMAGE_MANIFESTS = Set.of(OCI_MANIFEST, DOCKER_MANIFEST);
    /** Types whose payload is an index of manifests. */
    public static final Set<String> INDEXES = Set.of(OCI_INDEX, DOCKER_LIST);
    /** Every manifest type a GET may negotiate. */
    public static final Set<String> MANIFESTS = Set.of(OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST,
            DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED);

    private MediaTypes() {
    }

    /** Strips parameters and whitespace and lower-cases, per RFC 9110 ({@code type/sub; charset=x} -> {@code type/sub}). */
    public static String normalize(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semi = contentType.indexOf(';');
        String base = semi >= 0 ? contentType.substring(0, semi) : contentType;
        return base.trim().toLowerCase(java.util.Locale.ROOT);
    }
}
