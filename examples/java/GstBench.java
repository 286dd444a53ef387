// A GStreamer pipeline handing frames to another process, three ways: vbufsink -> vbufsrc through a
// vbuf shared pool (this program creates it), shmsink -> shmsrc, tcpserversink -> tcpclientsrc
// (+ rawvideoparse). The same producer (videotestsrc) and consumer (fakesink) each time; prints
// frames/s (wall clock of the pair) and CPU per frame (user + system of each gst-launch process).
// shmsink's process exits 1 when its reader leaves after num-buffers; the frames were delivered.
// Needs scripts/build-gst, and for the peers scripts/install-gstreamer --bench (plugins-bad).
//
//   examples/java/run GstBench [--size WxH] [--frames N] [--transports vbuf,shm,tcp]
import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.pool.FramePool;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class GstBench {
    static Path repo = Path.of(System.getProperty("vbuf.repo", ".")).toAbsolutePath();

    /** Starts `gst-launch-1.0 PIPELINE` under bash so that `times` reports its CPU. */
    static Process start(String pipeline, Path log) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "gst-launch-1.0 -q " + pipeline + "; rc=$?; times; exit $rc")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("GST_PLUGIN_PATH", repo.resolve("build/gst").toString());
        return pb.start();
    }

    static final Pattern TIMES = Pattern.compile("(\\d+)m([\\d.]+)s (\\d+)m([\\d.]+)s");

    /** CPU seconds (user + system) of bash's children, from the second line of `times`. */
    static double cpu(Path log) throws Exception {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        List<String> t = new ArrayList<>();
        for (String l : lines) if (TIMES.matcher(l.trim()).matches()) t.add(l.trim());
        if (t.size() < 2) throw new IllegalStateException("no CPU times in " + log + ":\n" + String.join("\n", lines));
        Matcher m = TIMES.matcher(t.get(1));
        m.matches();
        return Integer.parseInt(m.group(1)) * 60 + Double.parseDouble(m.group(2)) + Integer.parseInt(m.group(3)) * 60
                + Double.parseDouble(m.group(4));
    }

    public static void main(String[] args) throws Exception {
        int w = 1920, h = 1080, n = 300;
        String transports = "vbuf,shm,tcp";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--size" -> { String[] s = args[++i].split("x"); w = Integer.parseInt(s[0]); h = Integer.parseInt(s[1]); }
                case "--frames" -> n = Integer.parseInt(args[++i]);
                case "--transports" -> transports = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; accepted: --size WxH, --frames N, --transports vbuf,shm,tcp");
            }
        }
        Path dir = Files.createTempDirectory("vbuf-gstbench");
        String caps = "video/x-raw,format=NV12,width=" + w + ",height=" + h + ",framerate=30/1";
        String producer = "videotestsrc num-buffers=" + n + " pattern=ball ! " + caps;
        long frameBytes = (long) w * h * 3 / 2;
        System.out.printf("%d frames NV12 %dx%d, load %.1f, %d CPUs%n", n, w, h,
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Runtime.getRuntime().availableProcessors());
        for (String t : transports.split(",")) {
            String prod, cons;
            FramePool pool = null;
            int port = 20000 + (int) (ProcessHandle.current().pid() % 20000);
            switch (t) {
                case "vbuf" -> {
                    String name = "gstbench-" + ProcessHandle.current().pid();
                    pool = FramePool.builder().shared(name).layout(FrameLayout.of(PixelFormat.NV12, w, h)).count(8).groups("gst").build();
                    prod = producer + " ! vbufsink pool=" + name;
                    cons = "vbufsrc pool=" + name + " ! fakesink sync=false";
                }
                case "shm" -> {
                    Path sock = dir.resolve("shm.sock");
                    prod = producer + " ! shmsink socket-path=" + sock + " shm-size=" + (frameBytes * 8 + 4096)
                            + " wait-for-connection=true sync=false";
                    cons = "shmsrc socket-path=" + sock + " num-buffers=" + n + " ! " + caps + " ! fakesink sync=false";
                }
                case "tcp" -> {
                    prod = producer + " ! tcpserversink host=127.0.0.1 port=" + port + " sync=false";
                    cons = "tcpclientsrc host=127.0.0.1 port=" + port + " ! rawvideoparse format=nv12 width=" + w + " height=" + h
                            + " ! fakesink sync=false";
                }
                default -> throw new IllegalArgumentException("unknown transport " + t + "; accepted: vbuf, shm, tcp");
            }
            Path plog = dir.resolve(t + "-producer.log"), clog = dir.resolve(t + "-consumer.log");
            long t0 = System.nanoTime();
            Process p, c;
            if (t.equals("vbuf")) { // the consumer waits for frames; the producer needs the pool only
                c = start(cons, clog);
                p = start(prod, plog);
            } else { // the servers first
                p = start(prod, plog);
                Thread.sleep(500);
                c = start(cons, clog);
            }
            boolean ok = p.waitFor(300, TimeUnit.SECONDS) & c.waitFor(300, TimeUnit.SECONDS);
            double secs = (System.nanoTime() - t0) / 1e9;
            if (pool != null) pool.close();
            if (!ok) {
                p.destroyForcibly();
                c.destroyForcibly();
                System.out.printf("%-5s did not finish within 300 s (logs in %s)%n", t, dir);
                continue;
            }
            double pm = cpu(plog) * 1000 / n, cm = cpu(clog) * 1000 / n;
            System.out.printf("%-5s %7.1f frames/s  CPU per frame: producer %6.2f ms, consumer %6.2f ms, both %6.2f ms"
                    + "  (exit %d/%d)%n", t, n / secs, pm, cm, pm + cm, p.exitValue(), c.exitValue());
        }
    }
}
