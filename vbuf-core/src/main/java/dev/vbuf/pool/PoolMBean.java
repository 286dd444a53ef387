package dev.vbuf.pool;

import dev.vbuf.stats.FramePoolMXBean;
import dev.vbuf.stats.GroupStats;
import dev.vbuf.stats.PoolStats;

import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;

/** Registers a pool as {@code dev.vbuf:type=FramePool,name=...}; a taken name gets a suffix. */
final class PoolMBean implements FramePoolMXBean {
    private final FramePool pool;
    private ObjectName objectName;

    private PoolMBean(FramePool pool) { this.pool = pool; }

    static PoolMBean register(FramePool pool) {
        PoolMBean bean = new PoolMBean(pool);
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        for (int i = 0; ; i++) {
            try {
                ObjectName on = new ObjectName("dev.vbuf:type=FramePool,name="
                        + ObjectName.quote(i == 0 ? pool.name() : pool.name() + "#" + i));
                server.registerMBean(bean, on);
                bean.objectName = on;
                return bean;
            } catch (InstanceAlreadyExistsException taken) {
                // try the next suffix
            } catch (JMException e) {
                throw new IllegalStateException("could not register the JMX MBean of pool '" + pool.name()
                        + "': " + e + "; build the pool with jmx(false) to go without", e);
            }
        }
    }

    ObjectName objectName() { return objectName; }

    void unregister() {
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(objectName);
        } catch (JMException ignored) {
            // already gone
        }
    }

    private PoolStats s() { return pool.stats(); }

    @Override public String getName() { return pool.name(); }
    @Override public int getTotalCount() { return pool.getTotalCount(); }
    @Override public int getFreeCount() { return pool.getFreeCount(); }
    @Override public int getFilledCount() { return pool.getFilledCount(); }
    @Override public int getHotCount() { return s().hot(); }
    @Override public int getWarmCount() { return s().warm(); }
    @Override public int getColdCount() { return s().cold(); }
    @Override public long getBufferSize() { return pool.getBufferSize(); }
    @Override public long getTotalBytes() { return s().totalBytes(); }
    @Override public long getPublished() { return s().published(); }
    @Override public long getAcquireWaits() { return s().acquireWaits(); }
    @Override public long getAcquireTimeouts() { return s().acquireTimeouts(); }
    @Override public long getReclaims() { return s().reclaims(); }
    @Override public long getDrops() { return s().drops(); }
    @Override public String[] getGroupNames() { return pool.groups().toArray(String[]::new); }
    @Override public long[] getGroupLags() { return s().groups().stream().mapToLong(GroupStats::lag).toArray(); }
    @Override public long[] getGroupDrops() { return s().groups().stream().mapToLong(GroupStats::dropped).toArray(); }
    @Override public long getAcquireFails() { return s().acquireFails(); }
    @Override public int getRetiredCount() { return s().retired(); }
    @Override public long getControlBytes() { return s().controlBytes(); }
    @Override public long[] getGroupTaken() { return s().groups().stream().mapToLong(GroupStats::taken).toArray(); }
    @Override public int[] getGroupHeld() { return s().groups().stream().mapToInt(GroupStats::held).toArray(); }
    @Override public long[] getGroupStaleSkipped() { return s().groups().stream().mapToLong(GroupStats::staleSkipped).toArray(); }
    @Override public long[] getGroupAcquireWaits() { return s().groups().stream().mapToLong(GroupStats::acquireWaits).toArray(); }
    @Override public long[] getGroupTimeouts() { return s().groups().stream().mapToLong(GroupStats::timeouts).toArray(); }
    @Override public int getProducerLockedCount() { return s().producerLocked(); }
    @Override public int getReadyCount() { return s().ready(); }
    @Override public int getConsumerLockedCount() { return s().consumerLocked(); }
    @Override public int getHeldByDecoderCount() { return s().heldByDecoder(); }
    @Override public int getReferenceCount() { return s().references(); }
    @Override public long getPeerRecoveries() { return s().peerRecoveries(); }
    @Override public long getSlotsRecovered() { return s().slotsRecovered(); }
    @Override public boolean isEndOfStream() { return pool.endOfStream(); }
    @Override public long[] getGroupQueueFullDrops() { return s().groups().stream().mapToLong(GroupStats::queueFull).toArray(); }
    @Override public long[] getGroupLostToCrash() { return s().groups().stream().mapToLong(GroupStats::lostToCrash).toArray(); }
    @Override public String getStatsReport() { return s().toString(); }
}
