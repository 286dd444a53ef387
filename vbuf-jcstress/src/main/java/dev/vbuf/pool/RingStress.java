package dev.vbuf.pool;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;
import org.openjdk.jcstress.infra.results.JJJ_Result;
import org.openjdk.jcstress.infra.results.ZJ_Result;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * jcstress tests of {@link MpmcRing}, the ring the free list and every consumer group's queue
 * are made of. Each state owns a small ring in GC-managed memory (Arena.ofAuto), laid out as
 * in a control block.
 */
public final class RingStress {
    private RingStress() {}

    static MpmcRing ring(MemorySegment seg, int capacity) {
        MpmcRing.format(seg, 0, capacity);
        return new MpmcRing(seg, 0, capacity);
    }

    /** A ring in heap words, as a private pool's control block keeps it ({@link Words#heap}). */
    static MpmcRing heapRing(int capacity) {
        Words w = Words.heap(ControlBlock.ringBytes(capacity));
        MpmcRing.format(w, 0, capacity);
        return new MpmcRing(w, 0, capacity);
    }

    static MemorySegment segment(int capacity) {
        return Arena.ofAuto().allocate(ControlBlock.ringBytes(capacity) + 64, ControlBlock.ALIGN);
    }

    @JCStressTest
    @Description("Two producers offer at once: both values are queued, once each.")
    @Outcome(id = {"1, 2", "2, 1"}, expect = ACCEPTABLE, desc = "both queued, in one of the two orders")
    @Outcome(expect = FORBIDDEN, desc = "a value lost or duplicated")
    @State
    public static class OfferOffer {
        final MpmcRing r = ring(segment(4), 4);
        @Actor public void p1() { r.offer(1); }
        @Actor public void p2() { r.offer(2); }
        @Arbiter public void check(JJ_Result res) { res.r1 = r.poll(); res.r2 = r.poll(); }
    }

    @JCStressTest
    @Description("Two consumers poll a ring holding 1 and 2: each value goes to exactly one of them.")
    @Outcome(id = {"1, 2", "2, 1"}, expect = ACCEPTABLE, desc = "each took one value")
    @Outcome(expect = FORBIDDEN, desc = "a value delivered twice or lost")
    @State
    public static class PollPoll {
        final MpmcRing r;
        { r = ring(segment(4), 4); r.offer(1); r.offer(2); }
        @Actor public void c1(JJ_Result res) { res.r1 = r.poll(); }
        @Actor public void c2(JJ_Result res) { res.r2 = r.poll(); }
    }

