package dev.vbuf.pool;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The memory a control block and its rings live in, addressed by byte offset, with the access
 * modes the hand-off needs (plain, acquire, release, volatile, CAS, get-and-add).
 * <ul>
 *   <li>{@link #of(MemorySegment)}: native memory. Every shared pool (other processes and the C
 *       header read the same bytes), a private pool whose statistics other processes read
 *       ({@link PoolBuilder#publishStats}), and one whose waiters sleep on a futex word (the
 *       kernel needs its address).</li>
 *   <li>{@link #heap(long)}: a long array of this JVM, for a private pool nobody else reads. The
 *       same layout and offsets, but an access costs an index check, not the memory-segment
 *       checks (liveness of the segment's session, bounds against its size, alignment of its
 *       address), which the JIT cannot hoist across the volatile and release accesses of the
 *       hand-off and which took about 40 % of a one-thread round trip.</li>
 * </ul>
 * The class is sealed with two final subclasses, so a call site that sees one kind is inlined
 * without a type check, and one that sees both costs one compare.
 */
abstract sealed class Words permits Words.Native, Words.Heap {
    static Words of(MemorySegment seg) { return new Native(seg); }

    /** Zeroed heap words of {@code bytes} (a multiple of 8, at most 8 × (2^31 - 8)). */
    static Words heap(long bytes) {
        if (bytes % 8 != 0 || bytes / 8 > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a control block of " + bytes + " bytes does not fit a Java array;"
                    + " use fewer slots or a shared pool");
        }
        return new Heap(new long[(int) (bytes / 8)]);
    }

    abstract long byteSize();
    /** The native memory, or null for heap words. */
    abstract MemorySegment segment();

    abstract long getLong(long off);
    abstract void setLong(long off, long v);
    abstract long getVolatileLong(long off);
    abstract long getAcquireLong(long off);
    abstract void setReleaseLong(long off, long v);
    abstract void setVolatileLong(long off, long v);
    abstract boolean casLong(long off, long expect, long update);
    abstract long caeLong(long off, long expect, long update);
    abstract long getAndAddLong(long off, long delta);
    abstract long getAndSetLong(long off, long v);

    abstract int getInt(long off);
    abstract void setInt(long off, int v);
    abstract int getVolatileInt(long off);
    abstract void setReleaseInt(long off, int v);
    abstract boolean casInt(long off, int expect, int update);
    abstract int getAndAddInt(long off, int delta);
    abstract int getAndBitwiseOrInt(long off, int bits);

    abstract void setBytes(long off, byte[] src, int len);
    abstract void zero(long off, long len);

    static final class Native extends Words {
        private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
        private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
        private final MemorySegment seg;

        Native(MemorySegment seg) { this.seg = seg; }

        @Override long byteSize() { return seg.byteSize(); }
        @Override MemorySegment segment() { return seg; }

        @Override long getLong(long off) { return seg.get(ValueLayout.JAVA_LONG, off); }
        @Override void setLong(long off, long v) { seg.set(ValueLayout.JAVA_LONG, off, v); }
        @Override long getVolatileLong(long off) { return (long) LONG.getVolatile(seg, off); }
        @Override long getAcquireLong(long off) { return (long) LONG.getAcquire(seg, off); }
        @Override void setReleaseLong(long off, long v) { LONG.setRelease(seg, off, v); }
        @Override void setVolatileLong(long off, long v) { LONG.setVolatile(seg, off, v); }
        @Override boolean casLong(long off, long expect, long update) { return LONG.compareAndSet(seg, off, expect, update); }
        @Override long caeLong(long off, long expect, long update) { return (long) LONG.compareAndExchange(seg, off, expect, update); }
        @Override long getAndAddLong(long off, long delta) { return (long) LONG.getAndAdd(seg, off, delta); }
        @Override long getAndSetLong(long off, long v) { return (long) LONG.getAndSet(seg, off, v); }

        @Override int getInt(long off) { return seg.get(ValueLayout.JAVA_INT, off); }
        @Override void setInt(long off, int v) { seg.set(ValueLayout.JAVA_INT, off, v); }
        @Override int getVolatileInt(long off) { return (int) INT.getVolatile(seg, off); }
        @Override void setReleaseInt(long off, int v) { INT.setRelease(seg, off, v); }
        @Override boolean casInt(long off, int expect, int update) { return INT.compareAndSet(seg, off, expect, update); }
        @Override int getAndAddInt(long off, int delta) { return (int) INT.getAndAdd(seg, off, delta); }
        @Override int getAndBitwiseOrInt(long off, int bits) { return (int) INT.getAndBitwiseOr(seg, off, bits); }

        @Override void setBytes(long off, byte[] src, int len) { MemorySegment.copy(src, 0, seg, ValueLayout.JAVA_BYTE, off, len); }
        @Override void zero(long off, long len) { seg.asSlice(off, len).fill((byte) 0); }
    }

    /**
     * A long array: the long words by index ({@code offset / 8}, every long field of the layout
     * is 8-byte aligned), the few int words (flags and metadata; futex words and holders are
     * never in heap words) through a memory segment over the same array, whose 8-byte alignment
     * the array guarantees whatever the JVM's object header size.
     */
    static final class Heap extends Words {
        private static final VarHandle LONG = MethodHandles.arrayElementVarHandle(long[].class);
        private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
        private final long[] a;
        private final MemorySegment ints;

        Heap(long[] a) {
            this.a = a;
            this.ints = MemorySegment.ofArray(a);
        }

        private static int i(long off) { return (int) (off >>> 3); }

        @Override long byteSize() { return 8L * a.length; }
        @Override MemorySegment segment() { return null; }

        @Override long getLong(long off) { return a[i(off)]; }
        @Override void setLong(long off, long v) { a[i(off)] = v; }
        @Override long getVolatileLong(long off) { return (long) LONG.getVolatile(a, i(off)); }
        @Override long getAcquireLong(long off) { return (long) LONG.getAcquire(a, i(off)); }
        @Override void setReleaseLong(long off, long v) { LONG.setRelease(a, i(off), v); }
        @Override void setVolatileLong(long off, long v) { LONG.setVolatile(a, i(off), v); }
        @Override boolean casLong(long off, long expect, long update) { return LONG.compareAndSet(a, i(off), expect, update); }
        @Override long caeLong(long off, long expect, long update) { return (long) LONG.compareAndExchange(a, i(off), expect, update); }
        @Override long getAndAddLong(long off, long delta) { return (long) LONG.getAndAdd(a, i(off), delta); }
        @Override long getAndSetLong(long off, long v) { return (long) LONG.getAndSet(a, i(off), v); }

        @Override int getInt(long off) { return ints.get(ValueLayout.JAVA_INT, off); }
        @Override void setInt(long off, int v) { ints.set(ValueLayout.JAVA_INT, off, v); }
        @Override int getVolatileInt(long off) { return (int) INT.getVolatile(ints, off); }
        @Override void setReleaseInt(long off, int v) { INT.setRelease(ints, off, v); }
        @Override boolean casInt(long off, int expect, int update) { return INT.compareAndSet(ints, off, expect, update); }
        @Override int getAndAddInt(long off, int delta) { return (int) INT.getAndAdd(ints, off, delta); }
        @Override int getAndBitwiseOrInt(long off, int bits) { return (int) INT.getAndBitwiseOr(ints, off, bits); }

        @Override void setBytes(long off, byte[] src, int len) { MemorySegment.copy(src, 0, ints, ValueLayout.JAVA_BYTE, off, len); }
        @Override void zero(long off, long len) { ints.asSlice(off, len).fill((byte) 0); }
    }
}
