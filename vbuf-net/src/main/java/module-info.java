/**
 * vbuf-net: a pool's frames across machines on Aeron. {@link dev.vbuf.net.FrameSender} publishes
 * the frames of one consumer group of a local pool, split into chunks written straight from the
 * pool buffers; {@link dev.vbuf.net.FrameReceiver} writes each chunk straight into a frame of a
 * local pool and submits it when complete. Depends on vbuf-core (public API only) and Aeron.
 * See docs/NET.md.
 */
module dev.vbuf.net {
    requires transitive dev.vbuf.core;
    requires org.agrona.core;
    requires io.aeron.client;
    requires io.aeron.driver;
    requires io.aeron.archive; // vbuf record / vbuf replay: FrameArchive

    exports dev.vbuf.net;
}
