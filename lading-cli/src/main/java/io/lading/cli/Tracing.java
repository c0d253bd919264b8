package io.lading.cli;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * OpenTelemetry tracing, off unless the standard {@code OTEL_*} environment variables ask for it: an exporter
 * ({@code OTEL_TRACES_EXPORTER}) or an OTLP endpoint ({@code OTEL_EXPORTER_OTLP_ENDPOINT},
 * {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}), and not {@code OTEL_SDK_DISABLED=true}. The SDK then configures
 * itself from the same variables (sampler, resource, headers, ...), with Lading's defaults: service name
 * {@code lading}, OTLP over HTTP/protobuf (sent with the JDK's HTTP client), and no metrics or logs exporter
 * (metrics are Prometheus'). Spans: one per request ({@code lading-http}), with children for storage driver
 * operations and metadata transactions made during it.
 */
final class Tracing implements AutoCloseable {
    private static final List<String> ENABLING = List.of("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    private static final AttributeKey<String> OPERATION = AttributeKey.stringKey("lading.operation");

    private final OpenTelemetry otel;
    private final OpenTelemetrySdk sdk;
    private final Tracer tracer;

    private Tracing(OpenTelemetry otel, OpenTelemetrySdk sdk) {
        this.otel = otel;
        this.sdk = sdk;
        this.tracer = otel.getTracer("io.lading");
    }

    /** Tracing as the environment configures it; a no-op when it does not ask for tracing. */
    static Tracing fromEnvironment(Map<String, String> env) {
        boolean disabled = "true".equalsIgnoreCase(env.getOrDefault("OTEL_SDK_DISABLED", "false"));
        boolean wanted = ENABLING.stream().anyMatch(k -> env.get(k) != null && !env.get(k).isBlank())
                && !"none".equalsIgnoreCase(env.getOrDefault("OTEL_TRACES_EXPORTER", ""));
        if (disabled || !wanted) {
            return new Tracing(OpenTelemetry.noop(), null);
        }
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("otel.service.name", "lading");
        defaults.put("otel.exporter.otlp.protocol", "http/protobuf");
        defaults.put("otel.metrics.exporter", "none");
        defaults.put("otel.logs.exporter", "none");
        try {
            OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                    .addPropertiesSupplier(() -> defaults)
                    .addPropertiesCustomizer(props -> fromEnv(env))
                    .disableShutdownHook()
                    .build().getOpenTelemetrySdk();
            return new Tracing(sdk, sdk);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("OpenTelemetry configuration (OTEL_* environment variables): "
                    + e.getMessage(), e);
        }
    }

    /** OTEL_FOO_BAR=x as otel.foo.bar=x, so the variables given (not only the process's own) configure the SDK. */
    private static Map<String, String> fromEnv(Map<String, String> env) {
        Map<String, String> out = new LinkedHashMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("OTEL_")) {
                out.put(k.toLowerCase(Locale.ROOT).replace('_', '.'), v);
            }
        });
        return out;
    }

    OpenTelemetry openTelemetry() {
        return otel;
    }

    boolean enabled() {
        return sdk != null;
    }

    /**
     * Records a finished operation as a child span of the current request's span; nothing outside a request
     * (background work would otherwise make a trace per collector step).
     */
    void operation(String name, long nanos, boolean failed) {
        if (sdk == null || !Span.current().getSpanContext().isValid()) {
            return;
        }
        long end = System.currentTimeMillis() * 1_000_000L;
        Span span = tracer.spanBuilder(name).setStartTimestamp(end - nanos, TimeUnit.NANOSECONDS)
                .setAttribute(OPERATION, name).startSpan();
        if (failed) {
            span.setStatus(StatusCode.ERROR);
        }
        span.end(end, TimeUnit.NANOSECONDS);
    }

    /** Flushes what is buffered and stops the exporter. */
    @Override
    public void close() {
        if (sdk != null) {
            sdk.shutdown().join(5, TimeUnit.SECONDS);
        }
    }
}
