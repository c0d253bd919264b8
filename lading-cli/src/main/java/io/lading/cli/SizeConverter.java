package io.lading.cli;

import io.lading.core.ByteSize;
import picocli.CommandLine;

/** Reads an option's value as a number of bytes ({@link ByteSize}: {@code 1048576}, {@code 200MiB}). */
final class SizeConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        try {
            return ByteSize.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
