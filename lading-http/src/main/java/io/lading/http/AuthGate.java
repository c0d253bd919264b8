package io.lading.http;

import io.lading.auth.Access;
import io.lading.auth.AccessRules;
import io.lading.auth.Htpasswd;
import io.lading.auth.Identity;
import io.lading.auth.LoginLimiter;
import io.lading.auth.TokenVerifier;
import io.lading.core.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Predicate;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

/**
 * Who may make a request: every request is mapped to the access it needs (the token spec's scopes: HEAD/GET =
 * pull, uploads and manifest PUT = push+pull, DELETE = delete, the catalog = {@code registry:catalog:*}, Lading's
 * admin API = {@code registry:admin:*}; {@code GET /v2/} needs only a valid identity), and the request passes only
 * if its identity has all of it. Three modes:
 *
 * <ul>
 *   <li>open: no authentication configured; everything passes.</li>
 *   <li>basic ({@code auth.htpasswd}): HTTP Basic against the htpasswd file, access from the rules. A client
 *   without credentials is anonymous (rules may grant anonymous pulls); a failed login is 401 with the Basic
 *   challenge; an account without the access is 403 DENIED (logging in again would not help).</li>
 *   <li>token ({@code auth.token}): a bearer JWT that {@link TokenVerifier} accepts and whose {@code access}
 *   claim covers the request; otherwise 401 with {@code WWW-Authenticate: Bearer realm,service,scope} naming the
 *   exact scope (and {@code error="invalid_token"} or {@code "insufficient_scope"}), as distribution answers.</li>
 * </ul>
 * Failed logins are rate limited per client address (429 with Retry-After). What passed is left on the request
 * ({@link #grants}) so a handler can check a second resource, as the mount source of a cross-repository mount.
 */
public final class AuthGate {
    private static final String GRANTS = "io.lading.grants";
    private static final String ADMIN = "io.lading.admin";

    private enum Mode { OPEN, BASIC, TOKEN }

    private final Mode mode;
    private final Htpasswd htpasswd;
    private final AccessRules rules;
    private final TokenVerifier verifier;
    private final String realm;
    private final String service;
    private final LoginLimiter limiter;
    private final boolean explicitRules;

    private AuthGate(Mode mode, Htpasswd htpasswd, AccessRules rules, TokenVerifier verifier, String realm,
                     String service, LoginLimiter limiter, boolean explicitRules) {
        this.mode = mode;
        this.htpasswd = htpasswd;
        this.rules = rules;
        this.verifier = verifier;
        this.realm = realm;
        this.service = service;
        this.limiter = limiter;
        this.explicitRules = explicitRules;
    }

    /** No authentication: every request passes. */
    public static AuthGate open() {
        return new AuthGate(Mode.OPEN, null, null, null, null, null, null, false);
    }

    /**
     * HTTP Basic against htpasswd.
     *
     * @param rules         the access rules; {@link AccessRules#authenticatedAll()} when none are configured
     * @param explicitRules whether rules were configured (then the admin API needs the admin grant)
     */
    public static AuthGate basic(Htpasswd htpasswd, AccessRules rules, boolean explicitRules, LoginLimiter limiter) {
        return new AuthGate(Mode.BASIC, htpasswd, rules, null, null, null, limiter, explicitRules);
    }

    /** Bearer tokens: {@code realm} and {@code service} go into the challenge. */
    public static AuthGate token(TokenVerifier verifier, String realm, String service, boolean explicitRules) {
        return new AuthGate(Mode.TOKEN, null, null, verifier, realm, service, null, explicitRules);
    }

    /** Whether every request passes (no authentication configured): admitting one then costs nothing. */
    boolean isOpen() {
        return mode == Mode.OPEN;
    }

    /** What the request's identity may do, for a resource other than the one checked (open: everything). */
    @SuppressWarnings("unchecked")
    static boolean grants(Request request, Access access) {
        return !(request.getAttribute(GRANTS) instanceof Predicate<?> p) || ((Predicate<Access>) p).test(access);
    }

    /** Whether the gate checked this request's access (false when access control is off). */
    static boolean controlled(Request request) {
        return request.getAttribute(GRANTS) != null;
    }

    /** Whether the gate found the admin grant on this request. */
    static boolean adminGranted(Request request) {
        return Boolean.TRUE.equals(request.getAttribute(ADMIN));
    }

    /** The access a request needs; empty when a valid identity is enough. */
    static List<Access> required(Request request) {
        String path = request.getHttpURI().getPath();
        String method = request.getMethod();
        if (path.startsWith(AdminHandler.PREFIX)) {
            return List.of(Access.admin());
        }
        Route route;
        try {
            route = Route.parse(path);
        } catch (RuntimeException e) {
            return List.of(); // an invalid name: the handler answers NAME_INVALID; nothing can be reached with it
        }
        boolean read = method.equals("GET") || method.equals("HEAD");
        return switch (route) {
            case Route.Catalog c -> List.of(Access.catalog());
            case Route.Tags t -> List.of(Access.repository(t.name().value(), Access.PULL));
            case Route.Referrers r -> List.of(Access.repository(r.name().value(), Access.PULL));
            case Route.Manifests m when read -> List.of(Access.repository(m.name().value(), Access.PULL));
            case Route.Manifests m when method.equals("DELETE") -> List.of(Access.repository(m.name().value(), Access.DELETE));
            case Route.Manifests m -> List.of(Access.repository(m.name().value(), Access.PULL, Access.PUSH));
            case Route.Blob b when method.equals("DELETE") -> List.of(Access.repository(b.name().value(), Access.DELETE));
            case Route.Blob b -> List.of(Access.repository(b.name().value(), Access.PULL));
            case Route.UploadStart u -> List.of(Access.repository(u.name().value(), Access.PULL, Access.PUSH));
            case Route.UploadSession u -> List.of(Access.repository(u.name().value(), Access.PULL, Access.PUSH));
            case Route.Base b -> List.of();
            case Route.NotFound n -> List.of();
        };
    }

