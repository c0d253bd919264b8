package io.lading.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.core.Digest;
import io.lading.registry.RegistryOptions;
import io.lading.registry.RegistryOptions.ManifestUrls;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * validation.manifests.urls: a manifest whose layer is non-distributable (its bytes are fetched from a URL, and the
 * registry need not hold them) is accepted only with URLs the configuration allows.
 */
class ManifestUrlsTest {
    private static final String FOREIGN = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    private static final Digest ELSEWHERE = Digest.of(Digest.Algorithm.SHA256,
            "a layer the registry never sees".getBytes(StandardCharsets.UTF_8));

    private static String manifest(Digest config, String url) {
        return "{\"schemaVersion\":2,\"mediaType\":\"" + Manifests.OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config + "\",\"size\":2},"
                + "\"layers\":[{\"mediaType\":\"" + FOREIGN + "\",\"digest\":\"" + ELSEWHERE + "\",\"size\":31,"
                + "\"urls\":[\"" + url + "\"]}]}";
    }

    /** Pushes the config and a manifest with {@code url}; returns the manifest PUT's status and body. */
    private static String push(RegistryOptions.ManifestUrls urls, String url) throws Exception {
        try (TestRegistry r = new TestRegistry(RegistryOptions.defaults().withManifestUrls(urls))) {
            Digest config = r.pushBlob("win/app", "{}".getBytes(StandardCharsets.UTF_8));
            var put = r.putManifest("win/app", "v1", Manifests.OCI_MANIFEST, manifest(config, url));
            return put.statusCode() + " " + TestRegistry.text(put);
        }
    }

    @Test
    void urlsAreRefusedUnlessAllowedAndNotDenied() throws Exception {
        String url = "https://mcr.example.com/layers/abc";
        assertThat(push(ManifestUrls.NONE_ALLOWED, url)).as("the default: no URL is allowed")
                .startsWith("400 ").contains("MANIFEST_INVALID").contains(url)
                .contains("validation.manifests.urls.allow is not set");

        ManifestUrls example = new ManifestUrls(true, Pattern.compile("^https?://([^/]+\\.)*example\\.com/"),
                Pattern.compile("^https?://www\\.example\\.com/"));
        assertThat(push(example, url)).as("allowed; the layer need not be in the registry").startsWith("201 ");
        assertThat(push(example, "https://www.example.com/layers/abc")).startsWith("400 ")
                .contains("matches validation.manifests.urls.deny");
        assertThat(push(example, "https://example.org/layers/abc")).startsWith("400 ")
                .contains("matches no pattern of validation.manifests.urls.allow");
        assertThat(push(example, "ftp://mcr.example.com/layers/abc")).startsWith("400 ")
                .contains("only http and https URLs without a fragment");
        assertThat(push(example, "https://mcr.example.com/layers/abc#part")).startsWith("400 ");

        assertThat(push(ManifestUrls.UNCHECKED, "ftp://anywhere/at/all")).as("validation.disabled")
                .startsWith("201 ");
    }
}
