package dev.vbuf.stats;

import java.util.List;

/**
 * A snapshot of a pool's figures. Counts per state are read slot by slot, so under
 * load they are a consistent-enough picture, not an atomic one.
 *
 * @param name             the pool's name
 * @param total            buffers in the pool
 * @param idle             IDLE (COLD: reusable)
 * @param producerLocked   LOCKED_BY_PRODUCER (HOT)
 * @param ready            READY_FOR_CONSUME (WARM: queued)
 * @param consumerLocked   LOCKED_BY_CONSUMER (HOT)
 * @param retired          external buffers whose owner freed them
 * @param bufferBytes      bytes per buffer
 * @param totalBytes       bytes of buffer memory in all
 * @param controlBytes     bytes of the control block (metadata for all buffers)
 * @param backing          what the memory is
 * @param published        frames submitted
 * @param acquireWaits     producer acquires that had to wait
 * @param acquireTimeouts  producer acquires that gave up after their timeout
 * @param acquireFails     producer acquires refused at once (Overflow.FAIL)
 * @param reclaims         frames taken back from consumers by the overflow policy
 * @param groups           per consumer group
 * @param heldByDecoder    HELD_BY_DECODER (HOT): every group released it, a producer's reference
 *                         (a decoder's reference picture) still holds it
 * @param references       buffers a producer's reference holds, whatever their groups do
 * @param peerRecoveries   dead processes whose slots were recovered (shared pools; 0 for a private one)
 * @param slotsRecovered   slots recovered from dead processes
 */
public record PoolStats(String name, int total, int idle, int producerLocked, int ready, int consumerLocked,
                        int retired, long bufferBytes, long totalBytes, long controlBytes, String backing,
                        long published, long acquireWaits, long acquireTimeouts, long acquireFails, long reclaims,
                        List<GroupStats> groups, int heldByDecoder, int references,
                        long peerRecoveries, long slotsRecovered) {
    public int hot() { return producerLocked + consumerLocked + heldByDecoder; }
    public int warm() { return ready; }
    public int cold() { return idle; }

    /** Drops summed over groups (a frame dropped by two groups counts twice). */
    public long drops() {
        long d = 0;
        for (GroupStats g : groups) d += g.dropped();
        return d;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("pool '%s': %d buffers x %d bytes = %d bytes (%s), control block %d bytes (%d per buffer)%n",
                name, total, bufferBytes, totalBytes, backing, controlBytes, total == 0 ? 0 : controlBytes / total));
        sb.append(String.format("  states: IDLE %d, LOCKED_BY_PRODUCER %d, READY_FOR_CONSUME %d, LOCKED_BY_CONSUMER %d%s%s%n",
                idle, producerLocked, ready, consumerLocked, retired == 0 ? "" : ", RETIRED " + retired,
                references == 0 ? "" : ", HELD_BY_DECODER " + heldByDecoder + " (decoder references " + references + ")"));
        sb.append(String.format("  banks: HOT %d, WARM %d, COLD %d%n", hot(), warm(), cold()));
        sb.append(String.format("  producer: published %d, waits %d, timeouts %d, fails %d, reclaims %d",
                published, acquireWaits, acquireTimeouts, acquireFails, reclaims));
        for (GroupStats g : groups) sb.append(System.lineSeparator()).append("  ").append(g);
        return sb.toString();
    }
}
