package io.lading.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AccessRulesTest {
    private final AccessRules rules = new AccessRules(Map.of("devs", Set.of("alice", "carol")), List.of(
            new AccessRules.Rule(Set.of(), Set.of("devs"), false, false, List.of("team/*"), Set.of("pull", "push"),
                    false, false),
            new AccessRules.Rule(Set.of(), Set.of(), false, true, List.of("users/{account}/**"), Set.of("*"), false,
                    false),
            new AccessRules.Rule(Set.of(), Set.of(), true, false, List.of("public/**"), Set.of("pull"), false, false),
            new AccessRules.Rule(Set.of("root"), Set.of(), false, false, List.of("**"), Set.of("*"), true, true)));

    private Set<String> granted(String account, String scope) {
        return rules.grant(rules.identity(account), Access.parse(scope)).actions();
    }

    @Test
    void scopesParseWithHostPortNamesAndRejectGarbage() {
        Access a = Access.parse("repository:localhost:5000/team/app:pull,push");
        assertThat(a.type()).isEqualTo("repository");
        assertThat(a.name()).isEqualTo("localhost:5000/team/app");
        assertThat(a.actions()).containsExactlyInAnyOrder("pull", "push");
        assertThat(Access.parse("registry:catalog:*")).isEqualTo(Access.catalog());
        assertThat(Access.parseAll(List.of("repository:a:pull repository:b:push"))).hasSize(2);
        for (String bad : List.of("repository", "repository:a", ":a:pull", "repository::pull", "repository:a:")) {
            assertThatThrownBy(() -> Access.parse(bad)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void grantsAreTheIntersectionOfWhatIsAskedAndWhatRulesAllow() {
        assertThat(granted("alice", "repository:team/app:pull,push,delete")).containsExactlyInAnyOrder("pull", "push");
        assertThat(granted("alice", "repository:team/app/nested:pull")).isEmpty(); // * stays in one component
        assertThat(granted("bob", "repository:team/app:pull")).isEmpty();           // not in devs
        assertThat(granted("bob", "repository:users/bob/tools:delete")).containsExactly("delete");
        assertThat(granted("bob", "repository:users/alice/tools:pull")).isEmpty();  // someone else's namespace
        assertThat(granted(null, "repository:public/lib/x:pull,push")).containsExactly("pull");
        assertThat(granted(null, "repository:users/x/y:pull")).isEmpty();           // {account} never anonymous
        assertThat(granted("bob", "repository:public/lib/x:pull")).containsExactly("pull"); // anonymous's, everyone's
        assertThat(granted("alice", "registry:catalog:*")).isEmpty();
        assertThat(granted("root", "registry:catalog:*")).containsExactly("*");
        assertThat(granted("root", "registry:admin:*")).containsExactly("*");
        assertThat(granted("root", "repository:anything/at/all:pull,push,delete")).hasSize(3);
        assertThat(granted("alice", "repository:team/app:frobnicate")).isEmpty();   // unknown actions never
    }

    @Test
    void globsAreNotRegularExpressions() {
        Identity who = rules.identity("alice");
        assertThat(AccessRules.matches("team/a.p", "team/app", who)).isFalse();
        assertThat(AccessRules.matches("team/(x|y)", "team/x", who)).isFalse();
        assertThat(AccessRules.matches("team/**", "team/a/b/c", who)).isTrue();
        assertThat(AccessRules.matches("team/**", "teams/a", who)).isFalse();
    }

    @Test
    void withoutRulesEveryAuthenticatedAccountMayDoEverythingExceptAdminister() {
        AccessRules all = AccessRules.authenticatedAll();
        assertThat(all.grant(all.identity("x"), Access.parse("repository:a/b:pull,push,delete")).actions()).hasSize(3);
        assertThat(all.grant(Identity.ANONYMOUS, Access.parse("repository:a/b:pull")).actions()).isEmpty();
        assertThat(all.grantsAnything(Identity.ANONYMOUS)).isFalse();
    }

    @Test
    void failedLoginsAreLimitedPerClientAndForgottenAfterTheWindow() {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000);
        java.time.Clock clock = new java.time.Clock() {
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            public java.time.Clock withZone(java.time.ZoneId z) {
                return this;
            }

            public java.time.Instant instant() {
                return java.time.Instant.ofEpochMilli(now.get());
            }
        };
        LoginLimiter limiter = new LoginLimiter(3, java.time.Duration.ofSeconds(60), clock);
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.blocked("10.0.0.1")).isEmpty();
            limiter.failed("10.0.0.1");
        }
        assertThat(limiter.blocked("10.0.0.1")).hasValue(java.time.Duration.ofSeconds(60));
        assertThat(limiter.blocked("10.0.0.2")).isEmpty();
        now.addAndGet(59_000);
        assertThat(limiter.blocked("10.0.0.1")).hasValue(java.time.Duration.ofSeconds(1));
        now.addAndGet(1_000);
        assertThat(limiter.blocked("10.0.0.1")).isEmpty();
        limiter.failed("10.0.0.2");
        limiter.succeeded("10.0.0.2");
        limiter.failed("10.0.0.2");
        limiter.failed("10.0.0.2");
        assertThat(limiter.blocked("10.0.0.2")).isEmpty(); // a success started the count again
    }
}
