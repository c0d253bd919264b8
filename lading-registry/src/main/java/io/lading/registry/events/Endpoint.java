package io.lading.registry.events;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One notification endpoint: distribution's {@code notifications.endpoints[]} entry plus Lading's additions
 * ({@code lading.notifications.*}).
 *
 * @param threshold       consecutive failures after which the endpoint is reported as failing (log, status,
 *                        metrics); retries back off from the first failure regardless
 * @param backoff         the first retry delay; it doubles with each consecutive failure, up to {@code maxBackoff},
 *                        and each actual delay is drawn uniformly below it (full jitter)
 * @param format          the request body: distribution's envelope or CloudEvents 1.0 (structured JSON)
 * @param maxBatch        most events per request
 * @param deadLetterAfter an event that has failed and is older than this moves to the dead letters
 */
public record Endpoint(String name, URI url, Map<String, List<String>> headers, Duration timeout, int threshold,
                       Duration backoff, Set<String> ignoredMediaTypes, Set<String> ignoredActions, boolean disabled,
                       Format format, int maxBatch, Duration deadLetterAfter, Duration maxBackoff) {

    /** How events are put on the wire. */
    public enum Format {
        /** {@code application/vnd.docker.distribution.events.v2+json}: {"events": [...]}. */
        DISTRIBUTION,
        /** CloudEvents 1.0 in structured mode: one {@code application/cloudevents+json} event, or a batch array. */
        CLOUDEVENTS
    }

    public Endpoint {
        headers = Map.copyOf(headers);
        ignoredMediaTypes = Set.copyOf(ignoredMediaTypes);
        ignoredActions = Set.copyOf(ignoredActions);
    }

    /** Whether the endpoint takes the event (distribution's ignore rules: media type or action, either one). */
    public boolean wants(Event e) {
        if (disabled || ignoredActions.contains(e.action())) {
            return false;
        }
        return e.target().mediaType() == null || !ignoredMediaTypes.contains(e.target().mediaType());
    }
}
