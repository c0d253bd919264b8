package io.lading.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.lading.core.Digest;
import org.junit.jupiter.api.Test;

class ContentCacheTest {
    private static Digest d(int i) {
        return Digest.of(Digest.Algorithm.SHA256, new byte[]{(byte) i});
    }

    @Test
    void evictsTheLeastRecentlyUsedBeyondItsSizeAndSkipsHugeManifests() {
        ContentCache cache = new ContentCache(300);
        cache.put(d(1), new byte[70]);
        cache.put(d(2), new byte[70]);
        cache.put(d(3), new byte[70]);
        assertThat(cache.get(d(1))).hasSize(70); // 1 is now the most recently used
        cache.put(d(4), new byte[70]);
        cache.put(d(5), new byte[70]);               // 350 > 300: the least recently used (2) goes
        assertThat(cache.get(d(2))).isNull();
        assertThat(cache.get(d(1))).isNotNull();
        assertThat(cache.get(d(5))).isNotNull();
        cache.put(d(6), new byte[76]);               // more than a quarter of the cache: not kept
        assertThat(cache.get(d(6))).isNull();
        assertThat(cache.get(d(3))).isNotNull();
    }
}
