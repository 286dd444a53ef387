package dev.vbuf.media.fb;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.Plane;
import dev.vbuf.media.MediaCounters;
import dev.vbuf.media.Sink;
import dev.vbuf.media.StreamInfo;
import dev.vbuf.pool.Frame;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Shows a pipeline's frames on a framebuffer ({@code vbuf run --output /dev/fb0}), double
 * buffered: each frame is written into the page not on screen and that page is flipped to with
 * FBIOPAN_DISPLAY. The frames come from the source's pool, not from framebuffer memory, so each
 * one is copied once into the page (counted in {@link MediaCounters#copies}); the zero-copy path
 * is a pool built over the framebuffer itself ({@link Framebuffer#pool}), where a frame is
 * displayed by its buffer id ({@code vbuf display}).
 *
 * <p>The frames' pixel format must be the framebuffer's (no conversion): the framebuffer is set
 * to 32 bits per pixel when the stream is RGBA or BGRA-compatible, and a stream in another
 * format is refused at {@link #open} with the format to ask for.
 */
public final class FramebufferSink implements Sink {
    private final String output;
    private final MediaCounters counters;
    private Framebuffer fb;
    private FrameLayout page;
    private MemorySegment[] pages;
    private int shown;
    private long frames;
    private long flipErrors;

    public FramebufferSink(String output, MediaCounters counters) {
        this.output = output;
        this.counters = counters;
    }

    @Override
    public void open(StreamInfo info) throws IOException {
        try {
            fb = Framebuffer.open(Path.of(output));
            Framebuffer.Info fi = fb.info();
            var want = info.layout().format();
            if (fi.pixelFormat().orElse(null) != want) {
                int bpp = switch (want) { case RGBA, BGRA -> 32; case RGB24, BGR24 -> 24; default -> -1; };
                if (bpp < 0) {
                    throw new IOException(output + " shows " + fi.pixelFormat().map(Object::toString).orElse(fi.bitsPerPixel() + " bpp")
                            + " pixels; the stream is " + want + " and vbuf does not convert; run with --format rgba (or bgra)");
                }
                fb.configure(2, bpp);
                if (fb.info().pixelFormat().orElse(null) != want) {
                    throw new IOException(output + " set to " + bpp + " bpp shows " + fb.info().pixelFormat().map(Object::toString)
                            .orElse("an unknown layout") + ", not the stream's " + want + "; run with --format "
                            + fb.info().pixelFormat().map(p -> p.name().toLowerCase(Locale.ROOT)).orElse("rgba"));
                }
            } else {
                fb.configure(2, 0);
            }
            Optional<FrameLayout> l = fb.layout();
            if (l.isEmpty()) throw new IOException(output + ": line length " + fb.info().lineLength() + " has no vbuf layout");
            page = l.get();
            pages = new MemorySegment[fb.pages()];
            for (int i = 0; i < pages.length; i++) pages[i] = fb.page(i);
        } catch (FramebufferException | IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public void accept(Frame frame) throws IOException {
        try {
            if (frame.isEndOfStream()) return;
            int back = shown ^ 1;
            copyInto(frame, pages[back]);
            counters.copies.increment();
            if (fb.flip(back) < 0) flipErrors++;
            shown = back;
            frames++;
            counters.sinkFrames.increment();
        } finally {
            frame.close();
        }
    }

    /** Copies the frame's rows into a page, cropped to the smaller of the two sizes. */
    private void copyInto(Frame f, MemorySegment dst) {
        FrameLayout src = f.pool().layout();
        Plane sp = src.plane(0), dp = page.plane(0);
        int rows = Math.min(sp.rows(), dp.rows());
        long bytes = Math.min(sp.rowBytes(), dp.rowBytes());
        MemorySegment s = f.segment();
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(s, sp.rowOffset(r), dst, dp.rowOffset(r), bytes);
        }
        counters.bytesOut.add(bytes * rows);
    }

    @Override
    public void finish() {}

    @Override
    public String summary() {
        return "displayed " + frames + " frames on " + output + " (" + (fb == null ? "?" : fb.info().xres() + "x" + fb.info().yres())
                + ", 2 pages, one copy per frame into the back page" + (flipErrors > 0 ? ", " + flipErrors + " pans refused" : "") + ")";
    }

    @Override
    public void close() {
        if (fb != null) fb.close();
    }
}