    @JCStressTest
    @Description("A value polled is published with what was written before it was offered "
            + "(offer's CAS of the cell word pairs with the volatile load of it in poll).")
    @Outcome(id = "-1, 0", expect = ACCEPTABLE, desc = "ring still empty")
    @Outcome(id = "7, 42", expect = ACCEPTABLE, desc = "value and the payload written before it")
    @Outcome(id = "7, 0", expect = FORBIDDEN, desc = "value seen without its payload")
    @State
    public static class OfferPollPublishes {
        final MemorySegment seg = segment(2);
        final MemorySegment payload = Arena.ofAuto().allocate(8, 8);
        final MpmcRing r = ring(seg, 2);
        @Actor public void producer() {
            payload.set(ValueLayout.JAVA_LONG, 0, 42); // plain store, like pixel data
            r.offer(7);
        }
        @Actor public void consumer(JJ_Result res) {
            long v = r.poll();
            res.r1 = v;
            res.r2 = v == MpmcRing.EMPTY ? 0 : payload.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    @JCStressTest
    @Description("A full ring: an offer racing a poll either fails (ring still full) or takes the freed cell; nothing is lost.")
    @Outcome(id = "true, 1", expect = ACCEPTABLE, desc = "poll freed a cell first, offer used it")
    @Outcome(id = "false, 1", expect = ACCEPTABLE, desc = "offer saw the ring full")
    @Outcome(expect = FORBIDDEN, desc = "wrong value polled")
    @State
    public static class FullRingOfferPoll {
        final MpmcRing r;
        { r = ring(segment(2), 2); r.offer(1); r.offer(2); }
        @Actor public void producer(ZJ_Result res) { res.r1 = r.offer(3); }
        @Actor public void consumer(ZJ_Result res) { res.r2 = r.poll(); }
        @Arbiter public void check(ZJ_Result res) {
            long a = r.poll(), b = r.poll(), c = r.poll();
            // after the race: 2 then (3 if offered) then empty
            boolean ok = a == 2 && (res.r1 ? b == 3 && c == MpmcRing.EMPTY : b == MpmcRing.EMPTY);
            if (!ok) res.r2 = -100 - a;
        }
    }

    @JCStressTest
    @Description("Offer and poll across the wrap of a capacity-2 ring, three values: order kept, none lost.")
    @Outcome(id = "1, 2, 3", expect = ACCEPTABLE, desc = "FIFO kept across the wrap")
    @Outcome(expect = FORBIDDEN, desc = "order broken, value lost or duplicated")
    @State
    public static class WrapAround {
        final MpmcRing r;
        { r = ring(segment(2), 2); r.offer(1); r.offer(2); }
        long first = -9;
        @Actor public void consumer() { first = r.poll(); }
        @Actor public void producer() { while (!r.offer(3)) Thread.onSpinWait(); }
        @Arbiter public void check(JJJ_Result res) { res.r1 = first; res.r2 = r.poll(); res.r3 = r.poll(); }
    }

    @JCStressTest
    @Description("Two consumers peek the same head entry and remove it: exactly one removal succeeds, "
            + "and the head moves past it once (the protocol pool consumers use).")
    @Outcome(id = {"true, 0", "false, 1"}, expect = ACCEPTABLE, desc = "one of them took it (c1 as true, c2 as 1)")
    @Outcome(expect = FORBIDDEN, desc = "taken twice or by nobody")
    @State
    public static class PeekRemove {
        final MpmcRing r;
        { r = ring(segment(4), 4); r.offer(5); r.offer(6); }
        @Actor public void c1(ZJ_Result res) { res.r1 = take(); }
        @Actor public void c2(ZJ_Result res) { res.r2 = take() ? 1 : 0; }
        boolean take() {
            long h = r.head();
            long v = r.peek(h);
            return v == 5 && r.remove(h, v);
        }
        @Arbiter public void check(ZJ_Result res) {
            long next = r.poll();
            if (next != 6 || r.poll() != MpmcRing.EMPTY) res.r2 = -100 - next;
        }
    }

    @JCStressTest
    @Description("The single-writer pair: offerSingleWriter (cell CAS at once with the expected empty value, tail by release store) against "
            + "peek + remove (cell CAS, head CAS): a value taken comes with what "
            + "was written before it was offered, and nothing is taken twice.")
    @Outcome(id = "-1, 0, 7", expect = ACCEPTABLE, desc = "ring still empty; the value is there afterwards")
    @Outcome(id = "7, 42, -1", expect = ACCEPTABLE, desc = "value taken with its payload; the ring is empty afterwards")
    @Outcome(id = "7, 0, -1", expect = FORBIDDEN, desc = "value seen without its payload")
    @Outcome(expect = FORBIDDEN, desc = "a value lost or taken twice")
    @State
    public static class SingleWriterOfferTake {
        final MemorySegment payload = Arena.ofAuto().allocate(8, 8);
        final MpmcRing r = ring(segment(2), 2);
        @Actor public void producer() {
            payload.set(ValueLayout.JAVA_LONG, 0, 42);
            r.offerSingleWriter(7, false);
        }
        @Actor public void consumer(JJJ_Result res) {
            long h = r.head();
            long v = r.peek(h);
            if (v >= 0 && r.remove(h, v)) {
                res.r1 = v;
                res.r2 = payload.get(ValueLayout.JAVA_LONG, 0);
            } else {
                res.r1 = MpmcRing.EMPTY;
            }
        }
        @Arbiter public void check(JJJ_Result res) { res.r3 = r.poll(); }
    }

    @JCStressTest
    @Description("The private pool's single-writer pair: offerSingleWriter(sole), which writes the cell with a"
            + " release store after one look (no other party writes empty cells), against peek +"
            + " remove, over a ring of two cells that laps: the second offer reuses the cell"
            + " the reader empties, so a value is never written over an unread one, lost, or taken twice.")
    @Outcome(id = "7, 42, 8", expect = ACCEPTABLE, desc = "first value taken with its payload, second queued")
    @Outcome(id = "-1, 0, 7", expect = ACCEPTABLE, desc = "nothing taken yet; first value still there")
    @Outcome(expect = FORBIDDEN, desc = "a value lost, taken twice, or seen without its payload")
    @State
    public static class SoleWriterOfferTakeLap {
        final SoleLap lap = new SoleLap(ring(segment(2), 2));
        @Actor public void producer() { lap.produce(); }
        @Actor public void consumer(JJJ_Result res) { lap.consume(res); }
        @Arbiter public void check(JJJ_Result res) { res.r3 = lap.r.poll(); }
    }

    /** The two parties of SoleWriterOfferTakeLap, over a ring in either kind of words. */
    static final class SoleLap {
        final MemorySegment payload = Arena.ofAuto().allocate(8, 8);
        final MpmcRing r;
        SoleLap(MpmcRing r) {
            this.r = r;
            // one lap in: head = tail = 2, so the next offers use laps 1 of both cells
            r.offerSingleWriter(1, true);
            r.offerSingleWriter(2, true);
            r.poll();
            r.poll();
        }
        void produce() {
            payload.set(ValueLayout.JAVA_LONG, 0, 42);
            r.offerSingleWriter(7, true);
            r.offerSingleWriter(8, true);
            r.offerSingleWriter(9, true); // full unless the reader took 7: then it reuses 7's cell
        }
        void consume(JJJ_Result res) {
            long h = r.head();
            long v = r.peek(h);
            if (v >= 0 && r.remove(h, v)) {
                res.r1 = v;
                res.r2 = payload.get(ValueLayout.JAVA_LONG, 0);
            } else {
                res.r1 = MpmcRing.EMPTY;
            }
        }
    }

    @JCStressTest
    @Description("SoleWriterOfferTakeLap over heap words (a private pool's control block in a Java long array).")
    @Outcome(id = "7, 42, 8", expect = ACCEPTABLE, desc = "first value taken with its payload, second queued")
    @Outcome(id = "-1, 0, 7", expect = ACCEPTABLE, desc = "nothing taken yet; first value still there")
    @Outcome(expect = FORBIDDEN, desc = "a value lost, taken twice, or seen without its payload")
    @State
    public static class SoleWriterOfferTakeLapHeap {
        final SoleLap lap = new SoleLap(heapRing(2));
        @Actor public void producer() { lap.produce(); }
        @Actor public void consumer(JJJ_Result res) { lap.consume(res); }
        @Arbiter public void check(JJJ_Result res) { res.r3 = lap.r.poll(); }
    }
}
