package io.lading.http;

import io.lading.auth.Access;
import io.lading.auth.AccessRules;
import io.lading.auth.Htpasswd;
import io.lading.auth.Identity;
import io.lading.auth.LoginLimiter;
import io.lading.auth.TokenVerifier;
import io.lading.core.ErrorCode;
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
    /** auth.token.autoredirectpath when auth.token.autoredirect is on (the realm follows the request), else null. */
    private final String autoRedirectPath;
    private final String service;
    private final LoginLimiter limiter;
    private final boolean explicitRules;

    private AuthGate(Mode mode, Htpasswd htpasswd, AccessRules rules, TokenVerifier verifier, String realm,
                     String autoRedirectPath, String service, LoginLimiter limiter, boolean explicitRules) {
        this.mode = mode;
        this.htpasswd = htpasswd;
        this.rules = rules;
        this.verifier = verifier;
        this.realm = realm;
        this.autoRedirectPath = autoRedirectPath;
        this.service = service;
        this.limiter = limiter;
        this.explicitRules = explicitRules;
    }

    /** No authentication: every request passes. */
    public static AuthGate open() {
        return new AuthGate(Mode.OPEN, null, null, null, null, null, null, null, false);
    }

    /**
     * HTTP Basic against htpasswd.
     *
     * @param rules         the access rules; {@link AccessRules#authenticatedAll()} when none are configured
     * @param explicitRules whether rules were configured (then the admin API needs the admin grant)
     */
    public static AuthGate basic(Htpasswd htpasswd, AccessRules rules, boolean explicitRules, LoginLimiter limiter) {
        return new AuthGate(Mode.BASIC, htpasswd, rules, null, null, null, null, limiter, explicitRules);
    }

    /** Bearer tokens: {@code realm} and {@code service} go into the challenge. */
    public static AuthGate token(TokenVerifier verifier, String realm, String service, boolean explicitRules) {
        return token(verifier, realm, null, service, explicitRules);
    }

    /**
     * Bearer tokens, with auth.token.autoredirect: when {@code autoRedirectPath} is not null the challenge's realm
     * is {@code <scheme>://<the request's Host><autoRedirectPath>}, the scheme from {@code X-Forwarded-Proto}
     * (http or https) or else https, as distribution sets it.
     */
    public static AuthGate token(TokenVerifier verifier, String realm, String autoRedirectPath, String service,
                                 boolean explicitRules) {
        return new AuthGate(Mode.TOKEN, null, null, verifier, realm, autoRedirectPath, service, null, explicitRules);
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

    /**
     * Lets the request through (true) when memory alone says it may pass: access control is off, or its
     * credentials were verified lately (a password by {@link Htpasswd#remembered}, a token by {@link
     * TokenVerifier#remembered}) and grant what it needs. Reads no file, runs no bcrypt and checks no signature, so
     * it may run where blocking is not allowed. False answers nothing: {@link #admit} then decides, and refuses.
     */
    boolean admitFromMemory(Request request) {
        return switch (mode) {
            case OPEN -> true;
            case BASIC -> {
                String client = Request.getRemoteAddr(request);
                if (limiter.retryAfterSeconds(client).isPresent()) {
                    yield false;
                }
                String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
                Optional<String> user = authorization == null ? Optional.empty() : htpasswd.remembered(authorization);
                if (authorization != null && user.isEmpty()) {
                    yield false;
                }
                user.ifPresent(u -> authenticated(request, client, u));
                yield basicRefusal(request, user) == null;
            }
            case TOKEN -> {
                String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
                Optional<TokenVerifier.Verified> token = bearerToken(authorization).flatMap(verifier::remembered);
                yield token.isPresent() && tokenRefusal(request, token.get()) == null;
            }
        };
    }

    /** Why a request is refused: what {@link #refuse} answers. */
    private record Refusal(ErrorCode code, String message, String challenge) {
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
        Optional<String> user = Optional.empty();
        if (authorization != null) {
            user = htpasswd.authenticate(authorization);
            if (user.isEmpty()) {
                limiter.failed(client);
                return refuse(request, response, ErrorCode.UNAUTHORIZED, "authentication required",
                        htpasswd.challenge());
            }
            authenticated(request, client, user.get());
        }
        return admitUnless(request, response, basicRefusal(request, user));
    }

    private void authenticated(Request request, String client, String user) {
        limiter.succeeded(client);
        RequestContext.authenticated(request, user);
    }

    /**
     * Checks an authenticated (or, {@code user} empty, anonymous) request against the rules: null when it passes,
     * after leaving what it passed with on the request; otherwise why it is refused.
     */
    private Refusal basicRefusal(Request request, Optional<String> user) {
        Identity who = user.map(rules::identity).orElse(Identity.ANONYMOUS);
        List<Access> needed = required(request);
        if (needed.isEmpty() && who.anonymous() && !anonymousAllowedAnything()) {
            return new Refusal(ErrorCode.UNAUTHORIZED, "authentication required", htpasswd.challenge());
        }
        for (Access a : needed) {
            if (a.equals(Access.admin()) && !explicitRules) {
                // Without rules the admin API is for loopback clients (AdminHandler checks), logged in.
                if (who.anonymous()) {
                    return new Refusal(ErrorCode.UNAUTHORIZED, "authentication required", htpasswd.challenge());
                }
                continue;
            }
            if (!rules.grant(who, a).covers(a)) {
                if (who.anonymous()) {
                    return new Refusal(ErrorCode.UNAUTHORIZED, "authentication required", htpasswd.challenge());
                }
                return new Refusal(ErrorCode.DENIED, "account " + who.account() + " may not " + describe(a), null);
            }
        }
        request.setAttribute(GRANTS, (Predicate<Access>) a -> rules.grant(who, a).covers(a));
        request.setAttribute(ADMIN, rules.grant(who, Access.admin()).covers(Access.admin()));
        return null;
    }

    private boolean anonymousAllowedAnything() {
        return rules.grantsAnything(Identity.ANONYMOUS);
    }

    private boolean token(Request request, Response response) {
        String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        Optional<String> bearer = bearerToken(authorization);
        if (bearer.isEmpty()) {
            return refuse(request, response, ErrorCode.UNAUTHORIZED, "authentication required",
                    bearer(request, required(request), null));
        }
        TokenVerifier.Verified token;
        try {
            token = verifier.verify(bearer.get());
        } catch (TokenVerifier.InvalidToken e) {
            return refuse(request, response, ErrorCode.UNAUTHORIZED, "invalid token: " + e.getMessage(),
                    bearer(request, required(request), "invalid_token"));
        }
        return admitUnless(request, response, tokenRefusal(request, token));
    }

    /** The token of a {@code Bearer} authorization, if that is what it is. */
    private static Optional<String> bearerToken(String authorization) {
        return authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7) ? Optional.empty()
                : Optional.of(authorization.substring(7).trim());
    }

    /**
     * Checks a verified token against what the request needs: null when it passes, after leaving what it passed
     * with on the request; otherwise why it is refused.
     */
    private Refusal tokenRefusal(Request request, TokenVerifier.Verified token) {
        if (token.subject() != null && !token.subject().isEmpty()) {
            RequestContext.authenticated(request, token.subject());
        }
        List<Access> needed = required(request);
        for (Access a : needed) {
            if (a.equals(Access.admin()) && !explicitRules) {
                continue;
            }
            if (!token.grants(a)) {
                return new Refusal(ErrorCode.UNAUTHORIZED, "the token does not grant " + a,
                        bearer(request, needed, "insufficient_scope"));
            }
        }
        request.setAttribute(GRANTS, (Predicate<Access>) token::grants);
        request.setAttribute(ADMIN, needed.contains(Access.admin()) && token.grants(Access.admin()));
        return null;
    }

    /** True when {@code refusal} is null (the request passes); otherwise answers it and returns false. */
    private static boolean admitUnless(Request request, Response response, Refusal refusal) {
        return refusal == null || refuse(request, response, refusal.code(), refusal.message(), refusal.challenge());
    }

    private String bearer(Request request, List<Access> scopes, String error) {
        StringBuilder b = new StringBuilder("Bearer realm=\"").append(realm(request)).append("\",service=\"")
                .append(service)
                .append('"');
        if (!scopes.isEmpty()) {
            b.append(",scope=\"").append(String.join(" ", scopes.stream().map(Access::toString).toList())).append('"');
        }
        if (error != null) {
            b.append(",error=\"").append(error).append('"');
        }
        return b.toString();
    }

    /** The challenge's realm: the configured one, or with autoredirect the token URL on the host the client asked. */
    private String realm(Request request) {
        if (autoRedirectPath == null) {
            return realm;
        }
        String proto = request.getHeaders().get("X-Forwarded-Proto");
        String first = proto == null ? "" : proto.split(",", 2)[0].trim(); // the proxy nearest the client first
        String scheme = first.equalsIgnoreCase("http") ? "http" : "https";
        String host = request.getHttpURI().getAuthority();
        // what the client sent goes into a quoted header value: nothing that could end the quote or the header
        String safeHost = host == null ? "" : host.replaceAll("[^A-Za-z0-9.:\\[\\]_-]", "");
        return scheme + "://" + safeHost + autoRedirectPath;
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
