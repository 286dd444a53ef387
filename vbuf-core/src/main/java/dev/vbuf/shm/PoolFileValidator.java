package dev.vbuf.shm;

import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.memory.BufferValidationException;
import dev.vbuf.pool.ControlBlock;
import dev.vbuf.pool.FramePool;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The validator of a shared pool file's untrusted bytes: before anything else reads a mapping,
 * magic, version, every count and every offset of the header are checked against the geometry
 * recomputed from the counts and against the file's real length, so no access can fall outside
 * the mapping; group names must be NUL-terminated UTF-8, the frame layout one vbuf accepts.
 * What it returns was computed here, never read back later: a peer rewriting the header after
 * validation cannot move anything.
 */
public final class PoolFileValidator {
    private PoolFileValidator() {}

    /**
     * What a valid header declares.
     *
     * @param geometry    where everything is (recomputed from the counts)
     * @param dataOffset  where the buffers start in the file
     * @param stride      bytes from one buffer to the next
     * @param groups      the consumer groups' names
     * @param bufferBytes bytes per buffer
     * @param layout      the frame layout, or null when the pool has none
     * @param flags       the pool's declared roles ({@link ControlBlock#SINGLE_PRODUCER}, {@link ControlBlock#SINGLE_CONSUMERS})
     */
    public record Validated(ControlBlock.Geometry geometry, long dataOffset, long stride, String[] groups,
                            long bufferBytes, FrameLayout layout, int flags) {}

    /** A shared file that is not a valid pool: says which file, what is wrong, and what to do. */
    static final class BufferValidation extends BufferValidationException {
        BufferValidation(Path path, String what) {
            super("shared pool file " + path + " " + what + "; it was not written by a compatible vbuf, or it is"
                    + " damaged. Remove it with 'vbuf shm rm " + path.getFileName().toString().substring(ShmNames.PREFIX.length())
                    + "' and start the producer again");
        }
    }

