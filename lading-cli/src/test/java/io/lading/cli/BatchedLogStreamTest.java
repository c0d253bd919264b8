package io.lading.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class BatchedLogStreamTest {
    /** Records each write the batch makes to the underlying stream. */
    private static final class Writes extends OutputStream {
        final List<String> writes = new CopyOnWriteArrayList<>();

        @Override
        public void write(int b) {
            writes.add(String.valueOf((char) b));
        }

        @Override
        public void write(byte[] b, int off, int len) {
            writes.add(new String(b, off, len, StandardCharsets.UTF_8));
        }

        void awaitWrites(int n) throws InterruptedException {
            for (int i = 0; i < 500 && writes.size() < n; i++) {
                Thread.sleep(10);
            }
        }
    }

    private static void print(OutputStream out, String line) throws Exception {
        out.write(line.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void linesWrittenTogetherReachTheStreamInOneWriteAfterTheInterval() throws Exception {
        Writes sink = new Writes();
        BatchedLogStream batch = new BatchedLogStream(sink, 4096);
        long start = System.nanoTime();
        print(batch, "one\n");
        print(batch, "two\n");
        print(batch, "three\n");
        assertThat(sink.writes).isEmpty();
        sink.awaitWrites(1);
        assertThat(sink.writes).containsExactly("one\ntwo\nthree\n");
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(BatchedLogStream.FLUSH_INTERVAL_MS * 1_000_000);

        print(batch, "four\n"); // a later line starts a new interval
        sink.awaitWrites(2);
        assertThat(sink.writes).containsExactly("one\ntwo\nthree\n", "four\n");
    }

    @Test
    void aFullBufferAndAFlushWriteAtOnce() throws Exception {
        Writes sink = new Writes();
        BatchedLogStream batch = new BatchedLogStream(sink, 16);
        print(batch, "0123456789\n");
        print(batch, "abcdefghij\n"); // does not fit behind the first: the first is written now
        assertThat(sink.writes).containsExactly("0123456789\n");
        print(batch, "a line longer than the whole buffer\n");
        assertThat(sink.writes).containsExactly("0123456789\n", "abcdefghij\n", "a line longer than the whole buffer\n");
        print(batch, "last\n");
        batch.flush();
        assertThat(sink.writes).last().isEqualTo("last\n");
        batch.close();
        print(batch, "after close\n"); // the underlying stream stays open
        batch.flush();
        assertThat(sink.writes).last().isEqualTo("after close\n");
    }

    @Test
    void aWarningIsWrittenAtOnceWithTheLinesBeforeIt() throws Exception {
        Writes sink = new Writes();
        BatchedLogStream batch = new BatchedLogStream(sink, 4096);
        LoggerContext ctx = new LoggerContext();
        ctx.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern("%level %msg%n");
        encoder.start();
        OutputStreamAppender<ILoggingEvent> appender = Logging.appender(batch, true);
        appender.setContext(ctx);
        appender.setEncoder(encoder);
        appender.start();
        ch.qos.logback.classic.Logger logger = ctx.getLogger("test");
        logger.addAppender(appender);
        logger.setLevel(Level.INFO);

        logger.info("request served");
        assertThat(sink.writes).isEmpty();
        logger.warn("disk nearly full");
        assertThat(sink.writes).hasSize(1);
        assertThat(sink.writes).containsExactly("INFO request served\nWARN disk nearly full\n");
        logger.error("cannot write");
        assertThat(sink.writes).hasSize(2);
        ctx.stop();
    }
}
