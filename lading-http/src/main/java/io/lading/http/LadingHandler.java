package io.lading.http;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;

/** The whole HTTP surface of one listener: {@code /lading/v1/...} goes to the admin API, everything else to /v2. */
public final class LadingHandler extends Handler.Wrapper {
    private final AdminHandler admin;

    public LadingHandler(RegistryHandler registry, AdminHandler admin) {
        super(registry);
        this.admin = admin;
        installBean(admin);
    }

    @Override
    public void setServer(Server server) {
        super.setServer(server);
        admin.setServer(server);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (request.getHttpURI().getPath().startsWith(AdminHandler.PREFIX)) {
            return admin.handle(request, response, callback);
        }
        return super.handle(request, response, callback);
    }
}
