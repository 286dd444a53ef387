package dev.vbuf.stats;

/**
 * The JMX view of a pool, registered as {@code dev.vbuf:type=FramePool,name=<pool name>} while
 * the pool is open.
 */
public interface FramePoolMXBean {
    String getName();
    int getTotalCount();
    int getFreeCount();
    int getFilledCount();
    int getHotCount();
    int getWarmCount();
    int getColdCount();
    long getBufferSize();
    long getTotalBytes();
    long getPublished();
    long getAcquireWaits();
    long getAcquireTimeouts();
    long getReclaims();
    long getDrops();
    /** Producer acquires refused at once (overflow policy FAIL). */
    long getAcquireFails();
    /** External buffers whose owner freed them. */
    int getRetiredCount();
    /** Bytes of the control block. */
    long getControlBytes();
    String[] getGroupNames();
    long[] getGroupLags();
    long[] getGroupDrops();
    /** Per group (in {@link #getGroupNames()} order): frames its consumers acquired. */
    long[] getGroupTaken();
    /** Per group: frames its consumers hold now. */
    int[] getGroupHeld();
    /** Per group: queue entries skipped because the frame had been taken back. */
    long[] getGroupStaleSkipped();
    /** Per group: acquires that found nothing and waited. */
    long[] getGroupAcquireWaits();
    /** Per group: acquires that gave up after their timeout. */
    long[] getGroupTimeouts();
    /** The same text as {@code printStats()}. */
    String getStatsReport();
}
