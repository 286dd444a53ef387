// Creates a shared pool that a GStreamer pipeline fills through vbufsink, and reads it: one line per
// frame (sequence, pts, CRC-32 of the visible picture), then a summary, until the producer's end of stream.
//
//   examples/java/run PoolReader NAME [--size WxH] [--format F] [--frames N]     (shell 1)
//   GST_PLUGIN_PATH=build/gst gst-launch-1.0 videotestsrc num-buffers=300 \
//       ! video/x-raw,format=NV12,width=1920,height=1080 ! vbufsink pool=NAME              (shell 2)
import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.Plane;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.zip.CRC32;

public class PoolReader {
    public static void main(String[] args) throws Exception {
        if (args.length < 1) throw new IllegalArgumentException("give the pool's name: PoolReader NAME [--size WxH] [--format F] [--frames N]");
        String name = args[0];
        int w = 1920, h = 1080, count = 8;
        PixelFormat format = PixelFormat.NV12;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--size" -> { String[] s = args[++i].split("x"); w = Integer.parseInt(s[0]); h = Integer.parseInt(s[1]); }
                case "--format" -> format = PixelFormat.parse(args[++i]);
                case "--frames" -> count = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; accepted: --size WxH, --format F, --frames N");
            }
        }
        FrameLayout layout = FrameLayout.of(format, w, h);
        try (FramePool pool = FramePool.builder().shared(name).layout(layout).count(count).groups("java").build()) {
            System.out.println("pool " + name + " ready: " + layout + ", " + count + " frames, group 'java'");
            Consumer c = pool.consumer("java");
            long n = 0;
            byte[] row = new byte[layout.plane(0).rowBytes()];
            while (true) {
                Frame f = c.acquireFilled(Duration.ofMillis(200));
                if (f == null) {
                    if (pool.endOfStream() && c.lag() == 0) break;
                    continue;
                }
                try (f) {
                    CRC32 crc = new CRC32();
                    MemorySegment seg = f.segment();
                    for (Plane p : layout.planes()) {
                        for (int r = 0; r < p.rows(); r++) {
                            MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_BYTE, p.rowOffset(r), row, 0, p.rowBytes());
                            crc.update(row, 0, p.rowBytes());
                        }
                    }
                    System.out.printf("frame seq %d pts %d crc32 %08x%n", f.sequence(), f.pts(), crc.getValue());
                    n++;
                }
            }
            System.out.println("end of stream: " + n + " frames read from pool " + name);
        }
    }
}
