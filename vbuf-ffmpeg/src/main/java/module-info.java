/**
 * vbuf-ffmpeg: FFmpeg decode into and encode out of pool buffers, as a source and a sink
 * provider of vbuf-media. The FFmpeg natives (org.bytedeco) are separate modules: on the module
 * path add them with {@code --add-modules} (for example {@code ALL-MODULE-PATH}).
 */
module dev.vbuf.ffmpeg {
    requires dev.vbuf.media;
    requires org.bytedeco.ffmpeg;

    exports dev.vbuf.media.ffmpeg;

    provides dev.vbuf.media.SourceProvider with dev.vbuf.media.ffmpeg.FfmpegSourceProvider;
    provides dev.vbuf.media.SinkProvider with dev.vbuf.media.ffmpeg.FfmpegSinkProvider;
}
