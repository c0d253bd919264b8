package io.lading.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteSizeTest {
    @Test
    void readsPlainBytesAndDecimalAndBinaryUnitsInAnyCase() {
        assertThat(ByteSize.parse("0")).isZero();
        assertThat(ByteSize.parse("1048576")).isEqualTo(1L << 20);
        assertThat(ByteSize.parse("512B")).isEqualTo(512);
        assertThat(ByteSize.parse("100MiB")).isEqualTo(100L << 20);
        assertThat(ByteSize.parse("100 mib")).isEqualTo(100L << 20);
        assertThat(ByteSize.parse("2GB")).isEqualTo(2_000_000_000L);
        assertThat(ByteSize.parse(" 3 KiB ")).isEqualTo(3072);
        assertThat(ByteSize.parse("1TiB")).isEqualTo(1L << 40);
    }

    @Test
    void refusesWhatIsNotAWholeNumberOfBytesNamingIt() {
        for (String bad : new String[] {"", "fast", "-1", "1.5GiB", "10 parsecs", "MiB", "0x10"}) {
            assertThatThrownBy(() -> ByteSize.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "' is not a size");
        }
        assertThatThrownBy(() -> ByteSize.parse("99999999999999999999")).hasMessageContaining("too large");
        assertThatThrownBy(() -> ByteSize.parse("9000000TiB")).hasMessageContaining("too large");
    }
}
