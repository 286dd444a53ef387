package dev.vbuf.sys;

import dev.vbuf.memory.NativeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.*;

/** The file calls on this machine's kernel: the per-architecture flags and struct stat offsets at work. */
class FileIoTest {
    @Test
    void fstatReadsTheFieldsAtThisArchitecturesOffsets(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("data");
        Files.write(f, new byte[12345]);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
        int fd = FileIo.open(f.toString(), Abi.O_RDONLY | Abi.O_CLOEXEC);
        try {
            FileIo.Stat st = FileIo.fstat(fd);
            assertEquals(12345, st.size());
            assertTrue(st.isRegularFile());
            assertEquals(0640, st.permissions());
            assertEquals(FileIo.getuid(), st.uid());
            assertEquals(Files.getAttribute(f, "unix:ino"), st.inode());
        } finally {
            FileIo.close(fd);
        }
    }

    @Test
    void oNofollowRefusesASymbolicLinkWithEloop(@TempDir Path dir) throws Exception {
        Path target = Files.writeString(dir.resolve("target"), "x");
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        var e = assertThrows(NativeException.class, () -> FileIo.open(link.toString(), Abi.O_RDONLY | Abi.O_NOFOLLOW | Abi.O_CLOEXEC));
        assertEquals(Abi.ELOOP, e.errno(), e.getMessage());
        assertTrue(e.getMessage().startsWith("open('" + link + "', flags 0"), e.getMessage());
        assertTrue(e.getMessage().contains("ELOOP ("), e.getMessage());
    }

    @Test
    void oCreatOExclRefusesAnExistingFile(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("there"), "x");
        var e = assertThrows(NativeException.class,
                () -> FileIo.open(f.toString(), Abi.O_RDWR | Abi.O_CREAT | Abi.O_EXCL | Abi.O_CLOEXEC, 0600));
        assertEquals(Abi.EEXIST, e.errno());
    }

    @Test
    void preadAndPwriteReturnMinusErrnoWithoutThrowing(@TempDir Path dir) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = Errno.newCallState(a);
            MemorySegment buf = a.allocate(64);
            assertEquals(-Abi.EBADF, FileIo.pread(st, -1, buf, 64, 0));
            assertEquals(Abi.EBADF, Errno.of(st));
            int fd = FileIo.open(dir.resolve("rw").toString(), Abi.O_RDWR | Abi.O_CREAT | Abi.O_TRUNC | Abi.O_CLOEXEC, 0600);
            try {
                buf.fill((byte) 9);
                assertEquals(64, FileIo.pwrite(st, fd, buf, 64, 100));
                FileIo.fsync(fd);
                MemorySegment back = a.allocate(64);
                assertEquals(64, FileIo.pread(st, fd, back, 64, 100));
                assertEquals(-1, back.mismatch(buf));
                assertEquals(0, FileIo.pread(st, fd, back, 64, 164), "end of file");
            } finally {
                FileIo.close(fd);
            }
        }
    }

    @Test
    void aFutexWaitOnAChangedWordReturnsAtOnceAndAWaitTimesOut() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment word = a.allocate(JAVA_INT);
            word.set(JAVA_INT, 0, 1);
            Futex.await(word, 0, 10_000_000_000L); // the word is 1, not 0: EAGAIN at once
            Futex.await(word, 1, 1_000_000L);      // 1 ms, nobody wakes it
            Futex.wake(word, 1);                   // nobody sleeps: a no-op
        }
    }

    @Test
    void errnoNamesAndTexts() {
        assertEquals("ENOTTY (Inappropriate ioctl for device)", Errno.describe(Abi.ENOTTY));
        assertEquals("ELOOP", Errno.name(Abi.ELOOP));
        assertTrue(Errno.describe(4095).startsWith("errno 4095 ("), Errno.describe(4095));
    }
}
