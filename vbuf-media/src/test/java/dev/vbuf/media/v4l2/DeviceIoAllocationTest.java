package dev.vbuf.media.v4l2;

import dev.vbuf.memory.Native;
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
 * compiled: 200,000 calls on /dev/null (ioctl answers ENOTTY, poll answers at once) after a
 * warm-up. The rule is the core hot-path test's: under 1 KiB in all, so any per-call allocation
 * (8+ bytes x 200,000) fails it.
 */
class DeviceIoAllocationTest {
    @Test
    void ioctlAndPollAllocateNothingPerCall() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int fd = DeviceIo.open("/dev/null", DeviceIo.O_RDWR | DeviceIo.O_CLOEXEC);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(DeviceIo.CALL_STATE);
            MemorySegment buf = a.allocate(V4l2Abi.BUFFER);
            MemorySegment pfd = a.allocate(DeviceIo.POLLFD);
            pfd.set(JAVA_INT, 0, fd);
            pfd.set(JAVA_SHORT, 4, DeviceIo.POLLIN);
            long sink = 0;
            for (int i = 0; i < 50_000; i++) sink += round(state, fd, buf, pfd);
            long tid = Thread.currentThread().threadId();
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 200_000; i++) sink += round(state, fd, buf, pfd);
            long allocated = mx.getThreadAllocatedBytes(tid) - before;
            assertEquals(-DeviceIo.ENOTTY, DeviceIo.ioctlNoThrow(state, fd, V4l2Abi.VIDIOC_DQBUF, buf));
            assertTrue(sink != 0);
            assertTrue(allocated < 1024, "200,000 ioctl + poll calls allocated " + allocated + " bytes");
        } finally {
            Native.close(fd);
        }
    }

    private static long round(MemorySegment state, int fd, MemorySegment buf, MemorySegment pfd) {
        buf.set(JAVA_INT, V4l2Abi.BUF_TYPE, V4l2Abi.BUF_TYPE_VIDEO_CAPTURE);
        int r = DeviceIo.ioctlNoThrow(state, fd, V4l2Abi.VIDIOC_DQBUF, buf);
        int p = DeviceIo.poll(state, pfd, 0);
        return r + p;
    }
}
