package io.lading.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class JsonProblemsTest {
    private static String problemOf(String json) {
        return JsonProblems.describe(catchThrowableOfType(JsonProcessingException.class,
                () -> new ObjectMapper().readTree(json)));
    }

    @Test
    void aProblemSaysWhatAndWhereWithoutJacksonsSourceDescription() {
        assertThat(problemOf("{")).isEqualTo("Unexpected end-of-input: expected close marker for Object (start"
                + " marker at line 1, column 1) at line 1, column 2");
        assertThat(problemOf("{\n  \"a\": tru }")).startsWith("Unrecognized token 'tru'").endsWith(" at line 2, column 11")
                .doesNotContain("Source").doesNotContain("REDACTED");
    }

    @Test
    void aMalformedManifestIsManifestInvalidWithThatDescription() {
        RegistryException e = catchThrowableOfType(RegistryException.class,
                () -> Manifest.parse("{\"schemaVersion\": 2,".getBytes(), MediaTypes.OCI_MANIFEST));
        assertThat(e.code()).isEqualTo(ErrorCode.MANIFEST_INVALID);
        assertThat(e.getMessage()).startsWith("manifest is not valid JSON: Unexpected end-of-input")
                .endsWith("at line 1, column 21").doesNotContain("REDACTED");
    }
}
