package dev.vbuf.bench;

import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import org.jctools.queues.SpscArrayQueue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * The one-thread round trip of {@link RoundTripBenchmark} (take a free buffer, write a stamp,
 * submit, take it as each group's consumer, read the stamp, release), timed in the thread's
 * <em>CPU time</em> rather than wall-clock time: on a machine shared with other builds (load
 * average 10-20 on 2 vCPUs), wall-clock figures mostly measure how often the thread was
 * descheduled, while CPU time counts only the time it ran. The peers run in the same JVM,
 * interleaved with vbuf round by round, so a change of load hits them all alike; each figure is
 * the best of {@code rounds} rounds of {@code ops} round trips, in ns per round trip.
 *
 * <p>Not a replacement for JMH (no fork per benchmark, no blackhole: the stamps are summed into
 * a field read at the end), but stable to a few per cent where JMH's error bars at this load are
 * larger than the figures. Run: {@code java --enable-native-access=ALL-UNNAMED -cp
 * vbuf-bench/target/benchmarks.jar dev.vbuf.bench.RoundTripCpuTime [rounds [ops]]}.
 */
public final class RoundTripCpuTime {
    static final int COUNT = 8;
    static final long BYTES = 4096;
    static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    static long sink;

    private RoundTripCpuTime() {}

    /** One peer: {@code run(n)} does n round trips and returns the sum of the stamps read. */
    interface Peer {
        long run(int n) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        int ops = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        String load = HandOffLatency.loadAverage();
        List<String> names = new ArrayList<>();
        List<Peer> peers = new ArrayList<>();
        for (String roles : new String[] {"single", "mpmc"}) {
            for (int groups : new int[] {1, 3}) {
                names.add("vbuf " + roles + ", " + groups + (groups == 1 ? " group" : " groups"));
                peers.add(vbuf(groups, roles.equals("single")));
            }
        }
        names.add("JCTools SpscArrayQueue");
        peers.add(jctools());
        names.add("ArrayBlockingQueue pool");
        peers.add(abq());
        double[] best = new double[peers.size()];
        java.util.Arrays.fill(best, Double.MAX_VALUE);
        for (int r = 0; r < rounds; r++) {
            for (int p = 0; p < peers.size(); p++) {
                long t0 = THREADS.getCurrentThreadCpuTime();
                sink += peers.get(p).run(ops);
                best[p] = Math.min(best[p], (double) (THREADS.getCurrentThreadCpuTime() - t0) / ops);
            }
        }
        double jct = best[names.indexOf("JCTools SpscArrayQueue")];
        System.out.printf(Locale.ROOT, "One-thread round trip, CPU time per round trip (ns), best of %d rounds of %d;"
                + " load average before: %s, after: %s%n", rounds, ops, load, HandOffLatency.loadAverage());
        System.out.printf(Locale.ROOT, "%-28s %10s %14s%n", "peer", "ns", "/ JCTools");
        for (int p = 0; p < peers.size(); p++) {
            System.out.printf(Locale.ROOT, "%-28s %10.1f %14.2f%n", names.get(p), best[p], best[p] / jct);
        }
        if (sink == 42) System.out.println(); // keeps the sums alive
    }

    static Peer vbuf(int groups, boolean single) {
        String[] names = new String[groups];
        for (int i = 0; i < groups; i++) names[i] = "g" + i;
        FramePool pool = FramePool.builder().count(COUNT).bufferSize(BYTES).groups(names).jmx(false)
                .singleProducer(single).singleConsumers(single).build();
        Consumer[] consumers = new Consumer[groups];
        for (int i = 0; i < groups; i++) consumers[i] = pool.consumer(names[i]);
        return n -> {
            long sum = 0;
            for (int i = 0; i < n; i++) {
                Frame f = pool.tryAcquireFree();
                f.segment().set(ValueLayout.JAVA_LONG, 0, 42L);
                f.submit();
                for (Consumer c : consumers) {
                    Frame r = c.tryAcquireFilled();
                    sum += r.segment().get(ValueLayout.JAVA_LONG, 0);
                    r.release();
                }
            }
            return sum;
        };
    }

    static Peer jctools() {
        SpscArrayQueue<MemorySegment> free = new SpscArrayQueue<>(COUNT);
        SpscArrayQueue<MemorySegment> filled = new SpscArrayQueue<>(COUNT);
        for (MemorySegment b : Peers.buffers(Arena.global(), COUNT, BYTES)) free.offer(b);
        return n -> {
            long sum = 0;
            for (int i = 0; i < n; i++) {
                MemorySegment b = free.poll();
                b.set(ValueLayout.JAVA_LONG, 0, 42L);
                filled.offer(b);
                MemorySegment r = filled.poll();
                sum += r.get(ValueLayout.JAVA_LONG, 0);
                free.offer(r);
            }
            return sum;
        };
    }

    static Peer abq() {
        ArrayBlockingQueue<MemorySegment> free = new ArrayBlockingQueue<>(COUNT);
        ArrayBlockingQueue<MemorySegment> filled = new ArrayBlockingQueue<>(COUNT);
        for (MemorySegment b : Peers.buffers(Arena.global(), COUNT, BYTES)) free.add(b);
        return n -> {
            long sum = 0;
            for (int i = 0; i < n; i++) {
                MemorySegment b = free.take();
                b.set(ValueLayout.JAVA_LONG, 0, 42L);
                filled.put(b);
                MemorySegment r = filled.take();
                sum += r.get(ValueLayout.JAVA_LONG, 0);
                free.put(r);
            }
            return sum;
        };
    }
}
