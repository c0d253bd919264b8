package io.lading.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lading.auth.Access;
import io.lading.auth.Identity;
import io.lading.auth.LoginLimiter;
import io.lading.auth.TokenIssuer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Fields;

/**
 * {@code /token}: the built-in token server, in both dialects clients speak.
 * <pre>
 *   GET  /token?service=S&amp;scope=repository:a/b:pull,push[&amp;scope=...][&amp;offline_token=true]
 *        with Basic credentials, or none for an anonymous token          (spec-auth-token.md)
 *   POST /token   grant_type=password&amp;username=..&amp;password=..  |  grant_type=refresh_token&amp;refresh_token=..
 *        &amp;service=S&amp;client_id=C[&amp;scope=..][&amp;access_type=offline]  (spec-auth-oauth.md)
 * </pre>
 * The token grants what the access rules allow of what was asked (never an error for asking too much: the
 * registry refuses later). Wrong credentials: 401 with the Basic challenge (GET) or {@code invalid_grant} (POST);
 * repeated failures from one address: 429 with Retry-After.
 */
public final class TokenHandler {
    static final String PATH = "/token";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_FORM = 16 * 1024;

    private final TokenIssuer issuer;
    private final LoginLimiter limiter;
    private final String realm;

    /** @param realm for the Basic challenge of a failed GET */
    public TokenHandler(TokenIssuer issuer, LoginLimiter limiter, String realm) {
        this.issuer = issuer;
        this.limiter = limiter;
        this.realm = realm;
    }

    void handle(Request request, Response response) throws IOException {
        String client = Request.getRemoteAddr(request);
        OptionalLong wait = limiter.retryAfterSeconds(client);
        if (wait.isPresent()) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, wait.getAsLong());
            oauthError(request, response, 429, "slow_down", "too many failed logins from " + client);
            return;
        }
        switch (request.getMethod()) {
            case "GET" -> get(request, response, client);
            case "POST" -> post(request, response, client);
            default -> {
                response.getHeaders().put(HttpHeader.ALLOW, "GET, POST");
                oauthError(request, response, 405, "invalid_request", "use GET or POST");
            }
        }
    }

    private void get(Request request, Response response, String client) throws IOException {
        Fields q = Request.extractQueryParameters(request);
        if (!serviceMatches(request, response, q.getValue("service"))) {
            return;
        }
        List<Access> scopes = scopes(request, response, q.getValuesOrEmpty("scope"));
        if (scopes == null) {
            return;
        }
        Identity who = Identity.ANONYMOUS;
        String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (authorization != null) {
            Optional<Identity> login = issuer.loginBasic(authorization);
            if (login.isEmpty()) {
                limiter.failed(client);
                response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Basic realm=\"" + realm + "\"");
                oauthError(request, response, 401, "invalid_grant", "wrong user name or password");
                return;
            }
            limiter.succeeded(client);
            who = login.get();
            RequestContext.authenticated(request, who.account());
        }
        boolean offline = "true".equals(q.getValue("offline_token"));
        respond(response, issuer.issue(who, scopes, offline), false);
    }

    private void post(Request request, Response response, String client) throws IOException {
        Map<String, List<String>> form = form(request);
        if (form == null) {
            oauthError(request, response, 400, "invalid_request", "the body must be a form (application/"
                    + "x-www-form-urlencoded) of at most " + MAX_FORM + " bytes");
            return;
        }
        if (!serviceMatches(request, response, first(form, "service"))) {
            return;
        }
        if (first(form, "client_id") == null) {
            oauthError(request, response, 400, "invalid_request", "client_id is required");
            return;
        }
        List<Access> scopes = scopes(request, response, form.getOrDefault("scope", List.of()));
        if (scopes == null) {
            return;
        }
        String grant = first(form, "grant_type");
        Optional<Identity> who;
        boolean refreshGrant = false;
        if ("password".equals(grant)) {
            String user = first(form, "username");
            String password = first(form, "password");
            who = user == null || password == null ? Optional.empty() : issuer.login(user, password);
        } else if ("refresh_token".equals(grant)) {
            String token = first(form, "refresh_token");
            who = token == null ? Optional.empty() : issuer.refresh(token);
            refreshGrant = true;
        } else {
            oauthError(request, response, 400, "unsupported_grant_type", "grant_type must be password or"
                    + " refresh_token");
            return;
        }
        if (who.isEmpty()) {
            limiter.failed(client);
            oauthError(request, response, 400, "invalid_grant", refreshGrant ? "refresh token invalid or expired"
                    : "wrong user name or password");
            return;
        }
        limiter.succeeded(client);
        RequestContext.authenticated(request, who.get().account());
        boolean offline = "offline".equals(first(form, "access_type"));
        respond(response, issuer.issue(who.get(), scopes, offline), true);
    }

    private boolean serviceMatches(Request request, Response response, String service) {
        if (service != null && !service.equals(issuer.service())) {
            oauthError(request, response, 400, "invalid_request", "this token server issues tokens for service '"
                    + issuer.service() + "', not '" + service + "'");
            return false;
        }
        return true;
    }

    private List<Access> scopes(Request request, Response response, List<String> raw) {
        try {
            return Access.parseAll(raw);
        } catch (IllegalArgumentException e) {
            oauthError(request, response, 400, "invalid_scope", e.getMessage());
            return null;
        }
    }

    private static void respond(Response response, TokenIssuer.Issued t, boolean oauth) throws IOException {
        ObjectNode out = JSON.createObjectNode();
        out.put("token", t.token());
        out.put("access_token", t.token());
        out.put("expires_in", t.expiresIn().toSeconds());
        out.put("issued_at", DateTimeFormatter.ISO_INSTANT.format(t.issuedAt()));
        if (oauth) {
            out.put("scope", String.join(" ", t.granted().stream().map(Access::toString).toList()));
        }
        t.refreshToken().ifPresent(r -> out.put("refresh_token", r));
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        HttpOut.json(response, 200, JSON.writeValueAsBytes(out), false);
    }

    private static void oauthError(Request request, Response response, int status, String error, String description) {
        ObjectNode out = JSON.createObjectNode().put("error", error).put("error_description", description);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        HttpOut.error(request, response, status, out.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The urlencoded form body, or null when it is not one (or too large). */
    private static Map<String, List<String>> form(Request request) throws IOException {
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (type == null || !type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
            return null;
        }
        byte[] body;
        try (InputStream in = Content.Source.asInputStream(request)) {
            body = in.readNBytes(MAX_FORM + 1);
        }
        if (body.length > MAX_FORM) {
            return null;
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String pair : new String(body, StandardCharsets.UTF_8).split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return out;
    }

    private static String first(Map<String, List<String>> form, String key) {
        List<String> v = form.get(key);
        return v == null || v.isEmpty() ? null : v.get(0);
    }
}
