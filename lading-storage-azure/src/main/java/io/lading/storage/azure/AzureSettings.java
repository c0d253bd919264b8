package io.lading.storage.azure;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * What the Azure driver needs, named after distribution's {@code storage.azure} keys.
 *
 * @param accountName      accountname: the storage account
 * @param accountKey       accountkey, for {@link CredentialType#SHARED_KEY}
 * @param container        container: where every file of the registry lives
 * @param rootDirectory    rootdirectory without leading or trailing {@code /}; "" for the container's top
 * @param serviceUrl       serviceurl: the blob service's URL, else {@code https://<account>.blob.<realm>}
 * @param credentials      credentials.*, how the driver signs in
 * @param connectionString connectionstring: an account's connection string, which then names endpoint and key
 * @param maxRetries       max_retries: how often the status of a copy is asked before the move fails (-1: not
 *                         at all, the copy must complete at once)
 * @param retryDelay       retry_delay: the wait before the first status request, times N before the Nth
 * @param redirectExpiry   how long a redirect URL (a shared access signature) stays valid
 */
public record AzureSettings(String accountName, String accountKey, String container, String rootDirectory,
                            URI serviceUrl, Credentials credentials, String connectionString, int maxRetries,
                            Duration retryDelay, Duration redirectExpiry) {

    /** The ways distribution's driver signs in ({@code credentials.type}). */
    public enum CredentialType {
        /** The account name and key (the default when {@code accountkey} is set). */
        SHARED_KEY,
        /** A Microsoft Entra application's client ID, tenant ID and secret. */
        CLIENT_SECRET,
        /** The Azure SDK's default chain: environment, workload identity, managed identity, Azure CLI. */
        DEFAULT_CREDENTIALS
    }

    /** credentials.*: the type, and the application's IDs and secret for {@link CredentialType#CLIENT_SECRET}. */
    public record Credentials(CredentialType type, String clientId, String tenantId, String secret) {
        public Credentials {
            Objects.requireNonNull(type, "type");
        }

        public static Credentials sharedKey() {
            return new Credentials(CredentialType.SHARED_KEY, null, null, null);
        }
    }

    public AzureSettings {
        Objects.requireNonNull(container, "container");
        Objects.requireNonNull(credentials, "credentials");
        rootDirectory = trimSlashes(rootDirectory == null ? "" : rootDirectory);
        retryDelay = retryDelay == null ? Duration.ofMillis(100) : retryDelay;
        redirectExpiry = redirectExpiry == null ? Duration.ofMinutes(20) : redirectExpiry;
        if (connectionString == null && (accountName == null || accountName.isBlank())) {
            throw new IllegalArgumentException("accountname is required");
        }
        if (credentials.type() == CredentialType.SHARED_KEY && connectionString == null
                && (accountKey == null || accountKey.isBlank())) {
            throw new IllegalArgumentException("accountkey is required for shared_key credentials");
        }
    }

    /** An account signed in with its key, at {@code serviceUrl}, with distribution's defaults otherwise. */
    public static AzureSettings of(String accountName, String accountKey, String container, URI serviceUrl) {
        return new AzureSettings(accountName, accountKey, container, "", serviceUrl, Credentials.sharedKey(), null,
                5, Duration.ofMillis(100), Duration.ofMinutes(20));
    }

    /**
     * Whether the driver can sign URLs (shared access signatures) for redirects: with the account key, or under
     * token credentials with a user delegation key; not with a connection string that holds no key.
     */
    public boolean signsUrls() {
        return connectionString == null || connectionString.contains("AccountKey=");
    }

    /** These settings below another root directory (the import reads distribution's tree below its root). */
    public AzureSettings withRootDirectory(String root) {
        return new AzureSettings(accountName, accountKey, container, root, serviceUrl, credentials, connectionString,
                maxRetries, retryDelay, redirectExpiry);
    }

    /** The blob service's URL: serviceurl, else the account's endpoint in {@code realm}. */
    public static URI serviceUrl(String accountName, String realm) {
        return URI.create("https://" + accountName + ".blob." + realm);
    }

    private static String trimSlashes(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && s.charAt(from) == '/') {
            from++;
        }
        while (to > from && s.charAt(to - 1) == '/') {
            to--;
        }
        return s.substring(from, to);
    }
}
