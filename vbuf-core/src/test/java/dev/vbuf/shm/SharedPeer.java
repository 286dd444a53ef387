package dev.vbuf.shm;

import dev.vbuf.pool.PoolBuilder;
import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.Consumer;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * A child process for the cross-process tests: attaches to a shared pool and plays one part.
 * Prints one line per event on standard output ("READY", "TOOK seq", "HOLDING seq",
 * "FILLING id", "BAD seq", "DONE n") so the parent test can follow it and kill it at a known
 * point.
 * <pre>
 *   consume NAME GROUP N [holdMillis]   take N frames (verify each against the test pattern of its capture-time seq)
 *   hold NAME GROUP                     take one frame and keep it for ever
 *   block NAME GROUP                    wait for a frame for ever (the pool has none)
 *   fill NAME                           take a free buffer and keep it for ever (killed mid-fill)
 *   produce NAME N                      produce N frames (pattern of seq) into the pool, then exit
 *   try-fill NAME                       take a free buffer: "REFUSED message" if the producer's role is refused, else "FILLING id" and keep it
 *   try-take NAME GROUP                 take a frame: "REFUSED message" if the group's consumer role is refused, else "TOOK seq" and keep it
 *   create-fill NAME                    create the pool (NV12 64x32, 4 buffers, group g), take a free buffer, keep it
 *   create-hold NAME                    create the pool, publish one frame, take it in group g, keep it
 *   create-memfd-hold NAME              the same with a sealed memfd pool passed by descriptor
 * </pre>
 */
public final class SharedPeer {
    public static void main(String[] a) throws Exception {
        String mode = a[0];
        String name = a[1];
        if (mode.startsWith("create-")) {
            create(mode, name);
            return;
        }
        try (FramePool pool = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false)
                .reclaimAfter(Duration.ofMillis(200)))) {
            say("READY");
            switch (mode) {
                case "consume" -> consume(pool, a[2], Long.parseLong(a[3]), a.length > 4 ? Long.parseLong(a[4]) : 0);
                case "hold" -> {
                    Frame f = pool.consumer(a[2]).acquireFilled(Duration.ofSeconds(30));
                    say("HOLDING " + f.sequence());
                    forever();
                }
                case "block" -> {
                    say("WAITING");
                    pool.consumer(a[2]).acquireFilled(Duration.ofSeconds(60));
                    forever();
                }
                case "fill" -> {
                    Frame f = pool.acquireFree(Duration.ofSeconds(30));
                    say("FILLING " + f.id());
                    forever();
                }
                case "produce" -> {
                    long n = Long.parseLong(a[2]);
                    try (TestPattern pattern = new TestPattern(pool.layout())) {
                        for (long i = 0; i < n; i++) {
                            Frame f = pool.acquireFree(Duration.ofSeconds(30));
                            if (f == null) throw new IllegalStateException("no free buffer in 30 s");
                            pattern.write(f.segment(), i);
                            f.captureTimeNs(i);
                            f.submit();
                        }
                    }
                    say("DONE " + n);
                }
                case "try-fill" -> {
                    Frame f;
                    try {
                        f = pool.acquireFree(Duration.ofSeconds(30));
                    } catch (IllegalStateException e) {
                        say("REFUSED " + e.getMessage());
                        return;
                    }
                    say("FILLING " + f.id());
                    forever();
                }
                case "try-take" -> {
                    Frame f;
                    try {
                        f = pool.consumer(a[2]).acquireFilled(Duration.ofSeconds(30));
                    } catch (IllegalStateException e) {
                        say("REFUSED " + e.getMessage());
                        return;
                    }
                    say("TOOK " + f.captureTimeNs());
                    forever();
                }
                default -> throw new IllegalArgumentException(mode);
            }
        }
    }

    /** The creator killed while it holds a frame: its process entry must be the one the frame names. */
    static void create(String mode, String name) {
        FramePool pool = FramePool.builder().shared(name).layout(CrossProcessTest.LAYOUT).count(4).groups("g").jmx(false)
                .sharedMemory(mode.contains("-memfd") ? PoolBuilder.SharedMemory.MEMFD : PoolBuilder.SharedMemory.FILE)
                .reclaimAfter(Duration.ofMillis(200)).build();
        say("READY");
        Frame f = pool.acquireFree(Duration.ofSeconds(30));
        if (mode.endsWith("-hold")) {
            f.submit();
            f = pool.consumer("g").acquireFilled(Duration.ofSeconds(30));
            say("HOLDING " + f.id());
        } else {
            say("FILLING " + f.id());
        }
        forever();
    }

    static void consume(FramePool pool, String group, long n, long holdMillis) {
        Consumer c = pool.consumer(group);
        long took = 0;
        try (TestPattern pattern = new TestPattern(pool.layout())) {
            while (took < n) {
                Frame f = c.acquireFilled(Duration.ofSeconds(30));
                if (f == null) break;
                long seq = f.captureTimeNs();
                if (pattern.verify(f.segment(), seq) != -1) say("BAD " + seq);
                say("TOOK " + seq);
                if (holdMillis > 0) LockSupport.parkNanos(holdMillis * 1_000_000);
                f.release();
                took++;
            }
        }
        say("DONE " + took);
    }

    static void say(String s) {
        System.out.println(s);
        System.out.flush();
    }

    static void forever() {
        for (;;) LockSupport.park();
    }
}
