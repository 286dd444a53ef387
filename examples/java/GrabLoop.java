// A JavaCV grab loop switched to vbuf: the usual FFmpegFrameGrabber loop that keeps each picture
// (Frame.clone(), a full copy) against PoolGrabber, where FFmpeg decodes into pool frames and the
// loop gets views of them. Prints frames/s, bytes allocated per picture on the grab thread and in
// the whole JVM, and GC runs, for both loops over the same file; then the vbuf loop alone in its
// steady state (pool open and warm, the input looping) for --steady pictures, with the bytes the
// decode thread allocated per picture too.
//
//   examples/java/run GrabLoop [--size WxH] [--frames N] [--steady N] [input]
// Without an input it first records an FFV1 clip of that size (default 320x240, 60 frames); with
// --steady at most N - 20 the measured pictures do not include the seek back to the clip's start
// (about 100 B on the decode thread per pass of the file).
import dev.vbuf.bridge.FrameView;
import dev.vbuf.bridge.PoolGrabber;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_FFV1;
import static org.bytedeco.ffmpeg.global.avutil.*;

public class GrabLoop {
    static final com.sun.management.ThreadMXBean MX = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    static long gcs() {
        long n = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) n += Math.max(0, b.getCollectionCount());
        return n;
    }

    record Run(String name, long frames, double seconds, long threadBytes, long jvmBytes, long gcs, long copied) {
        void print() {
            System.out.printf("%-37s %5d pictures %7.1f pictures/s, heap %9.1f B/picture (grab thread) %9.1f B/picture (JVM),"
                    + " %3d GCs, pixels copied %9d B/picture%n",
                    name, frames, frames / seconds, (double) threadBytes / frames, (double) jvmBytes / frames, gcs, copied / Math.max(1, frames));
        }
    }

    /** A loop: returns {pictures, pixel bytes it copied}. */
    interface Loop { long[] run() throws Exception; }

    static Run measure(String name, Loop loop) throws Exception {
        long g0 = gcs(); // first: asking for the collectors allocates (streams, names), which is not the loop's
        long t0 = System.nanoTime(), j0 = MX.getTotalThreadAllocatedBytes(), a0 = MX.getCurrentThreadAllocatedBytes();
        long[] r = loop.run();
        long a = MX.getCurrentThreadAllocatedBytes() - a0, j = MX.getTotalThreadAllocatedBytes() - j0, t = System.nanoTime() - t0;
        return new Run(name, r[0], t / 1e9, a, j, gcs() - g0, r[1]);
    }

    public static void main(String[] args) throws Exception {
        int w = 320, h = 240, frames = 60, steadyFrames = 500;
        String input = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--size" -> { String[] s = args[++i].split("x"); w = Integer.parseInt(s[0]); h = Integer.parseInt(s[1]); }
                case "--frames" -> frames = Integer.parseInt(args[++i]);
                case "--steady" -> steadyFrames = Integer.parseInt(args[++i]);
                default -> input = args[i];
            }
        }
        boolean generated = input == null;
        if (generated) input = makeClip(w, h, frames).toString();
        final String in = input;
        long sink = 0;
        for (int pass = 0; pass < 2; pass++) { // the first pass warms the JIT and fills the pools; the second is printed
            Run javacv = measure("JavaCV grab + clone (keeps each)", () -> {
                long n = 0, copied = 0;
                try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(in)) {
                    g.setPixelFormat(AV_PIX_FMT_YUV420P); // the decoder's own format: no conversion, as PoolGrabber
                    g.start();
                    for (Frame f; (f = g.grabImage()) != null; n++) {
                        try (Frame kept = f.clone()) {             // the copy JavaCV code makes to keep a picture
                            ((ByteBuffer) kept.image[0]).get(0);
                            copied += kept.image[0].capacity();      // off the heap: not in the heap figures
                        }
                    }
                }
                return new long[] {n, copied};
            });
            Run vbuf = measure("vbuf PoolGrabber (decodes into pool)", () -> {
                long n = 0;
                try (PoolGrabber g = PoolGrabber.open(in, PoolGrabber.Options.DEFAULT)) {
                    for (FrameView v; (v = g.grab()) != null; n++) v.plane(0).get(0);
                    return new long[] {n, g.copies() * g.pool().layout().frameBytes()};
                }
            });
            if (pass == 1) {
                javacv.print();
                vbuf.print();
            }
        }
        // the grab loop alone, pool open and warm: what a long-running loop costs per picture
        final int steadyN = steadyFrames;
        try (PoolGrabber g = PoolGrabber.open(in, new PoolGrabber.Options(4, null, java.util.List.of(), true))) {
            // warm up to the end of a pass of the generated clip, so that the measured pictures (fewer than the
            // clip's, minus the pool the decoder runs ahead by) do not include the seek back to its start
            int warm = generated ? ((200 + frames - 1) / frames) * frames : 200;
            for (int i = 0; i < warm; i++) g.grab().plane(0).get(0);
            Thread decoder = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("vbuf-grab-decode"))
                    .findFirst().orElseThrow();
            long d0 = MX.getThreadAllocatedBytes(decoder.threadId());
            Run steady = measure("vbuf grab loop, steady state", () -> {
                long n = 0, c0 = g.copies();
                for (; n < steadyN; n++) g.grab().plane(0).get(0);
                return new long[] {n, (g.copies() - c0) * g.pool().layout().frameBytes()};
            });
            long decoded = MX.getThreadAllocatedBytes(decoder.threadId()) - d0;
            steady.print();
            System.out.printf("%-37s %5d pictures, heap %9.1f B/picture (decode thread)%n", "  its decode thread", steady.frames(),
                    (double) decoded / steady.frames());
        }
    }

    static Path makeClip(int w, int h, int frames) throws Exception {
        Path file = Files.createTempFile("vbuf-grabloop-", ".mkv");
        try (FFmpegFrameRecorder rec = new FFmpegFrameRecorder(file.toString(), w, h)) {
            rec.setFormat("matroska");
            rec.setVideoCodec(AV_CODEC_ID_FFV1);
            rec.setPixelFormat(AV_PIX_FMT_YUV420P);
            rec.setFrameRate(25);
            rec.start();
            Frame f = new Frame(w, h * 3 / 2, Frame.DEPTH_UBYTE, 1, w);
            ByteBuffer b = (ByteBuffer) f.image[0];
            for (int k = 0; k < frames; k++) {
                for (int i = 0; i < w * h; i++) b.put(i, (byte) (i % w + i / w + 3 * k));
                f.imageHeight = h;
                rec.record(f, AV_PIX_FMT_YUV420P);
                f.imageHeight = h * 3 / 2;
            }
            rec.stop();
        }
        file.toFile().deleteOnExit();
        return file;
    }
}
