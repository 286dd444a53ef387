package dev.vbuf.pool;

import dev.vbuf.shm.PeerMonitor;

/**
 * Crash recovery of a shared pool (DESIGN.md "Crash consistency"): gives back everything a
 * process-table entry had, for a dead peer (called by the {@link PeerMonitor} that won the
 * entry) or for this process at close. Every change is one CAS of a slot word through the
 * {@link HandOff}'s transitions, so live peers keep running meanwhile, and recovering twice
 * is harmless.
 */
final class CrashRecovery implements PeerMonitor.Recovery {
    private final HandOff h;
    private final ControlBlock cb;

    CrashRecovery(HandOff h) {
        this.h = h;
        this.cb = h.cb;
    }

    @Override
    public void recover(int index) { recoverOwner(index); }

    @Override
    public void peerRecovered() { cb.increment(ControlBlock.P_PEER_RECOVERIES); }

    /**
     * Gives back everything process-table entry {@code owner} had: slots it was filling become
     * IDLE, frames it held leave their group (counted as dropped and lost to a crash for that
     * group: never delivered twice), references it kept as a producer are dropped, its holder
     * claims and role claims are cleared, and any slot left between
     * two steps (freed but not queued, published but not queued for every group) is queued
     * again. Returns the slots recovered.
     */
    int recoverOwner(int owner) {
        if (owner <= 0) return 0; // 0 names no process: never "recover" the private pool's owner field
        int recovered = 0;
        for (int s = 0; s < h.slotCount; s++) {
            for (;;) {
                long w = cb.lvWord(s);
                if (SlotWord.phase(w) != SlotWord.PRODUCER || SlotWord.owner(w) != owner) break;
                long ng = SlotWord.nextGen(SlotWord.gen(w));
                if (cb.casWord(s, w, SlotWord.make(SlotWord.FREE, 0, 0, ng))) {
                    h.offerFree(s, ng, false);
                    recovered++;
                    break;
                }
            }
            for (int g = 0; g < h.groupCount; g++) {
                if (cb.lvHolder(s, g) != owner) continue;
                if (h.leave(g, s, -1, HandOff.LOST_TO_CRASH, "consumer process died holding it")) recovered++;
                cb.casHolder(s, g, owner, 0); // a claim made just before dying, without the held bit
            }
            // A producer's reference (a decoder's reference picture) dies with its process: one
            // more holder leaves, without a drop (every group still gets the frame).
            if (h.refBit != 0 && cb.lvHolder(s, SlotWord.REFERENCE_GROUP) == owner) {
                if (h.leave(SlotWord.REFERENCE_GROUP, s, -1, HandOff.UNREFERENCED, null)) recovered++;
                cb.casHolder(s, SlotWord.REFERENCE_GROUP, owner, 0);
            }
        }
        requeueOrphans();
        // Its role claims go last, once nothing it did is left half done.
        cb.casInt(ControlBlock.P_PRODUCER_CLAIM, owner, 0);
        for (int g = 0; g < h.groupCount; g++) cb.casInt(cb.group(g) + ControlBlock.G_CONSUMER_CLAIM, owner, 0);
        if (recovered > 0) cb.getAndAdd(ControlBlock.P_SLOTS_RECOVERED, recovered);
        return recovered;
    }

    /**
     * Queues again every slot that is IDLE but not in the free ring, and every published frame
     * that a group still has to read but that is not in that group's ring (a process died
     * between the CAS that changed the slot and the ring offer). A live peer's offer in flight
     * may look the same: its entry is then queued twice, and the second copy is skipped as
     * stale, because every hand-off is guarded by the slot word.
     */
    void requeueOrphans() {
        for (int s = 0; s < h.slotCount; s++) {
            long w = cb.lvWord(s);
            long gen = SlotWord.gen(w);
            long e = SlotWord.entry(s, gen);
            if (SlotWord.phase(w) == SlotWord.FREE) {
                if (!h.freeQueued(e)) h.offerFree(s, gen, false);
            } else if (SlotWord.phase(w) == SlotWord.PUBLISHED) {
                int unread = SlotWord.pending(w) & ~SlotWord.held(w);
                for (int g = 0; g < h.groupCount; g++) {
                    if ((unread & (1 << g)) != 0 && !h.groupRings[g].contains(e)) {
                        h.groupRings[g].offer(e); // full: the group is far behind; the frame waits for reclaim
                        h.signalGroup(g);
                    }
                }
            }
        }
    }
}
