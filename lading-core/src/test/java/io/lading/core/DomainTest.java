package io.lading.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DomainTest {
    private static final String EMPTY_SHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @Test
    void digestOfBytesMatchesKnownValue() {
        assertThat(Digest.of(Digest.Algorithm.SHA256, new byte[0]).toString()).isEqualTo(EMPTY_SHA256);
        assertThat(Digest.parse(EMPTY_SHA256).hex()).hasSize(64);
        assertThat(Digest.of(Digest.Algorithm.SHA512, new byte[0]).hex()).hasSize(128);
    }

    @Test
    void malformedDigestsAreDigestInvalid() {
        for (String bad : new String[]{"", "sha256", "sha256:", "sha256:abc", "md5:d41d8cd98f00b204e9800998ecf8427e",
                EMPTY_SHA256.toUpperCase(), EMPTY_SHA256 + "0", "sha256:" + "g".repeat(64), ":" + "a".repeat(64)}) {
            assertThatThrownBy(() -> Digest.parse(bad)).as(bad).isInstanceOfSatisfying(RegistryException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_INVALID));
        }
    }

    @Test
    void repositoryNamesFollowTheSpecGrammar() {
        for (String ok : new String[]{"a", "library/ubuntu", "a.b_c__d-e--f/g0", "x/y/z/w"}) {
            assertThat(RepositoryName.isValid(ok)).as(ok).isTrue();
        }
        for (String bad : new String[]{"", "A", "a/", "/a", "a//b", "a/../b", "..", "a/./b", "-a", "a-", "a_", "a.",
                "a%2Fb", "a b", "a___b", "a/" + "b".repeat(300)}) {
            assertThat(RepositoryName.isValid(bad)).as(bad).isFalse();
        }
        assertThatThrownBy(() -> RepositoryName.of("Bad")).isInstanceOfSatisfying(RegistryException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.NAME_INVALID));
    }

    @Test
    void tagsFollowTheSpecGrammar() {
        assertThat(Tag.isValid("latest")).isTrue();
        assertThat(Tag.isValid("_x.Y-1")).isTrue();
        assertThat(Tag.isValid("a".repeat(128))).isTrue();
        assertThat(Tag.isValid("a".repeat(129))).isFalse();
        assertThat(Tag.isValid(".x")).isFalse();
        assertThat(Tag.isValid("-x")).isFalse();
        assertThat(Tag.isValid("a/b")).isFalse();
        assertThat(Tag.isValid("")).isFalse();
    }

    @Test
    void referenceIsDigestWhenItHasAColon() {
        assertThat(Reference.parse("v1")).isInstanceOf(Reference.ByTag.class);
        assertThat(Reference.parse(EMPTY_SHA256)).isInstanceOf(Reference.ByDigest.class);
        assertThatThrownBy(() -> Reference.parse("sha256:nope")).isInstanceOf(RegistryException.class);
        assertThatThrownBy(() -> Reference.parse("..")).isInstanceOfSatisfying(RegistryException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.TAG_INVALID));
    }

    private static Manifest parse(String json, String type) {
        return Manifest.parse(json.getBytes(StandardCharsets.UTF_8), type);
    }

    @Test
    void parsesImageManifestWithSubjectAndArtifactType() {
        String m = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"" + EMPTY_SHA256
                + "\",\"size\":0},\"layers\":[],\"subject\":{\"mediaType\":\"x\",\"digest\":\"" + EMPTY_SHA256
                + "\",\"size\":1},\"annotations\":{\"k\":\"v\"}}";
        Manifest.Image img = (Manifest.Image) parse(m, "application/vnd.oci.image.manifest.v1+json; charset=utf-8");
        assertThat(img.subject()).isPresent();
        assertThat(img.referrerArtifactType()).isEqualTo("application/vnd.oci.empty.v1+json");
        assertThat(img.annotations()).containsEntry("k", "v");
    }

    @Test
    void indexWithoutMediaTypeIsGuessedFromManifestsField() {
        Manifest m = parse("{\"schemaVersion\":2,\"manifests\":[]}", null);
        assertThat(m).isInstanceOf(Manifest.Index.class);
        assertThat(m.mediaType()).isEqualTo(MediaTypes.OCI_INDEX);
        assertThat(m.referrerArtifactType()).isNull();
    }

    @Test
    void malformedManifestsAreManifestInvalid() {
        String desc = "{\"mediaType\":\"x\",\"digest\":\"" + EMPTY_SHA256 + "\",\"size\":1}";
        for (String bad : new String[]{"", "null", "1", "\"s\"", "{", "{\"schemaVersion\":\"2\"}",
                "{\"schemaVersion\":2,\"mediaType\":\"text/plain\",\"config\":" + desc + "}",
                "{\"schemaVersion\":2,\"config\":" + desc + ",\"layers\":{}}",
                "{\"schemaVersion\":2,\"config\":" + desc.replace("\"size\":1", "\"size\":-1") + ",\"layers\":[]}",
                "{\"schemaVersion\":2,\"config\":" + desc.replace("\"size\":1", "\"size\":\"1\"") + ",\"layers\":[]}",
                "{\"schemaVersion\":2,\"config\":" + desc + ",\"layers\":[],\"annotations\":{\"a\":1}}",
                "{\"schemaVersion\":2,\"schemaVersion\":2,\"manifests\":[]}",
                "{\"schemaVersion\":2,\"config\":" + desc + ",\"manifests\":[]}",
                "[".repeat(200) + "]".repeat(200)}) {
            assertThatThrownBy(() -> parse(bad, null)).as(bad).isInstanceOfSatisfying(RegistryException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.MANIFEST_INVALID));
        }
    }

    @Test
    void contentTypeParametersAreIgnored() {
        assertThat(MediaTypes.normalize(" Application/JSON ; charset=utf-8")).isEqualTo("application/json");
    }
}
