package io.lading.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class CausesTest {
    @Test
    void listsAFailureAndItsCausesOutermostFirstAndEndsACyclicChain() {
        IOException root = new IOException("root");
        RuntimeException middle = new RuntimeException("middle", root);
        IllegalStateException top = new IllegalStateException("top", middle);
        assertThat(Causes.of(top)).containsExactly(top, middle, root);

        Exception a = new Exception("a");
        Exception b = new Exception("b", a);
        a.initCause(b); // a cycle: a -> b -> a
        assertThat(Causes.of(a)).containsExactly(a, b);
    }
}
