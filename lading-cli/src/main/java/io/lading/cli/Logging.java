package io.lading.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import io.lading.cli.config.LadingConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sets up Logback from {@code log.*}: level, text or JSON lines on stderr, and the access log switch. */
final class Logging {
    private Logging() {
    }

    static void configure(LadingConfig.Log log) {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.reset();
        Encoder<ILoggingEvent> encoder;
        if (log.formatter().equals("text")) {
            PatternLayoutEncoder p = new PatternLayoutEncoder();
            p.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0} - %msg%n");
            p.setContext(ctx);
            p.start();
            encoder = p;
        } else {
            JsonEncoder j = new JsonEncoder();
            j.setContext(ctx);
            j.start();
            encoder = j;
        }
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(ctx);
        appender.setTarget("System.err");
        appender.setEncoder(encoder);
        appender.start();
        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.addAppender(appender);
        root.setLevel(Level.toLevel(log.level(), Level.INFO));
        ctx.getLogger("org.eclipse.jetty").setLevel(Level.WARN);
        ctx.getLogger("io.lading.access").setLevel(log.accessLogDisabled() ? Level.OFF : Level.INFO);
    }
}
