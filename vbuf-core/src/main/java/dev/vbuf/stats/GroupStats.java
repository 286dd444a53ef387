package dev.vbuf.stats;

/**
 * One consumer group's figures at the moment of a {@code stats()} call.
 *
 * @param name          the group's name
 * @param lag           frames published to the group and not yet taken or dropped
 * @param taken         frames its consumers acquired
 * @param dropped       frames dropped for it before it read them, all causes: taken back by the
 *                      overflow policy, its queue full, a consumer of it died holding them
 * @param staleSkipped  queue entries its consumers skipped because the frame had been taken back
 * @param held          frames its consumers hold right now
 * @param acquireWaits  acquires that found nothing and had to wait
 * @param timeouts      acquires that gave up after their timeout
 * @param queueFull     of {@code dropped}: its queue was full (it stopped reading)
 * @param lostToCrash   of {@code dropped}: a consumer of it died holding them
 */
public record GroupStats(String name, long lag, long taken, long dropped, long staleSkipped, int held,
                         long acquireWaits, long timeouts, long queueFull, long lostToCrash) {
    @Override
    public String toString() {
        return String.format("group %-10s lag %d, taken %d, dropped %d, held %d, waits %d, timeouts %d, stale skipped %d",
                "'" + name + "'", lag, taken, dropped, held, acquireWaits, timeouts, staleSkipped);
    }
}
