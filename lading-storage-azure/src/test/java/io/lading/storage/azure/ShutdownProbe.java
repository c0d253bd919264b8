package io.lading.storage.azure;

import java.net.URI;

/**
 * A JVM that sends a request to Azure from a shutdown hook, as a registry writing what it staged does while it
 * stops, and prints "hook done" when the request has ended (in AzureDriverTest, its own process).
 */
public final class ShutdownProbe {
    private ShutdownProbe() {
    }

    public static void main(String[] args) throws Exception {
        AzureDriver d = new AzureDriver(AzureSettings.of(AzuriteServer.ACCOUNT, AzuriteServer.KEY, "azure-driver",
                URI.create(args[0])));
        d.list("/"); // the SDK and its shared executor are in use before the JVM stops
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Thread.sleep(500); // after the SDK's own shutdown hook has run
                d.list("/");
                System.out.println("hook done");
            } catch (Exception e) {
                System.out.println("hook failed: " + e);
            }
        }));
        System.exit(0);
    }
}