    /**
     * Lets the request through (true), or answers it (401, 403 or 429) and returns false.
     */
    boolean admit(Request request, Response response) {
        return switch (mode) {
            case OPEN -> true;
            case BASIC -> basic(request, response);
            case TOKEN -> token(request, response);
        };
    }

    private boolean basic(Request request, Response response) {
        String client = Request.getRemoteAddr(request);
        OptionalLong wait = limiter.retryAfterSeconds(client);
        if (wait.isPresent()) {
            long seconds = wait.getAsLong();
            response.getHeaders().put(HttpHeader.RETRY_AFTER, seconds);
            return refuse(request, response, ErrorCode.TOOMANYREQUESTS, "too many failed logins from " + client
                    + "; retry in " + seconds + " s", null);
        }
        String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        Identity who = Identity.ANONYMOUS;
        if (authorization != null) {
            Optional<String> user = htpasswd.authenticate(authorization);
            if (user.isEmpty()) {
                limiter.failed(client);
                return refuse(request, response, ErrorCode.UNAUTHORIZED, "authentication required",
                        htpasswd.challenge());
            }
            limiter.succeeded(client);
            who = rules.identity(user.get());
            RequestContext.authenticated(request, user.get());
        }
        List<Access> needed = required(request);
        if (needed.isEmpty() && who.anonymous() && !anonymousAllowedAnything()) {
            return refuse(request, response, ErrorCode.UNAUTHORIZED, "authentication required", htpasswd.challenge());
        }
        for (Access a : needed) {
            if (a.equals(Access.admin()) && !explicitRules) {
                // Without rules the admin API is for loopback clients (AdminHandler checks), logged in.
                if (who.anonymous()) {
                    return refuse(request, response, ErrorCode.UNAUTHORIZED, "authentication required",
                            htpasswd.challenge());
                }
                continue;
            }
            if (!rules.grant(who, a).covers(a)) {
                if (who.anonymous()) {
                    return refuse(request, response, ErrorCode.UNAUTHORIZED, "authentication required",
                            htpasswd.challenge());
                }
                return refuse(request, response, ErrorCode.DENIED, "account " + who.account() + " may not "
                        + describe(a), null);
            }
        }
        Identity identity = who;
        request.setAttribute(GRANTS, (Predicate<Access>) a -> rules.grant(identity, a).covers(a));
        request.setAttribute(ADMIN, rules.grant(identity, Access.admin()).covers(Access.admin()));
        return true;
    }

    private boolean anonymousAllowedAnything() {
        return rules.grantsAnything(Identity.ANONYMOUS);
    }

    private boolean token(Request request, Response response) {
        List<Access> needed = new ArrayList<>(required(request));
        boolean admin = needed.contains(Access.admin());
        String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return refuse(request, response, ErrorCode.UNAUTHORIZED, "authentication required",
                    bearer(needed, null));
        }
        TokenVerifier.Verified token;
        try {
            token = verifier.verify(authorization.substring(7).trim());
        } catch (TokenVerifier.InvalidToken e) {
            return refuse(request, response, ErrorCode.UNAUTHORIZED, "invalid token: " + e.getMessage(),
                    bearer(needed, "invalid_token"));
        }
        if (token.subject() != null && !token.subject().isEmpty()) {
            RequestContext.authenticated(request, token.subject());
        }
        for (Access a : needed) {
            if (a.equals(Access.admin()) && !explicitRules) {
                continue;
            }
            if (!token.grants(a)) {
                return refuse(request, response, ErrorCode.UNAUTHORIZED, "the token does not grant " + a,
                        bearer(needed, "insufficient_scope"));
            }
        }
        request.setAttribute(GRANTS, (Predicate<Access>) token::grants);
        request.setAttribute(ADMIN, admin && token.grants(Access.admin()));
        return true;
    }

    private String bearer(List<Access> scopes, String error) {
        StringBuilder b = new StringBuilder("Bearer realm=\"").append(realm).append("\",service=\"").append(service)
                .append('"');
        if (!scopes.isEmpty()) {
            b.append(",scope=\"").append(String.join(" ", scopes.stream().map(Access::toString).toList())).append('"');
        }
        if (error != null) {
            b.append(",error=\"").append(error).append('"');
        }
        return b.toString();
    }

    private static String describe(Access a) {
        return String.join(",", a.actions().stream().sorted().toList()) + " " + a.type() + " " + a.name();
    }

    private static boolean refuse(Request request, Response response, ErrorCode code, String message,
                                  String challenge) {
        response.getHeaders().put("Docker-Distribution-API-Version", "registry/2.0");
        if (challenge != null) {
            response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, challenge);
        }
        HttpOut.error(request, response, code.status(), ErrorResponses.body(code, message, null));
        return false;
    }
}
