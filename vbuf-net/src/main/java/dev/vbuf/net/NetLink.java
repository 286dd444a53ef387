package dev.vbuf.net;

import io.aeron.Aeron;
import io.aeron.ChannelUri;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.archive.Archive;
import io.aeron.archive.ArchiveThreadingMode;
import io.aeron.archive.ArchivingMediaDriver;
import io.aeron.archive.client.AeronArchive;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.driver.ext.DebugReceiveChannelEndpoint;
import io.aeron.driver.ext.RandomLossGenerator;
import io.aeron.driver.status.SystemCounterDescriptor;
import org.agrona.concurrent.status.CountersReader;
import org.agrona.concurrent.BackoffIdleStrategy;

import java.io.File;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A connection to an Aeron media driver: an embedded one of this process's own (the default), or
 * an external one that a deployment runs ({@link #external(String)}). An embedded driver gets a
 * fresh directory named after the process id plus 64 random bits, so two vbuf processes on one
 * machine, or in two network namespaces that share /dev/shm (where process ids may repeat), never
 * share or delete each other's driver; it is deleted at close.
 */
public final class NetLink implements AutoCloseable {
    /** Driver and client liveness timeout: raised from Aeron's 10 s so that a starved JVM on a loaded machine is not declared dead. */
    static final long LIVENESS_NS = TimeUnit.SECONDS.toNanos(30);

    private final AutoCloseable driver;
    private final Aeron aeron;
    private final String directory;
    private final AeronArchive archive;

    private NetLink(AutoCloseable driver, Aeron aeron, String directory) {
        this(driver, aeron, directory, null);
    }

    private NetLink(AutoCloseable driver, Aeron aeron, String directory, AeronArchive archive) {
        this.driver = driver;
        this.aeron = aeron;
        this.directory = directory;
        this.archive = archive;
    }

    /** Starts an embedded media driver in a fresh directory and connects to it. */
    public static NetLink embedded() {
        return embedded(0, 0);
    }

    /**
     * Starts an embedded media driver whose UDP receive endpoints drop a fraction of the data
     * packets that arrive (Aeron's own debug endpoint, {@code DebugReceiveChannelEndpoint} with a
     * {@code RandomLossGenerator}), and connects to it: loss injected where the kernel has no
     * {@code netem}. Aeron's receiver sees the gaps and NAKs them; the sender retransmits. Status
     * and NAK messages this driver sends are not dropped.
     *
     * @param receiveLossRate the fraction of arriving data packets dropped, 0..0.9 (0: the plain endpoint)
     * @param seed the loss generator's seed (0: a random one)
     * @throws IllegalArgumentException if the rate is out of range
     */
    public static NetLink embedded(double receiveLossRate, long seed) {
        if (!(receiveLossRate >= 0 && receiveLossRate <= 0.9)) {
            throw new IllegalArgumentException("loss rate " + receiveLossRate + " is out of range: give a fraction from 0 to 0.9"
                    + " (0.05 drops 5% of the data packets that arrive)");
        }
        MediaDriver.Context ctx = driverContext();
        if (receiveLossRate > 0) {
            long s = seed != 0 ? seed : ThreadLocalRandom.current().nextLong();
            ctx.receiveChannelEndpointSupplier((channel, dispatcher, status, context) -> new DebugReceiveChannelEndpoint(
                    channel, dispatcher, status, context, new RandomLossGenerator(receiveLossRate, s), new RandomLossGenerator(0)));
        }
        MediaDriver driver = MediaDriver.launch(ctx);
        try {
            return new NetLink(driver, connect(ctx.aeronDirectoryName()), ctx.aeronDirectoryName());
        } catch (RuntimeException e) {
            driver.close();
            throw e;
        }
    }

    /**
     * Starts an embedded media driver with an Aeron Archive (recordings kept in {@code archiveDir},
     * control over IPC only: no archive port is opened) and connects to both.
     *
     * @param archiveDir where recordings are kept (made if missing; recordings there are kept)
     */
    public static NetLink embeddedWithArchive(File archiveDir) {
        MediaDriver.Context ctx = driverContext();
        Archive.Context actx = new Archive.Context()
                .aeronDirectoryName(ctx.aeronDirectoryName())
                .archiveDir(archiveDir)
                .deleteArchiveOnStart(false)
                .controlChannelEnabled(false)
                .replicationChannel("aeron:udp?endpoint=localhost:0")
                .recordingEventsEnabled(false)
                .threadingMode(ArchiveThreadingMode.SHARED)
                .archiveId(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE))
                .archiveClientContext(new AeronArchive.Context().controlResponseChannel("aeron:ipc"));
        ArchivingMediaDriver driver = ArchivingMediaDriver.launch(ctx, actx);
        Aeron aeron = null;
        try {
            aeron = connect(ctx.aeronDirectoryName());
            AeronArchive archive = AeronArchive.connect(new AeronArchive.Context().aeron(aeron)
                    .controlRequestChannel(actx.localControlChannel()).controlRequestStreamId(actx.localControlStreamId())
                    .controlResponseChannel("aeron:ipc").messageTimeoutNs(LIVENESS_NS));
            return new NetLink(driver, aeron, ctx.aeronDirectoryName(), archive);
        } catch (RuntimeException e) {
            if (aeron != null) aeron.close();
            driver.close();
            throw e;
        }
    }

    /** A driver context in a fresh directory /dev/shm/vbuf-aeron-PID-RANDOM, deleted at close. */
    private static MediaDriver.Context driverContext() {
        String base = new File("/dev/shm").isDirectory() ? "/dev/shm" : System.getProperty("java.io.tmpdir");
        byte[] random = new byte[8];
        ThreadLocalRandom.current().nextBytes(random);
        String dir = base + "/vbuf-aeron-" + ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(random);
        MediaDriver.Context ctx = new MediaDriver.Context();
        // DEDICATED (an agent thread each for conductor, sender, receiver) unless -Daeron.threading.mode says otherwise
        ThreadingMode mode = System.getProperty("aeron.threading.mode") != null ? ctx.threadingMode() : ThreadingMode.DEDICATED;
        return ctx
                .aeronDirectoryName(dir)
                .threadingMode(mode)
                .conductorIdleStrategy(new BackoffIdleStrategy())
                .senderIdleStrategy(new BackoffIdleStrategy())
                .receiverIdleStrategy(new BackoffIdleStrategy())
                .sharedNetworkIdleStrategy(new BackoffIdleStrategy())
                .sharedIdleStrategy(new BackoffIdleStrategy())
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .clientLivenessTimeoutNs(LIVENESS_NS)
                .publicationUnblockTimeoutNs(LIVENESS_NS + TimeUnit.SECONDS.toNanos(5))
                .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(LIVENESS_NS))
                .warnIfDirectoryExists(false);
    }

    /**
     * The Aeron Archive client of a link made by {@link #embeddedWithArchive}.
     *
     * @throws IllegalStateException if this link has no archive
     */
    public AeronArchive archive() {
        if (archive == null) throw new IllegalStateException("this link runs no Aeron Archive; make it with embeddedWithArchive");
        return archive;
    }

    /**
     * Connects to a media driver that runs already (started by the deployment, for example
     * Aeron's {@code io.aeron.driver.MediaDriver}).
     *
     * @param aeronDir the driver's directory
     * @throws IllegalArgumentException if no driver runs there
     */
    public static NetLink external(String aeronDir) {
        File cnc = new File(aeronDir, "cnc.dat");
        if (!cnc.isFile()) {
            throw new IllegalArgumentException("--aeron-dir " + aeronDir + " has no running Aeron media driver (no cnc.dat);"
                    + " start the driver there first, or leave --aeron-dir out to run one inside this process");
        }
        return new NetLink(null, connect(aeronDir), aeronDir);
    }

    private static Aeron connect(String dir) {
        return Aeron.connect(new Aeron.Context().aeronDirectoryName(dir)
                .driverTimeoutMs(TimeUnit.NANOSECONDS.toMillis(LIVENESS_NS)));
    }

    /** The Aeron client. */
    public Aeron aeron() { return aeron; }

    /** The driver's directory. */
    public String directory() { return directory; }

    /** True when this link runs its own media driver. */
    public boolean embeddedDriver() { return driver != null; }

    /**
     * An exclusive publication (one sending thread) on a channel, with the settings for large
     * frames that the channel does not give ({@link ChannelDefaults#forSending}: MTU of the link,
     * 64 MiB terms, the largest socket buffer).
     *
     * @throws IllegalArgumentException if the channel is not an Aeron channel URI
     */
    public ExclusivePublication publication(String channel, int streamId) {
        return aeron.addExclusivePublication(ChannelDefaults.forSending(checkChannel(channel, "--to")), streamId);
    }

    /**
     * A subscription to a channel, with the receive window and socket buffer that the channel does
     * not give ({@link ChannelDefaults#forReceiving}: the largest socket buffer).
     *
     * @throws IllegalArgumentException if the channel is not an Aeron channel URI
     */
    public Subscription subscription(String channel, int streamId) {
        return aeron.addSubscription(ChannelDefaults.forReceiving(checkChannel(channel, "--from")), streamId);
    }

    /**
     * Checks a channel URI before Aeron sees it, so that a typo is named with what is accepted.
     *
     * @param flag the flag the channel came from, for the message
     * @return the channel
     */
    public static String checkChannel(String channel, String flag) {
        try {
            ChannelUri uri = ChannelUri.parse(channel);
            String media = uri.media();
            if (!"udp".equals(media) && !"ipc".equals(media)) throw new IllegalArgumentException("media " + media);
            if ("udp".equals(media) && uri.get("endpoint") == null && uri.get("control") == null) {
                throw new IllegalArgumentException("no endpoint");
            }
            return channel;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(flag + " " + channel + " is not an Aeron channel (" + e.getMessage() + "); give"
                    + " aeron:udp?endpoint=HOST:PORT for unicast, aeron:udp?endpoint=224.0.1.1:PORT|interface=ADDRESS for"
                    + " multicast, or aeron:ipc on one machine", e);
        }
    }

    /**
     * A system counter of the media driver this link talks to (its own or the external one):
     * for example {@code SystemCounterDescriptor.NAK_MESSAGES_SENT} on a receiving side under loss,
     * {@code RETRANSMITS_SENT} on a sending side.
     *
     * @return the counter's value, or -1 if the driver has no such counter
     */
    public long driverCounter(SystemCounterDescriptor counter) {
        CountersReader reader = aeron.countersReader();
        long[] value = {-1};
        reader.forEach((counterId, typeId, keyBuffer, label) -> {
            if (typeId == SystemCounterDescriptor.SYSTEM_COUNTER_TYPE_ID && keyBuffer.getInt(0) == counter.id()) {
                value[0] = reader.getCounterValue(counterId);
            }
        });
        return value[0];
    }

    /** Retransmissions the driver sent (it answered NAKs): the network lost packets and Aeron repaired it. */
    public long retransmitsSent() { return driverCounter(SystemCounterDescriptor.RETRANSMITS_SENT); }

    /**
     * NAKs the driver received plus retransmissions it sent: moves while a receiver is still
     * having lost packets repaired ({@link FrameSender#awaitDelivered(long, java.util.function.LongSupplier)}).
     */
    public long repairs() {
        return driverCounter(SystemCounterDescriptor.NAK_MESSAGES_RECEIVED) + retransmitsSent();
    }

    /** NAKs the driver sent (packets that did not arrive, asked for again). */
    public long naksSent() { return driverCounter(SystemCounterDescriptor.NAK_MESSAGES_SENT); }

    @Override
    public void close() {
        if (archive != null) archive.close();
        aeron.close();
        if (driver != null) {
            try {
                driver.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing the media driver in " + directory + ": " + e.getMessage(), e);
            }
        }
    }
}
