package io.lading.http;

import io.lading.core.Digest;
import java.nio.charset.StandardCharsets;

/** Builds manifest JSON for tests. */
final class Manifests {
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";

    private Manifests() {
    }

    static String image(Digest config, long configSize, Digest layer, long layerSize) {
        return "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config + "\",\"size\":" + configSize
                + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + layer
                + "\",\"size\":" + layerSize + "}]}";
    }

    static String artifact(String artifactType, Digest emptyConfig, Digest subject, long subjectSize,
                           String annotationValue) {
        return "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"artifactType\":\"" + artifactType
                + "\",\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"" + emptyConfig
                + "\",\"size\":2},\"layers\":[],\"subject\":{\"mediaType\":\"" + OCI_MANIFEST + "\",\"digest\":\""
                + subject + "\",\"size\":" + subjectSize + "},\"annotations\":{\"org.example.note\":\""
                + annotationValue + "\"}}";
    }

    static String index(String... childDigestsAndSizes) {
        StringBuilder b = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX + "\",\"manifests\":[");
        for (int i = 0; i < childDigestsAndSizes.length; i += 2) {
            if (i > 0) {
                b.append(',');
            }
            b.append("{\"mediaType\":\"").append(OCI_MANIFEST).append("\",\"digest\":\"").append(childDigestsAndSizes[i])
                    .append("\",\"size\":").append(childDigestsAndSizes[i + 1])
                    .append(",\"platform\":{\"os\":\"linux\",\"architecture\":\"arch").append(i).append("\"}}");
        }
        return b.append("]}").toString();
    }

    static Digest digest(String json) {
        return Digest.of(Digest.Algorithm.SHA256, json.getBytes(StandardCharsets.UTF_8));
    }
}
