package io.lading.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The one progress line of a long command ({@code lading gc}, {@code lading check}) on a terminal: redrawn in place
 * at most ten times a second, and wiped before other output. Off the terminal it prints nothing.
 */
final class ProgressLine {
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final int WIDTH = 30;
    private final PrintStream err;
    private final boolean terminal;
    private boolean shown;
    private long lastDraw;

    ProgressLine(PrintStream err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /** Draws {@code name [####    ] done/total} (a bar only when {@code total} is known), then {@code suffix}. */
    void draw(String name, long done, long total, String suffix) {
        long now = System.nanoTime();
        if (!terminal || now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        if (total > 0) {
            int filled = (int) Math.min(WIDTH, WIDTH * done / total);
            err.printf(Locale.ROOT, "\r%-18s [%s%s] %d/%d%s", name, "#".repeat(filled), " ".repeat(WIDTH - filled),
                    done, total, suffix);
        } else {
            err.printf(Locale.ROOT, "\r%-18s %d%s", name, done, suffix);
        }
        shown = true;
    }

    /** Wipes the line, if it is shown. */
    void end() {
        if (shown) {
            err.print("\r\033[K");
            shown = false;
        }
    }
}
