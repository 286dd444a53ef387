package dev.vbuf.media.v4l2;

import dev.vbuf.sys.Abi;
import dev.vbuf.sys.Errno;
import dev.vbuf.sys.FileIo;
import dev.vbuf.sys.Ioctl;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-frame system-call wrappers (ioctl without exceptions, poll) allocate nothing once
 * compiled: batches of 100,000 calls on /dev/null (ioctl answers ENOTTY, poll answers at once),
 * until one batch allocates under 1 KiB (the core hot-path test's rule) or 40 batches have all
 * allocated; a per-call allocation (8+ bytes x 100,000) fails every batch.
 */
class DeviceCallAllocationTest {
    @Test
    void ioctlAndPollAllocateNothingPerCall() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int fd = FileIo.open("/dev/null", Abi.O_RDWR | Abi.O_CLOEXEC);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(Errno.CALL_STATE);
            MemorySegment buf = a.allocate(V4l2Abi.BUFFER);
            MemorySegment pfd = a.allocate(FileIo.POLLFD);
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(JAVA_SHORT, 4, Abi.POLLIN);
            long sink = 0;
            for (int i = 0; i < 50_000; i++) sink += round(state, fd, buf, pfd);
            // Measured in batches until the JIT has compiled the path (on a loaded machine that takes a
            // while); the claim is that a compiled batch allocates nothing, so one clean batch passes and a
            // path that allocates on every call fails all of them.
            long tid = Thread.currentThread().threadId();
            long allocated = -1;
            for (int batch = 0; batch < 40 && (allocated < 0 || allocated >= 1024); batch++) {
                long before = mx.getThreadAllocatedBytes(tid);
                for (int i = 0; i < 100_000; i++) sink += round(state, fd, buf, pfd);
                allocated = mx.getThreadAllocatedBytes(tid) - before;
            }
            assertEquals(-Abi.ENOTTY, Ioctl.ioctlNoThrow(state, fd, V4l2Abi.VIDIOC_DQBUF, buf));
            assertTrue(sink != 0);
            assertTrue(allocated < 1024, "every batch of 100,000 ioctl + poll calls allocated; the last " + allocated + " bytes");
        } finally {
            FileIo.close(fd);
        }
    }

    private static long round(MemorySegment state, int fd, MemorySegment buf, MemorySegment pfd) {
        buf.set(JAVA_INT, V4l2Abi.BUF_TYPE, V4l2Abi.BUF_TYPE_VIDEO_CAPTURE);
        int r = Ioctl.ioctlNoThrow(state, fd, V4l2Abi.VIDIOC_DQBUF, buf);
        int p = FileIo.poll(state, pfd, 0);
        return r + p;
    }
}
