package io.lading.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lading.cli.config.LadingConfig;
import java.util.Map;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets up Logback from {@code log.*}: the level, the access log switch, and one line per event on stderr, as
 * text ({@code key=value} pairs after the message) or as JSON ({@code json} and {@code logstash}: Logstash's
 * JSON, one object per line with {@code @timestamp}, {@code level}, {@code logger_name}, {@code message}, the
 * request's {@code request_id}, the event's key-value pairs and {@code log.fields}). Lines are written in
 * batches by the server ({@link BatchedLogStream}): warnings and errors at once, other lines within 100 ms.
 */
final class Logging {
    private Logging() {
    }

    /**
     * @param batched write lines in batches (the server, whose access log writes a line per request); false for
     *                one-shot commands, whose log lines mix with what they print to the terminal
     */
    static void configure(LadingConfig.Log log, boolean batched) {
        configure(log, BatchedLogStream.stderr(), batched);
    }

    /** As {@link #configure(LadingConfig.Log, boolean)}, onto {@code out} instead of stderr. */
    static void configure(LadingConfig.Log log, BatchedLogStream out, boolean batched) {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.reset();
        Encoder<ILoggingEvent> encoder = log.formatter().equals("text") ? text(ctx, log.fields()) : json(ctx, log.fields());
        OutputStreamAppender<ILoggingEvent> appender = appender(out, batched);
        appender.setContext(ctx);
        appender.setEncoder(encoder);
        appender.start();
        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.addAppender(appender);
        root.setLevel(Level.toLevel(log.level(), Level.INFO));
        ctx.getLogger("org.eclipse.jetty").setLevel(Level.WARN);
        // The Azure SDK's JDK client warns on every request that it leaves Content-Length to the JDK (which sets
        // it from the body's length): noise, not a problem.
        ctx.getLogger("com.azure.core.http.jdk.httpclient.JdkHttpClient").setLevel(Level.ERROR);
        ctx.getLogger("io.lading.access").setLevel(log.accessLogDisabled() ? Level.OFF : Level.INFO);
    }

    /** Writes every line still waiting in the batch (before exiting, or before printing to stderr directly). */
    static void flush() {
        BatchedLogStream.stderr().flushQuietly();
    }

    /**
     * An appender onto {@code out} that writes warnings and errors, and the lines before them, at once; other lines
     * in batches when {@code batched}, else each at once.
     */
    static OutputStreamAppender<ILoggingEvent> appender(BatchedLogStream out, boolean batched) {
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>() {
            @Override
            protected void subAppend(ILoggingEvent event) {
                super.subAppend(event);
                if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
                    out.flushQuietly();
                }
            }
        };
        appender.setImmediateFlush(!batched);
        appender.setOutputStream(out);
        return appender;
    }

    private static Encoder<ILoggingEvent> text(LoggerContext ctx, Map<String, String> fields) {
        StringBuilder extra = new StringBuilder();
        fields.forEach((k, v) -> extra.append(' ').append(k).append('=').append(quote(v)));
        PatternLayoutEncoder p = new PatternLayoutEncoder();
        // %kvp: the event's key-value pairs; request_id from the MDC while a request is being handled.
        p.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0} - %msg%replace( %kvp){'^ $', ''}"
                + "%replace( request_id=%X{request_id}){' request_id=$', ''}"
                + extra.toString().replace("%", "\\%") + "%n");
        p.setContext(ctx);
        p.start();
        return p;
    }

    private static String quote(String v) {
        return v.matches("[A-Za-z0-9._:/@-]+") ? v : '"' + v.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private static Encoder<ILoggingEvent> json(LoggerContext ctx, Map<String, String> fields) {
        LogstashEncoder e = new LogstashEncoder();
        e.setContext(ctx);
        if (!fields.isEmpty()) {
            ObjectNode custom = new ObjectMapper().createObjectNode();
            fields.forEach(custom::put);
            e.setCustomFields(custom.toString());
        }
        e.start();
        return e;
    }
}
