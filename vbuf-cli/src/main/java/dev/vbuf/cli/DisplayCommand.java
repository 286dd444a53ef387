package dev.vbuf.cli;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.TestPattern;
import dev.vbuf.media.fb.Framebuffer;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code vbuf display}: zero-copy display on a Linux framebuffer. The framebuffer's pages
 * are the pool's EXTERNAL buffers; a producer thread renders the test pattern straight into a
 * free page (no copy), and the display consumer flips to each filled frame by its buffer id
 * (FBIOPAN_DISPLAY), reads the pan offset back from the driver, checks the page now on screen
 * holds that frame's picture, and keeps the frame until the next flip replaces it.
 */
@Command(name = "display", mixinStandardHelpOptions = true,
        description = "Page-flip test-pattern frames on a framebuffer whose pages are the pool's buffers (zero copy), checking each pan.")
public final class DisplayCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--device", defaultValue = "/dev/fb0", description = "Framebuffer device. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--pages", defaultValue = "3", description = "Display pages (pool buffers), 2..64; the memory must hold them. Default: ${DEFAULT-VALUE}.")
    int pages;

    @Option(names = "--flips", defaultValue = "60", description = "Frames to show, 1..1000000. Default: ${DEFAULT-VALUE}.")
    int flips;

    @Option(names = "--bpp", defaultValue = "32", description = "Bits per pixel to set: 0 (keep), 24 or 32. Default: ${DEFAULT-VALUE}.")
    int bpp;

    @Option(names = "--console", defaultValue = "graphics",
            description = "graphics: switch the text console to graphics mode (KDSETMODE on --tty) so it does not draw over the"
                    + " pages; keep: leave it. Default: ${DEFAULT-VALUE}.")
    String console;

    @Option(names = "--tty", defaultValue = "/dev/tty0", description = "Terminal for --console graphics. Default: ${DEFAULT-VALUE}.")
    String tty;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Flags.range(spec, "--pages", pages, 2, 64);
        Flags.range(spec, "--flips", flips, 1, 1_000_000);
        if (bpp != 0 && bpp != 24 && bpp != 32) throw Flags.bad(spec, "--bpp " + bpp + " is not 0 (keep), 24 or 32");
        if (!console.equals("graphics") && !console.equals("keep")) throw Flags.bad(spec, "--console " + console + " is not graphics or keep");
        AutoCloseable textMode = null;
        try (Framebuffer fb = Framebuffer.open(Path.of(device))) {
            out.println(device + ": " + fb.info());
            if (console.equals("graphics")) {
                try {
                    textMode = Framebuffer.consoleGraphicsMode(Path.of(tty));
                    out.println("console: " + tty + " in graphics mode (KDSETMODE KD_GRAPHICS) while flipping");
                } catch (RuntimeException e) {
                    out.println("console: left in text mode, it may draw over the page on screen: " + e.getMessage());
                }
            }
            Framebuffer.Info info = fb.configure(pages, bpp);
            out.println(device + " set to " + pages + " pages: " + info);
            FrameLayout layout = fb.layout().orElseThrow(() -> new IllegalStateException(device + " shows "
                    + info.bitsPerPixel() + " bpp pixels (red at bit " + info.redOffset() + "), which is not a vbuf pixel format;"
                    + " try --bpp 32"));
            try (FramePool pool = fb.pool("fb", List.of("display"), Overflow.BLOCK);
                 TestPattern pattern = new TestPattern(layout)) {
                out.println("pool: " + pool.getTotalCount() + " EXTERNAL buffers of " + pool.getBufferSize() + " bytes (" + layout
                        + "), " + pool.backing());
                out.flush();
                AtomicReference<Throwable> producerError = new AtomicReference<>();
                Thread producer = Thread.ofPlatform().name("fb-render").start(() -> {
                    try {
                        for (int n = 0; n < flips; n++) {
                            Frame f = pool.acquireFree(Duration.ofSeconds(30));
                            if (f == null) throw new IllegalStateException("no free page within 30 s at frame " + n);
                            pattern.write(f.segment(), n);
                            f.pts(n).captureTimeNs(System.nanoTime()).submit();
                        }
                    } catch (Throwable t) {
                        producerError.set(t);
                    }
                });
                Consumer display = pool.consumer("display");
                Frame onScreen = null;
                int shown = 0, panMatched = 0, contentMatched = 0, refused = 0;
                int[] perPage = new int[pages];
                String firstProblem = null;
                long t0 = System.nanoTime();
                while (shown < flips) {
                    Frame f = display.acquireFilled(Duration.ofSeconds(30));
                    if (f == null) {
                        firstProblem = "no frame to show within 30 s after " + shown
                                + (producerError.get() != null ? ": " + producerError.get() : "");
                        break;
                    }
                    int page = f.id();
                    int r = fb.flip(page);
                    if (r < 0) {
                        refused++;
                        if (firstProblem == null) firstProblem = "FBIOPAN_DISPLAY to page " + page + " refused (errno " + -r + ")";
                    }
                    int y = fb.yoffset();
                    if (y == page * info.yres()) panMatched++;
                    else if (firstProblem == null) firstProblem = "after a pan to page " + page + " the driver reports yoffset " + y;
                    long bad = pattern.verify(fb.page(fb.displayedPage()), f.pts());
                    if (bad < 0) contentMatched++;
                    else if (firstProblem == null) firstProblem = "page on screen differs from frame " + f.pts() + " at byte " + bad;
                    perPage[page]++;
                    if (shown < 6 || shown == flips - 1) {
                        out.println("flip " + shown + ": frame " + f.pts() + " is buffer " + page + " -> FBIOPAN_DISPLAY yoffset "
                                + page * info.yres() + ", driver reports yoffset " + y);
                    }
                    if (onScreen != null) onScreen.close();   // the previous page leaves the screen: back to the pool
                    onScreen = f;
                    shown++;
                }
                if (onScreen != null) onScreen.close();
                producer.join(30_000);
                double secs = (System.nanoTime() - t0) / 1e9;
                StringBuilder pp = new StringBuilder();
                for (int i = 0; i < pages; i++) pp.append(i == 0 ? "" : ", ").append(i).append(": ").append(perPage[i]);
                boolean pass = shown == flips && panMatched == flips && contentMatched == flips && refused == 0
                        && producerError.get() == null;
                out.printf("display: %s %d flips, pan offset read back correct %d, page content matched %d, pans refused %d;"
                                + " flips per page {%s}; %.1f s%n", pass ? "PASS" : "FAIL", shown, panMatched, contentMatched,
                        refused, pp, secs);
                if (firstProblem != null) out.println("display: first problem: " + firstProblem);
                if (producerError.get() != null) out.println("display: producer failed: " + producerError.get());
                out.flush();
                return pass ? 0 : 1;
            }
        } finally {
            if (textMode != null) textMode.close();
        }
    }
}
