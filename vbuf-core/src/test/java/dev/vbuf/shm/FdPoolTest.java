package dev.vbuf.shm;

import dev.vbuf.format.TestPattern;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import dev.vbuf.pool.PoolBuilder;
import dev.vbuf.sys.Abi;
import dev.vbuf.sys.FileIo;
import dev.vbuf.sys.Mman;
import dev.vbuf.sys.Sockets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Pools whose memory is passed by descriptor: a sealed memfd pool used by another JVM, the seal
 * holding against a same-user truncate, and both ends of the socket against hostile peers
 * (garbage, wrong descriptor counts, truncated messages, silence, wrong credentials), each
 * refused with a clear error and without a descriptor leaked (counted in /proc/self/fd).
 */
class FdPoolTest {
    final String name = "fd" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    final Path path = ShmNames.path(name);
    final List<Process> children = new ArrayList<>();

    @AfterEach
    void cleanUp() throws IOException {
        for (Process p : children) p.destroyForcibly();
        Files.deleteIfExists(path);
        for (ShmNames.TempFile t : ShmNames.tempFiles(name)) Files.deleteIfExists(t.path());
    }

    FramePool create(PoolBuilder.SharedMemory memory) {
        return FramePool.builder().shared(name).sharedMemory(memory).layout(CrossProcessTest.LAYOUT).count(8).groups("g")
                .jmx(false).reclaimAfter(Duration.ofMillis(200)).build();
    }

    /**
     * No descriptor more than {@code before}: the JVM itself may close one of its own meanwhile
     * (a jar, a /proc read), so fewer is no leak.
     */
    static void assertFdsAtMost(long before, String what) throws IOException {
        long now = openFds();
        assertTrue(now <= before, what + ": " + now + " open descriptors, " + before + " before");
    }

