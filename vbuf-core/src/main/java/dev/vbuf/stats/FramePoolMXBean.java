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
    String[] getGroupNames();
    long[] getGroupLags();
    long[] getGroupDrops();
    /** The same text as {@code printStats()}. */
    String getStatsReport();
}
