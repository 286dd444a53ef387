// A GStreamer pipeline handing frames to another process, three ways: vbufsink -> vbufsrc through a
// vbuf shared pool (this program creates it), shmsink -> shmsrc, tcpserversink -> tcpclientsrc
// (+ rawvideoparse). The same producer (videotestsrc) and consumer (fakesink) each time; prints
// frames/s (frames the consumer received over the wall clock from its start to both ends) and CPU
// per frame (user + system of each gst-launch process, start-up included).
// Each run starts the producer first, which waits for its reader (vbufsink: the pool is full and
// blocks; shmsink: wait-for-connection; tcpserversink: frames before the client connects are lost,
// so its count is what the consumer received), then the consumer 0.5 s later; the clock starts then.
// The transports take turns for --rounds rounds (order rotated), and the median round is printed.
// GStreamer's plugin registry is this run's own, built before timing (a registry rebuilt inside a
// timed run cost vbuf a third of its rate in an earlier measurement).
// shmsink's process exits 1 when its reader leaves after num-buffers; the frames were delivered.
// Needs scripts/build-gst, and for the peers scripts/install-gstreamer --bench (plugins-bad).
//
//   examples/java/run GstBench [--size WxH] [--frames N] [--rounds R] [--pattern ball] [--transports vbuf,shm,tcp]
// (--pattern black: videotestsrc draws almost nothing, so the transport is most of the cost)
import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.Overflow;

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
    static Path registry;

    /** Starts `gst-launch-1.0 [-q] PIPELINE` under bash so that `times` reports its CPU. */
    static Process start(String flags, String pipeline, Path log) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "gst-launch-1.0 " + flags + " " + pipeline + "; rc=$?; times; exit $rc")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("GST_PLUGIN_PATH", repo.resolve("build/gst").toString());
        pb.environment().put("GST_REGISTRY", registry.toString());
        return pb.start();
    }

    static final Pattern SRC_SUMMARY = Pattern.compile("vbufsrc: pool \\S+: (\\d+) frames");

    /** Frames the consumer received: vbufsrc's summary, else fakesink's last-message lines (-v). */
    static long received(String transport, Path log, long n) throws Exception {
        String out = Files.readString(log, StandardCharsets.UTF_8);
        if (transport.equals("vbuf")) {
            Matcher m = SRC_SUMMARY.matcher(out);
            return m.find() ? Long.parseLong(m.group(1)) : 0;
        }
        return out.lines().filter(l -> l.contains("last-message = chain")).count();
    }

    record Round(String transport, double fps, long frames, double producerMs, double consumerMs, int pExit, int cExit) {
        String line() {
            return String.format("%-5s %7.1f frames/s (%d received)  CPU per frame: producer %6.2f ms, consumer %6.2f ms, both %6.2f ms"
                    + "  (exit %d/%d)", transport, fps, frames, producerMs, consumerMs, producerMs + consumerMs, pExit, cExit);
        }
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
        int w = 1920, h = 1080, n = 300, rounds = 3;
        String transports = "vbuf,shm,tcp", pattern = "ball";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--size" -> { String[] s = args[++i].split("x"); w = Integer.parseInt(s[0]); h = Integer.parseInt(s[1]); }
                case "--frames" -> n = Integer.parseInt(args[++i]);
                case "--transports" -> transports = args[++i];
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--pattern" -> pattern = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; accepted: --size WxH, --frames N, --rounds R, --pattern P, --transports vbuf,shm,tcp");
            }
        }
        Path dir = Files.createTempDirectory("vbuf-gstbench");
        registry = dir.resolve("registry.bin");
        ProcessBuilder scan = new ProcessBuilder("gst-inspect-1.0", "vbufsrc").redirectErrorStream(true)
                .redirectOutput(dir.resolve("inspect.log").toFile());
        scan.environment().put("GST_PLUGIN_PATH", repo.resolve("build/gst").toString());
        scan.environment().put("GST_REGISTRY", registry.toString());
        if (scan.start().waitFor() != 0) { // builds the registry, untimed
            throw new IllegalStateException("gst-inspect-1.0 vbufsrc failed (run scripts/build-gst): " + Files.readString(dir.resolve("inspect.log")));
        }
        String caps = "video/x-raw,format=NV12,width=" + w + ",height=" + h + ",framerate=30/1";
        String producer = "videotestsrc num-buffers=" + n + " pattern=" + pattern + " ! " + caps;
        long frameBytes = (long) w * h * 3 / 2;
        System.out.printf("%d frames NV12 %dx%d, videotestsrc pattern=%s, %d rounds, load %.1f, %d CPUs%n", n, w, h, pattern, rounds,
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Runtime.getRuntime().availableProcessors());
        String[] ts = transports.split(",");
        java.util.Map<String, List<Round>> all = new java.util.LinkedHashMap<>();
        for (String t : ts) all.put(t, new ArrayList<>());
        for (int round = 0; round < rounds; round++) {
            for (int j = 0; j < ts.length; j++) {
                String t = ts[(j + round) % ts.length];
                Round r = once(t, n, w, h, caps, producer, frameBytes, dir, round);
                if (r == null) continue;
                System.out.println("round " + (round + 1) + ": " + r.line());
                all.get(t).add(r);
            }
        }
        System.out.println("median round of each:");
        for (var e : all.entrySet()) {
            List<Round> rs = new ArrayList<>(e.getValue());
            if (rs.isEmpty()) continue;
            rs.sort(java.util.Comparator.comparingDouble(Round::fps));
            System.out.println("  " + rs.get(rs.size() / 2).line());
        }
    }

    static Round once(String t, int n, int w, int h, String caps, String producer, long frameBytes, Path dir, int round) throws Exception {
        String prod, cons, consFlags = "-q";
        FramePool pool = null;
        int port = 20000 + (int) ((ProcessHandle.current().pid() + round) % 20000);
        switch (t) {
            case "vbuf" -> {
                String name = "gstbench-" + ProcessHandle.current().pid() + "-" + round;
                pool = FramePool.builder().shared(name).layout(FrameLayout.of(PixelFormat.NV12, w, h)).count(8).groups("gst")
                        .overflow(Overflow.BLOCK).build();
                prod = producer + " ! vbufsink pool=" + name;
                cons = "vbufsrc pool=" + name + " ! fakesink sync=false";
            }
            case "shm" -> {
                Path sock = dir.resolve("shm-" + round + ".sock");
                prod = producer + " ! shmsink socket-path=" + sock + " shm-size=" + (frameBytes * 8 + 4096)
                        + " wait-for-connection=true sync=false";
                cons = "shmsrc socket-path=" + sock + " num-buffers=" + n + " ! " + caps + " ! fakesink sync=false silent=false";
                consFlags = "-v"; // fakesink's last-message per buffer: the frames received
            }
            case "tcp" -> {
                prod = producer + " ! tcpserversink host=127.0.0.1 port=" + port + " sync=false";
                cons = "tcpclientsrc host=127.0.0.1 port=" + port + " ! rawvideoparse format=nv12 width=" + w + " height=" + h
                        + " ! fakesink sync=false silent=false";
                consFlags = "-v"; // fakesink's last-message per buffer: the frames received
            }
            default -> throw new IllegalArgumentException("unknown transport " + t + "; accepted: vbuf, shm, tcp");
        }
        Path plog = dir.resolve(t + "-" + round + "-producer.log"), clog = dir.resolve(t + "-" + round + "-consumer.log");
        Process p = start("-q", prod, plog);
        Thread.sleep(500); // the producer is up and waits for its reader
        long t0 = System.nanoTime();
        Process c = start(consFlags, cons, clog);
        boolean ok = p.waitFor(300, TimeUnit.SECONDS) & c.waitFor(300, TimeUnit.SECONDS);
        double secs = (System.nanoTime() - t0) / 1e9;
        if (pool != null) pool.close();
        if (!ok) {
            p.destroyForcibly();
            c.destroyForcibly();
            System.out.printf("%-5s did not finish within 300 s (logs in %s)%n", t, dir);
            return null;
        }
        long got = received(t, clog, n);
        return new Round(t, got / secs, got, cpu(plog) * 1000 / n, cpu(clog) * 1000 / n, p.exitValue(), c.exitValue());
    }
}
