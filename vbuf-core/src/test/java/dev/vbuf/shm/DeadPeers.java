package dev.vbuf.shm;

import dev.vbuf.pool.ControlBlock;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Test helper: makes a process-table entry look like a process that died. */
final class DeadPeers {
    private DeadPeers() {}

    /** Rewrites entry {@code index} (1-based), which must name {@code pid}, to name {@code deadPid}. */
    static void rewritePid(Path file, long pid, int index, long deadPid) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer h = ByteBuffer.allocate(ControlBlock.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(h, 0);
            long procOff = h.getLong((int) ControlBlock.H_PROCESS_OFFSET);
            long entry = procOff + (long) (index - 1) * ControlBlock.PROCESS_BYTES;
            ByteBuffer w = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(w, entry);
            long word = w.getLong(0);
            if (word >>> 8 != pid) throw new IllegalStateException("entry " + index + " names pid " + (word >>> 8) + ", not " + pid);
            w.clear();
            w.putLong(0, (deadPid << 8) | (word & 0xFF));
            ch.write(w, entry);
        }
    }

    /** The u64 at {@code field} of group record {@code group}, read from the file. */
    static long groupLong(Path file, int group, long field) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer h = ByteBuffer.allocate(ControlBlock.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(h, 0);
            long rec = h.getLong((int) ControlBlock.H_GROUPS_OFFSET) + (long) group * ControlBlock.GROUP_BYTES;
            ByteBuffer w = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(w, rec + field);
            return w.getLong(0);
        }
    }

    /** The u32 at {@code field} of group record {@code group}, read from the file. */
    static int groupInt(Path file, int group, long field) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer h = ByteBuffer.allocate(ControlBlock.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(h, 0);
            long rec = h.getLong((int) ControlBlock.H_GROUPS_OFFSET) + (long) group * ControlBlock.GROUP_BYTES;
            ByteBuffer w = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(w, rec + field);
            return w.getInt(0);
        }
    }
}