    /**
     * Checks every header field of an untrusted mapping before anything else reads it: the
     * geometry must be exactly what the counts give, and everything must fit in the file.
     */
    public static Validated validate(MemorySegment m, Path path) {
        long size = m.byteSize();
        long magic = m.get(ValueLayout.JAVA_LONG, ControlBlock.H_MAGIC);
        if (magic == 0) throw new BufferValidation(path, "has no magic number yet (its creator is still formatting it, or died doing so)");
        if (magic != ControlBlock.MAGIC) {
            throw new BufferValidation(path, "has magic 0x" + Long.toHexString(magic) + ", not 0x"
                    + Long.toHexString(ControlBlock.MAGIC) + " (\"VBUFPOOL\"): not a vbuf pool");
        }
        int version = m.get(ValueLayout.JAVA_INT, ControlBlock.H_VERSION);
        if (version != ControlBlock.VERSION) {
            throw new BufferValidation(path, "has layout version " + version + "; this vbuf reads version " + ControlBlock.VERSION);
        }
        int headerBytes = m.get(ValueLayout.JAVA_INT, ControlBlock.H_HEADER_BYTES);
        int slotBytes = m.get(ValueLayout.JAVA_INT, ControlBlock.H_SLOT_BYTES);
        if (headerBytes != ControlBlock.HEADER_BYTES || slotBytes != ControlBlock.SLOT_BYTES) {
            throw new BufferValidation(path, "declares a " + headerBytes + "-byte header and " + slotBytes
                    + "-byte slots; version " + ControlBlock.VERSION + " has " + ControlBlock.HEADER_BYTES + " and " + ControlBlock.SLOT_BYTES);
        }
        int slots = m.get(ValueLayout.JAVA_INT, ControlBlock.H_SLOT_COUNT);
        int groups = m.get(ValueLayout.JAVA_INT, ControlBlock.H_GROUP_COUNT);
        int procs = m.get(ValueLayout.JAVA_INT, ControlBlock.H_PROCESS_CAPACITY);
        range(path, "slot count", slots, 1, FramePool.MAX_BUFFERS);
        range(path, "group count", groups, 1, FramePool.MAX_GROUPS);
        range(path, "process table capacity", procs, 1, PoolFile.MAX_PROCESS_CAPACITY);
        ControlBlock.Geometry g = ControlBlock.Geometry.of(slots, groups, procs);
        expect(path, "free ring capacity", m.get(ValueLayout.JAVA_INT, ControlBlock.H_FREE_RING_CAPACITY), g.freeRingCapacity());
        expect(path, "group ring capacity", m.get(ValueLayout.JAVA_INT, ControlBlock.H_GROUP_RING_CAPACITY), g.groupRingCapacity());
        expect(path, "slots offset", m.get(ValueLayout.JAVA_LONG, ControlBlock.H_SLOTS_OFFSET), g.slotsOffset());
        expect(path, "free ring offset", m.get(ValueLayout.JAVA_LONG, ControlBlock.H_FREE_RING_OFFSET), g.freeRingOffset());
        expect(path, "groups offset", m.get(ValueLayout.JAVA_LONG, ControlBlock.H_GROUPS_OFFSET), g.groupsOffset());
        expect(path, "process table offset", m.get(ValueLayout.JAVA_LONG, ControlBlock.H_PROCESS_OFFSET), g.processOffset());
        expect(path, "control block size", m.get(ValueLayout.JAVA_LONG, ControlBlock.H_TOTAL_BYTES), g.totalBytes());
        if (g.totalBytes() > size) {
            throw new BufferValidation(path, "is " + size + " bytes long but its control block needs " + g.totalBytes() + ": truncated");
        }
        long bufferBytes = m.get(ValueLayout.JAVA_LONG, ControlBlock.H_BUFFER_BYTES);
        long dataOffset = m.get(ValueLayout.JAVA_LONG, ControlBlock.H_DATA_OFFSET);
        long stride = m.get(ValueLayout.JAVA_LONG, ControlBlock.H_BUFFER_STRIDE);
        if (bufferBytes < 1 || stride < bufferBytes || stride % PoolFile.PAGE != 0) {
            throw new BufferValidation(path, "declares buffers of " + bufferBytes + " bytes every " + stride
                    + " bytes; a buffer must be at least 1 byte and the stride a multiple of " + PoolFile.PAGE + " not below it");
        }
        if (dataOffset < g.totalBytes() || dataOffset % PoolFile.PAGE != 0) {
            throw new BufferValidation(path, "puts its buffers at offset " + dataOffset + ", inside the control block (ends at "
                    + g.totalBytes() + ") or not page-aligned");
        }
        long end;
        try {
            end = Math.addExact(dataOffset, Math.multiplyExact(stride, (long) slots));
        } catch (ArithmeticException e) {
            end = Long.MAX_VALUE;
        }
        if (end > size) {
            throw new BufferValidation(path, "is " + size + " bytes long but its " + slots + " buffers of " + stride
                    + " bytes from offset " + dataOffset + " end at " + (end == Long.MAX_VALUE ? "an overflowing offset" : end)
                    + ": truncated");
        }
        String[] names = new String[groups];
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        for (int i = 0; i < groups; i++) {
            long rec = g.groupsOffset() + (long) i * ControlBlock.GROUP_BYTES;
            expect(path, "group " + i + " ring offset", m.get(ValueLayout.JAVA_LONG, rec + ControlBlock.G_RING_OFFSET), g.groupRingOffset(i));
            byte[] raw = m.asSlice(rec + ControlBlock.G_NAME, ControlBlock.GROUP_NAME_BYTES).toArray(ValueLayout.JAVA_BYTE);
            int len = 0;
            while (len < raw.length && raw[len] != 0) len++;
            if (len == 0 || len == raw.length) {
                throw new BufferValidation(path, "has a group " + i + " name that is empty or not NUL-terminated within "
                        + ControlBlock.GROUP_NAME_BYTES + " bytes");
            }
            try {
                names[i] = decoder.decode(java.nio.ByteBuffer.wrap(raw, 0, len)).toString();
            } catch (CharacterCodingException e) {
                throw new BufferValidation(path, "has a group " + i + " name that is not UTF-8");
            }
            for (int j = 0; j < i; j++) {
                if (names[j].equals(names[i])) {
                    throw new BufferValidation(path, "names consumer group '" + names[i] + "' twice (groups " + j + " and "
                            + i + "): consumers could not tell them apart");
                }
            }
        }
        FrameLayout layout = null;
        int format = m.get(ValueLayout.JAVA_INT, ControlBlock.H_FORMAT);
        if (format != 0) {
            PixelFormat[] all = PixelFormat.values();
            range(path, "pixel format id", format, 1, all.length);
            int w = m.get(ValueLayout.JAVA_INT, ControlBlock.H_WIDTH);
            int h = m.get(ValueLayout.JAVA_INT, ControlBlock.H_HEIGHT);
            int sa = m.get(ValueLayout.JAVA_INT, ControlBlock.H_STRIDE_ALIGN);
            range(path, "width", w, FrameLayout.MIN_DIMENSION, FrameLayout.MAX_DIMENSION);
            range(path, "height", h, FrameLayout.MIN_DIMENSION, FrameLayout.MAX_DIMENSION);
            range(path, "stride alignment", sa, 1, FrameLayout.MAX_STRIDE_ALIGN);
            try {
                layout = FrameLayout.of(all[format - 1], w, h, sa);
            } catch (IllegalArgumentException e) {
                throw new BufferValidation(path, "declares a frame layout vbuf rejects (" + e.getMessage() + ")");
            }
            if (layout.frameBytes() > bufferBytes) {
                throw new BufferValidation(path, "declares " + layout + " frames of " + layout.frameBytes()
                        + " bytes in buffers of " + bufferBytes);
            }
        }
        // Role bits only choose between two paths of the same algorithm; other bits are ignored
        // (as the C consumer ignores them), never trusted for anything else.
        int flags = m.get(ValueLayout.JAVA_INT, ControlBlock.H_FLAGS) & (ControlBlock.SINGLE_PRODUCER | ControlBlock.SINGLE_CONSUMERS);
        return new Validated(g, dataOffset, stride, names, bufferBytes, layout, flags);
    }

    private static void range(Path path, String what, long v, long lo, long hi) {
        if (v < lo || v > hi) throw new BufferValidation(path, "declares " + what + " " + v + ", outside " + lo + ".." + hi);
    }

    private static void expect(Path path, String what, long found, long expected) {
        if (found != expected) {
            throw new BufferValidation(path, "declares " + what + " " + found + " where its counts give " + expected);
        }
    }
}
