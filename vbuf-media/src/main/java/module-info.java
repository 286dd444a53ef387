/**
 * vbuf-media: real video in and out of pool buffers: raw and Y4M files (mmap, O_DIRECT,
 * io_uring), V4L2 capture, framebuffer display, checksum and null sinks, and the
 * {@link dev.vbuf.media.Pipeline} that joins a source to sinks through a pool. Sources and sinks
 * are found through {@link java.util.ServiceLoader}: other modules (vbuf-ffmpeg) add theirs.
 */
module dev.vbuf.media {
    requires transitive dev.vbuf.core;
    requires transitive HdrHistogram; // Pipeline.Result and MediaCounters carry its histograms

    exports dev.vbuf.media;
    exports dev.vbuf.media.file;
    exports dev.vbuf.media.sink;
    exports dev.vbuf.media.v4l2;
    exports dev.vbuf.media.fb;

    uses dev.vbuf.media.SourceProvider;
    uses dev.vbuf.media.SinkProvider;

    provides dev.vbuf.media.SourceProvider with
            dev.vbuf.media.file.FileSourceProvider,
            dev.vbuf.media.v4l2.V4l2SourceProvider;
    provides dev.vbuf.media.SinkProvider with
            dev.vbuf.media.sink.BasicSinkProvider,
            dev.vbuf.media.fb.FramebufferSinkProvider;
}