    static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    /** The descriptor of this process that is the memfd of pool {@code name}. */
    int memfdOf(String pool) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : s.toList()) {
                try {
                    if (Files.readSymbolicLink(p).toString().startsWith("/memfd:vbuf." + pool + " ")) {
                        return Integer.parseInt(p.getFileName().toString());
                    }
                } catch (IOException ignored) {
                    // closed meanwhile
                }
            }
        }
        return -1;
    }

    Process child(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path") + System.getProperty("path.separator")
                        + System.getProperty("jdk.module.path", ""), SharedPeer.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        children.add(p);
        return p;
    }

    @Test
    void aSealedMemfdPoolIsVerifiedFrameByFrameInAnotherJvm() throws Exception {
        try (FramePool pool = create(PoolBuilder.SharedMemory.MEMFD); TestPattern pattern = new TestPattern(pool.layout())) {
            assertTrue(Files.exists(path) && FdServer.isSocketMode(((Number) Files.getAttribute(path, "unix:mode")).intValue()),
                    "the pool's name is its socket");
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
            String backing = pool.stats().backing();
            assertTrue(backing.contains("memfd sealed against shrink, grow, seal") && backing.contains("served by fd"), backing);
            Process c = child("consume", name, "g", "300");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (pool.peers().stream().filter(dev.vbuf.shm.Peer::alive).count() < 2) {
                assertTrue(System.nanoTime() < deadline && c.isAlive(), "the child attached");
                Thread.sleep(20);
            }
            CrossProcessTest.produce(pool, pattern, 0, 300);
            assertTrue(c.waitFor(60, TimeUnit.SECONDS));
            String out = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, c.exitValue(), out);
            assertTrue(out.contains("DONE 300") && !out.contains("BAD"), out);
        }
        assertFalse(Files.exists(path), "the creator removed its socket");
    }

    @Test
    void whenTheCreatorOfAMemfdPoolIsKilledHoldingAFrameTheAttachedProcessRecoversItAndGoesOn() throws Exception {
        Process creator = child("create-memfd-hold", name);
        var out = new java.io.BufferedReader(new java.io.InputStreamReader(creator.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null && !line.startsWith("HOLDING ")) { /* READY first */ }
        assertNotNull(line, "the creator held a frame");
        long fdsBefore = openFds();
        try (FramePool pool = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false).reclaimAfter(Duration.ofMillis(200)));
             TestPattern pattern = new TestPattern(pool.layout())) {
            assertTrue(pool.stats().backing().contains("received by fd"), pool.stats().backing());
            assertEquals(1, pool.stats().consumerLocked(), "the creator holds one frame");
            creator.toHandle().destroyForcibly(); // SIGKILL
            assertTrue(creator.waitFor(30, TimeUnit.SECONDS));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (pool.stats().idle() != 4) {
                assertTrue(System.nanoTime() < deadline, "the dead creator's frame came back: " + pool.stats());
                Thread.sleep(20);
            }
            for (int i = 0; i < 20; i++) { // the memory outlives its creator
                CrossProcessTest.produce(pool, pattern, 100 + i, 1);
                Frame f = pool.consumer("g").acquireFilled(Duration.ofSeconds(10));
                assertNotNull(f);
                assertEquals(-1, pattern.verify(f.segment(), f.captureTimeNs()));
                f.release();
            }
        }
        // the dead creator's pipes to this JVM were closed meanwhile, so fewer is fine; more is a leak
        assertTrue(openFds() <= fdsBefore, "the survivor holds no descriptor more than before it attached: " + openFds() + " > " + fdsBefore);
        assertEquals(-1, memfdOf(name), "the survivor holds no descriptor of the pool's memfd after it closed");
        assertTrue(PoolFile.staleReason(path).startsWith("no live process serves its socket"), PoolFile.staleReason(path));
    }

    @Test
    void aConsumerKilledHoldingAFrameOfAMemfdPoolLosesNoBufferAndLeaksNothingInTheCreator() throws Exception {
        try (FramePool pool = create(PoolBuilder.SharedMemory.MEMFD); TestPattern pattern = new TestPattern(pool.layout())) {
            long before = openFds();
            CrossProcessTest.produce(pool, pattern, 0, 3);
            Process c = child("hold", name, "g");
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("HOLDING ")) { /* READY first */ }
            assertEquals("HOLDING 0", line, "the child took the first frame");
            assertEquals(1, pool.stats().consumerLocked());
            c.toHandle().destroyForcibly(); // SIGKILL with the frame in hand
            assertTrue(c.waitFor(30, TimeUnit.SECONDS));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (pool.stats().consumerLocked() != 0 || pool.peers().size() != 1) {
                assertTrue(System.nanoTime() < deadline, "the dead consumer's frame and entry were recovered: " + pool.stats());
                Thread.sleep(20);
            }
            for (long seq = 1; seq <= 2; seq++) { // the rest, verified
                Frame f = pool.consumer("g").acquireFilled(Duration.ofSeconds(10));
                assertNotNull(f);
                assertEquals(seq, f.captureTimeNs());
                assertEquals(-1, pattern.verify(f.segment(), f.captureTimeNs()));
                f.release();
            }
            assertEquals(8, pool.stats().idle(), "every buffer is back: " + pool.stats());
            c.getInputStream().close(); // this JVM's pipes to the dead child
            c.getOutputStream().close();
            c.getErrorStream().close();
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (openFds() > before && System.nanoTime() < deadline) Thread.sleep(20); // the server's connection thread ends
            assertFdsAtMost(before, "the creator holds no descriptor more than before the consumer came and died");
        }
    }

    @Test
    void aSameUserTruncateOfTheSealedPoolFailsAndTheReaderLivesOn() throws Exception {
        try (FramePool pool = create(PoolBuilder.SharedMemory.MEMFD); TestPattern pattern = new TestPattern(pool.layout());
             FramePool reader = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false))) {
            int fd = memfdOf(name);
            assertTrue(fd >= 0, "the creator holds the memfd");
            Path proc = Path.of("/proc/" + ProcessHandle.current().pid() + "/fd/" + fd);
            Process t = new ProcessBuilder("truncate", "-s", "0", proc.toString()).redirectErrorStream(true).start();
            assertTrue(t.waitFor(30, TimeUnit.SECONDS));
            String said = new String(t.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertNotEquals(0, t.exitValue(), "truncate must fail on a sealed pool: " + said);
            assertTrue(said.contains("Operation not permitted"), said);
            assertThrows(IOException.class, () -> {
                try (var ch = java.nio.channels.FileChannel.open(proc, java.nio.file.StandardOpenOption.WRITE)) {
                    ch.truncate(4096);
                }
            });
            CrossProcessTest.produce(pool, pattern, 0, 5);
            for (int i = 0; i < 5; i++) {
                Frame f = reader.consumer("g").acquireFilled(Duration.ofSeconds(10));
                assertNotNull(f);
                assertEquals(-1, pattern.verify(f.segment(), f.captureTimeNs()), "frame " + i);
                f.release();
            }
        }
    }

    @Test
    void attachRefusesAHostileServerAndLeaksNoDescriptor() throws Exception {
        // every reply a hostile (or broken) process at the pool's name could send
        check("a reply without the magic", conn -> send(conn, "VBUF-XXX", 1, 0, 1, 1, 0, 1 << 20, 0, memfds(1)));
        check("a reply announcing 1 descriptors that came with 3", conn -> send(conn, "VBUF-FDS", 1, 0, 1, 1, 1, 1 << 20, 0, memfds(3)));
        check("reply of 20 bytes", conn -> {
            int[] fds = memfds(2);
            Sockets.send(conn, new byte[20], fds);
            for (int fd : fds) FileIo.close(fd);
        });
        check("its creator sent nothing for 10000 ms", conn -> { });
        check("not against shrinking and growing", conn -> send(conn, "VBUF-FDS", 1, 0, 1, 1, 1, 1 << 20, 0, memfds(1)));
        check("descriptors for a memfd pool (exactly 1)", conn -> send(conn, "VBUF-FDS", 1, 0, 1, 2, 2, 1 << 20, 0, memfds(2)));
        check("protocol version 7", conn -> send(conn, "VBUF-FDS", 7, 0, 1, 1, 1, 1 << 20, 0, memfds(1)));
        check("a truncated reply", conn -> { // longer than any reply: MSG_TRUNC
            int[] fds = memfds(1);
            Sockets.send(conn, new byte[4096], fds);
            for (int fd : fds) FileIo.close(fd);
        });
        check("a truncated reply", conn -> send(conn, "VBUF-FDS", 1, 0, 3, 250, 200, 1 << 20, 4096, memfds(250))); // MSG_CTRUNC
        check("its creator sent nothing for 10000 ms", conn -> // 3 of 5 announced, then silence
                send(conn, "VBUF-FDS", 1, 0, 3, 5, 3, 1 << 20, 4096, memfds(3)));
    }

    @Test
    void attachRefusesAServerOfAnotherUserBySoPeercredAndLeaksNothing() throws Exception {
        assumeTrue(FileIo.getuid() == 0, "skipped: needs root to run a server as another user");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "skipped: needs /usr/bin/python3 (a server that drops to another user)");
        // bound by root (the socket file is this user's, mode 0600), listening as uid 65534: SO_PEERCRED says 65534
        String py = "import os,socket,sys,time\n"
                + "s=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET)\n"
                + "s.bind(sys.argv[1]); os.chmod(sys.argv[1],0o600)\n"
                + "os.setgroups([]); os.setresgid(65534,65534,65534); os.setresuid(65534,65534,65534)\n"
                + "s.listen(4)\n"
                + "print('LISTENING',flush=True)\n"
                + "c,_=s.accept(); time.sleep(30)\n";
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", py, path.toString()).redirectErrorStream(true).start();
        children.add(p);
        var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("LISTENING", r.readLine());
        long before = openFds();
        var e = assertThrows(SecurityException.class, () -> FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false)).close());
        assertTrue(e.getMessage().contains("of uid 65534, not of this user (uid 0); refusing its descriptors"), e.getMessage());
        assertFdsAtMost(before, "no descriptor leaked");
    }

    private int[] memfds(int n) {
        int[] fds = new int[n];
        for (int i = 0; i < n; i++) {
            fds[i] = Mman.memfdCreate("hostile", Abi.MFD_CLOEXEC | Abi.MFD_ALLOW_SEALING);
            FileIo.ftruncate(fds[i], 1 << 20);
        }
        return fds;
    }

    private static int send(int conn, String magic, int version, int status, int kind, int total, int here, long fd0, long each, int[] fds) {
        byte[] b = new byte[FdProtocol.REPLY_BYTES];
        ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).put(magic.getBytes(StandardCharsets.US_ASCII)).putInt(version)
                .putInt(status).putInt(kind).putInt(total).putInt(here).putInt(0).putLong(fd0).putLong(each);
        int r = Sockets.send(conn, b, fds);
        for (int fd : fds) FileIo.close(fd); // the sender's copies
        return r;
    }

    /** A fake pool at the name whose server answers the first request with {@code reply}; attach must refuse. */
    private void check(String expected, IntConsumer reply) throws Exception {
        int listen = Sockets.socket(Abi.SOCK_SEQPACKET);
        Sockets.bind(listen, path.toString());
        Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Sockets.listen(listen, 4);
        var server = Thread.ofPlatform().daemon().start(() -> {
            int conn = Sockets.accept(listen);
            if (conn < 0) return;
            try {
                if (Sockets.awaitReadable(conn, 5000)) {
                    Sockets.Received req = Sockets.receive(conn, 64, 4);
                    assertNull(FdProtocol.checkRequest(req.data(), req.bytes(), req.truncated()));
                    reply.accept(conn);
                }
                Sockets.awaitReadable(conn, 20_000); // until the client hangs up
            } finally {
                FileIo.close(conn);
            }
        });
        long before = openFds();
        try {
            RuntimeException e = assertThrows(RuntimeException.class,
                    () -> FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false)).close());
            assertTrue(e.getMessage().contains(expected) && e.getMessage().contains("shared pool '" + name + "'"), e.getMessage());
            server.join(30_000);
            assertFdsAtMost(before, "no descriptor leaked after: " + e.getMessage());
        } finally {
            FileIo.close(listen);
            Files.deleteIfExists(path);
        }
    }

    @Test
    void theCreatorRefusesHostileClientsClosesTheirDescriptorsAndServesTheNextOne() throws Exception {
        try (FramePool pool = create(PoolBuilder.SharedMemory.MEMFD)) {
            long before = openFds();
            // garbage
            assertTrue(refusal(new byte[] {1, 2, 3}, new int[0]).contains("sent a request of 3 bytes"));
            // a valid request carrying descriptors: refused, and the server's copies closed
            int[] mine = {Mman.memfdCreate("gift", Abi.MFD_CLOEXEC), Mman.memfdCreate("gift", Abi.MFD_CLOEXEC)};
            String r = refusal(FdProtocol.request(), mine);
            for (int fd : mine) FileIo.close(fd);
            assertTrue(r.contains("a request carrying 2 descriptor(s)"), r);
            // silence: dropped after the timeout, nothing blocks
            int silent = Sockets.socket(Abi.SOCK_SEQPACKET);
            assertEquals(0, Sockets.connect(silent, path.toString()));
            assertTrue(Sockets.awaitReadable(silent, 30_000), "the server hangs up on a silent peer");
            assertEquals(0, Sockets.receive(silent, 64, 1).bytes());
            FileIo.close(silent);
            Thread.sleep(300); // let the handler threads finish closing
            assertFdsAtMost(before, "every descriptor a hostile client brought was closed");
            // a good peer still attaches
            try (FramePool ok = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false))) {
                assertEquals(8, ok.getTotalCount());
            }
        }
    }

    /** Sends one message to the pool's server and returns the refusal text it answers with. */
    private String refusal(byte[] message, int[] fds) {
        int s = Sockets.socket(Abi.SOCK_SEQPACKET);
        try {
            assertEquals(0, Sockets.connect(s, path.toString()));
            assertEquals(0, Sockets.send(s, message, fds));
            assertTrue(Sockets.awaitReadable(s, 10_000));
            Sockets.Received m = Sockets.receive(s, 512, 4);
            assertEquals(0, m.fds().length);
            var e = assertThrows(SecurityException.class, () -> FdProtocol.checkReply(m.data(), m.bytes(), m.truncated(), 0, name));
            return e.getMessage();
        } finally {
            FileIo.close(s);
        }
    }

    @Test
    void aProcessKilledWhileItsDescriptorsAreInFlightLeaksNothingInTheCreator() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "skipped: needs /usr/bin/python3 (a client that can be killed mid-receive)");
        try (FramePool pool = create(PoolBuilder.SharedMemory.MEMFD)) {
            long before = openFds();
            // connects, asks, and never reads: the reply and its descriptor wait in its socket when it is killed
            String py = "import socket,struct,sys,time\n"
                    + "s=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET)\n"
                    + "s.connect(sys.argv[1])\n"
                    + "s.send(b'VBUF-REQ'+struct.pack('=II',1,0))\n"
                    + "print('ASKED',flush=True)\n"
                    + "time.sleep(600)\n";
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", py, path.toString()).redirectErrorStream(true).start();
            children.add(p);
            var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ASKED", r.readLine());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (serverOf(pool).served() < 2) { // the creator's own check at create, then the client
                assertTrue(System.nanoTime() < deadline, "the creator answered the request");
                Thread.sleep(20);
            }
            p.toHandle().destroyForcibly(); // SIGKILL with the memfd in flight
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (openFds() > before && System.nanoTime() < deadline) Thread.sleep(20);
            assertFdsAtMost(before, "the creator holds no descriptor more than before");
            try (FramePool next = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false))) {
                assertEquals(8, next.getTotalCount(), "the next process attaches");
            }
        }
    }

    /** The creator's socket server of this test's pool. */
    private FdServer serverOf(FramePool pool) throws Exception {
        var backing = pool.getClass().getDeclaredField("backing");
        backing.setAccessible(true);
        Object b = backing.get(pool);
        var file = b.getClass().getDeclaredMethod("file");
        file.setAccessible(true);
        return ((PoolFile) file.invoke(b)).server();
    }

    @Test
    void aProcessOfAnotherUserIsRefusedBySoPeercred() throws Exception {
        assumeTrue(FileIo.getuid() == 0, "skipped: needs root to run a client as another user (setpriv)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "skipped: needs /usr/bin/python3 (a client that another user can run)");
        try (FramePool pool = FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.MEMFD).sharedMode(0666)
                .layout(CrossProcessTest.LAYOUT).count(4).groups("g").jmx(false).build()) {
            String py = "import socket,sys\n"
                    + "s=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET)\n"
                    + "s.connect(sys.argv[1])\n"
                    + "msg,anc,flags,addr=s.recvmsg(512,socket.CMSG_SPACE(16))\n"
                    + "print(len(anc), msg[48:].decode())\n";
            Process p = new ProcessBuilder("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "/usr/bin/python3", "-c", py,
                    path.toString()).redirectErrorStream(true).start();
            children.add(p);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertTrue(out.startsWith("0 process ") && out.contains("runs as uid 65534") && out.contains("this pool serves uid 0"), out);
        }
    }

    static long hugePagesFree() throws IOException {
        return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("HugePages_Free:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(0);
    }

    /**
     * Needs free 2 MiB huge pages: as root, {@code echo 8 > /proc/sys/vm/nr_hugepages} for the run
     * (and back to 0 after); skipped otherwise (the refusal is tested below). The guest check
     * 'hugenuma' runs it with two NUMA nodes.
     */
    @Test
    void aHugePagePoolBoundToANodeTakesReservedPagesSaysWhatItGotAndIsVerifiedInAnotherJvm() throws Exception {
        long free = hugePagesFree();
        assumeTrue(free >= 2, "skipped: no free huge pages; as root: echo 8 > /proc/sys/vm/nr_hugepages (then back to 0)");
        int node = dev.vbuf.memory.NumaNodes.online().getFirst();
        try (FramePool pool = FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.HUGEPAGES).sharedNumaNode(node)
                .layout(CrossProcessTest.LAYOUT).count(8).groups("g").jmx(false).reclaimAfter(Duration.ofMillis(200)).build();
             TestPattern pattern = new TestPattern(pool.layout())) {
            String backing = pool.stats().backing();
            assertTrue(backing.contains("memfd with huge pages sealed against shrink, grow, seal") && backing.contains("explicit 2 MiB huge pages (MFD_HUGETLB)")
                    && backing.contains("bound to NUMA node " + node + " (mbind): pages per node (move_pages): node " + node + " "), backing);
            assertTrue(hugePagesFree() < free, "the pool took reserved huge pages: " + hugePagesFree() + " of " + free + " free");
            var m = java.util.regex.Pattern.compile("pages per node \\(move_pages\\): node " + node + " (\\d+)$").matcher(backing);
            assertTrue(m.find(), backing);
            assertEquals(8 * ((CrossProcessTest.LAYOUT.frameBytes() + 4095) / 4096), Long.parseLong(m.group(1)), "every buffer page on the node: " + backing);
            Process c = child("consume", name, "g", "100");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (pool.peers().stream().filter(dev.vbuf.shm.Peer::alive).count() < 2) {
                assertTrue(System.nanoTime() < deadline && c.isAlive(), "the child attached");
                Thread.sleep(20);
            }
            CrossProcessTest.produce(pool, pattern, 0, 100);
            assertTrue(c.waitFor(60, TimeUnit.SECONDS));
            String out = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, c.exitValue(), out);
            assertTrue(out.contains("DONE 100") && !out.contains("BAD"), out);
        }
        // the mapping is unmapped when the pool becomes unreachable (never under a thread in acquire): after a GC
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (hugePagesFree() != free && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(50);
        }
        assertEquals(free, hugePagesFree(), "the huge pages went back once the closed pool's mapping was unmapped");
    }

    @Test
    void aMemfdPoolBoundToANodeReadsItsPlacementBack() throws Exception {
        int node = dev.vbuf.memory.NumaNodes.online().getFirst();
        try (FramePool pool = FramePool.builder().shared(name).sharedMemory(PoolBuilder.SharedMemory.MEMFD).sharedNumaNode(node).sharedLocked(true)
                .layout(CrossProcessTest.LAYOUT).count(4).groups("g").jmx(false).build();
             FramePool reader = FramePool.attach(name, new PoolBuilder.AttachOptions().jmx(false))) {
            String backing = pool.stats().backing();
            long pages = 4 * ((CrossProcessTest.LAYOUT.frameBytes() + 4095) / 4096);
            assertTrue(backing.contains("memfd sealed against shrink, grow, seal") && backing.contains("bound to NUMA node " + node
                    + " (mbind): pages per node (move_pages): node " + node + " " + pages + ", locked (mlock"), backing);
            assertTrue(reader.stats().backing().contains("received by fd"), reader.stats().backing());
        }
    }

    @Test
    void hugePagesWithNoneReservedAreRefusedWithWhatToDo() throws Exception {
        long free = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("HugePages_Free:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(0);
        assumeTrue(free == 0, "skipped: this machine has huge pages reserved, so the refusal cannot be seen");
        long before = openFds();
        var e = assertThrows(IllegalStateException.class, () -> create(PoolBuilder.SharedMemory.HUGEPAGES));
        assertTrue(e.getMessage().contains("explicit huge pages") && e.getMessage().contains("/proc/sys/vm/nr_hugepages")
                && e.getMessage().contains("--memory memfd"), e.getMessage());
        assertFalse(Files.exists(path));
        assertTrue(ShmNames.tempFiles(name).isEmpty());
        assertFdsAtMost(before, "no descriptor leaked");
    }

    @Test
    void aDmaBufHeapPoolWithoutHeapsIsRefusedAndLeavesNothing() throws Exception {
        assumeTrue(!Files.isDirectory(Path.of("/dev/dma_heap")), "skipped: this machine has DMA-BUF heaps (the guest check runs them)");
        long before = openFds();
        var e = assertThrows(RuntimeException.class, () -> create(PoolBuilder.SharedMemory.DMA_HEAP));
        assertTrue(e.getMessage().contains("/dev/dma_heap"), e.getMessage());
        assertFalse(Files.exists(path));
        assertTrue(ShmNames.tempFiles(name).isEmpty());
        assertFdsAtMost(before, "no descriptor leaked");
    }
}
