package io.lading.cli.config;

import io.lading.storage.azure.AzureSettings;
import io.lading.storage.azure.AzureSettings.CredentialType;
import java.net.URI;
import java.time.Duration;

/** storage.azure, read by {@link ConfigLoader} with distribution's keys and defaults. */
final class AzureConfig {
    private AzureConfig() {
    }

    static AzureSettings azure(ConfigLoader c, ConfigNode root) {
        String connectionString = blankToNull(c.string(root, "storage.azure.connectionstring", null));
        String account = blankToNull(c.string(root, "storage.azure.accountname", null));
        String key = blankToNull(c.string(root, "storage.azure.accountkey", null));
        String container = blankToNull(c.string(root, "storage.azure.container", null));
        if (container == null) {
            throw missing(c, root, "container");
        }
        if (account == null && connectionString == null) {
            throw missing(c, root, "accountname");
        }
        CredentialType type = credentialType(c, root);
        String clientId = null;
        String tenantId = null;
        String secret = null;
        if (type == CredentialType.CLIENT_SECRET) {
            clientId = required(c, root, "credentials.clientid");
            tenantId = required(c, root, "credentials.tenantid");
            secret = required(c, root, "credentials.secret");
        } else {
            // read so that they are not reported as unknown; only client_secret uses them
            c.string(root, "storage.azure.credentials.clientid", null);
            c.string(root, "storage.azure.credentials.tenantid", null);
            c.string(root, "storage.azure.credentials.secret", null);
        }
        if (type == CredentialType.SHARED_KEY && key == null && connectionString == null) {
            throw new ConfigException(c.at(root, "storage.azure").origin + ": storage.azure.accountkey is required"
                    + " with shared_key credentials (or name credentials.type client_secret or default_credentials)");
        }
        String realm = c.string(root, "storage.azure.realm", "core.windows.net");
        URI serviceUrl = serviceUrl(c, root);
        if (serviceUrl == null && connectionString == null) {
            serviceUrl = AzureSettings.serviceUrl(account, realm);
        } else if (serviceUrl != null && type != CredentialType.SHARED_KEY && !serviceUrl.getScheme()
                .equalsIgnoreCase("https")) {
            throw new ConfigException(c.at(root, "storage.azure.serviceurl").origin + ": storage.azure.serviceurl"
                    + " must be https with " + type.name().toLowerCase(java.util.Locale.ROOT) + " credentials (the"
                    + " Azure SDK sends tokens over https only)");
        }
        long maxRetries = c.integer(root, "storage.azure.max_retries", 5, -1);
        Duration retryDelay = c.duration(root, "storage.azure.retry_delay", Duration.ofMillis(100));
        return new AzureSettings(account, key, container, c.string(root, "storage.azure.rootdirectory", ""),
                serviceUrl, new AzureSettings.Credentials(type, clientId, tenantId, secret), connectionString,
                (int) Math.min(maxRetries, 1000), retryDelay, Duration.ofMinutes(20));
    }

    /**
     * credentials.type: shared_key, client_secret or default_credentials ({@code default} too, as distribution's
     * docs write it); without it, shared_key.
     */
    private static CredentialType credentialType(ConfigLoader c, ConfigNode root) {
        String type = c.string(root, "storage.azure.credentials.type", null);
        if (type == null) {
            return CredentialType.SHARED_KEY;
        }
        return switch (type) {
            case "shared_key" -> CredentialType.SHARED_KEY;
            case "client_secret" -> CredentialType.CLIENT_SECRET;
            case "default_credentials", "default" -> CredentialType.DEFAULT_CREDENTIALS;
            default -> throw new ConfigException(c.at(root, "storage.azure.credentials.type").origin
                    + ": storage.azure.credentials.type must be one of [shared_key, client_secret,"
                    + " default_credentials], not '" + type + "'");
        };
    }

    /** serviceurl: the blob service's http(s) URL (Azurite's includes the account as its path). */
    private static URI serviceUrl(ConfigLoader c, ConfigNode root) {
        String v = blankToNull(c.string(root, "storage.azure.serviceurl", null));
        if (v == null) {
            return null;
        }
        try {
            URI u = new URI(v);
            if (u.getScheme() == null || !u.getScheme().matches("(?i)https?") || u.getHost() == null
                    || u.getRawQuery() != null) {
                throw new java.net.URISyntaxException(v, "not an http or https URL without a query");
            }
            return u;
        } catch (java.net.URISyntaxException e) {
            throw new ConfigException(c.at(root, "storage.azure.serviceurl").origin
                    + ": storage.azure.serviceurl must be an http(s) URL without a query, not '" + v + "'");
        }
    }

    private static String required(ConfigLoader c, ConfigNode root, String key) {
        String v = blankToNull(c.string(root, "storage.azure." + key, null));
        if (v == null) {
            throw new ConfigException(c.at(root, "storage.azure.credentials").origin + ": storage.azure." + key
                    + " is required with client_secret credentials");
        }
        return v;
    }

    private static ConfigException missing(ConfigLoader c, ConfigNode root, String key) {
        return new ConfigException(c.at(root, "storage.azure").origin + ": storage.azure." + key + " is required");
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
