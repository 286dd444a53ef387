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
    /** Buffers LOCKED_BY_PRODUCER (HOT: being filled). */
    int getProducerLockedCount();
    /** Buffers READY_FOR_CONSUME (WARM: queued). */
    int getReadyCount();
    /** Buffers LOCKED_BY_CONSUMER (HOT: being read). */
    int getConsumerLockedCount();
    /** Buffers HELD_BY_DECODER (HOT: every group released them, a producer's reference still holds them). */
    int getHeldByDecoderCount();
    /** Buffers a producer's reference (a decoder's reference picture) holds, whatever their groups do. */
    int getReferenceCount();
    /** Dead processes whose slots were recovered (shared pools). */
    long getPeerRecoveries();
    /** Slots recovered from dead processes. */
    long getSlotsRecovered();
    /** True once the producer marked the end of the stream. */
    boolean isEndOfStream();
    /** Per group: of its drops, those because its queue was full (it stopped reading). */
    long[] getGroupQueueFullDrops();
    /** Per group: of its drops, those because a consumer of it died holding the frame. */
    long[] getGroupLostToCrash();
    /** The same text as {@code printStats()}. */
    String getStatsReport();
}
