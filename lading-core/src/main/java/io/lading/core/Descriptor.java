package io.lading.core;

import java.util.Map;

/**
 * A content descriptor as the image spec defines it: what a manifest points to.
 *
 * @param annotations never null; empty when absent
 * @param urls        never null; external locations of a non-distributable layer
 * @param platform    the platform of an index entry, or null
 */
public record Descriptor(String mediaType, Digest digest, long size, String artifactType,
                         Map<String, String> annotations, java.util.List<String> urls,
                         Platform platform) {
    public Descriptor {
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
        urls = urls == null ? java.util.List.of() : java.util.List.copyOf(urls);
    }

    /** True for a layer the registry is not expected to hold (a foreign / non-distributable layer with URLs). */
    public boolean isExternal() {
        return !urls.isEmpty();
    }

    /** The platform an index entry is for. */
    public record Platform(String os, String architecture, String variant) {
    }
}
