/**
 * vbuf-bench: the JMH benchmarks (package {@code dev.vbuf.bench}, run from
 * {@code benchmarks.jar} on the class path) and the cross-process harness that {@code vbuf bench}
 * runs ({@code dev.vbuf.bench.harness}, exported to the command only).
 */
module dev.vbuf.bench {
    requires dev.vbuf.core;
    requires HdrHistogram;
    requires java.desktop;     // the chart (Java2D, ImageIO)
    requires jdk.management;   // process CPU time (com.sun.management)
    requires org.agrona.core;
    requires io.aeron.client;
    requires io.aeron.driver;
    // the JMH benchmarks and their in-process peers: optional dependencies, not needed by the harness
    requires static jmh.core;
    requires static org.jctools.core;
    requires static com.lmax.disruptor;
    requires static io.netty.buffer;

    exports dev.vbuf.bench.harness to dev.vbuf.cli;
}
