package io.lading.cli.config;

/** A configuration mistake; the message names the key and where it came from (file and line, or variable). */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
