// JavaCV's FFmpegFrameRecorder encoding pool frames in place: each frame's JavaCV view points at the
// pool buffer, and the recorder hands that memory to the encoder (same pixel format and size: no
// conversion, no copy). Then an AVFrame view shows the buffer's release waiting for FFmpeg.
//
//   examples/java/run RecordFromPool [out.mkv] [frames]
import dev.vbuf.bridge.FrameBridge;
import dev.vbuf.bridge.FrameView;
import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.format.Plane;
import dev.vbuf.pool.Frame;
import dev.vbuf.pool.FramePool;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacv.FFmpegFrameRecorder;

import java.nio.ByteBuffer;
import java.time.Duration;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_FFV1;
import static org.bytedeco.ffmpeg.global.avutil.*;

public class RecordFromPool {
    public static void main(String[] args) throws Exception {
        String out = args.length > 0 ? args[0] : "pool.mkv";
        int frames = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        int w = 640, h = 360;
        FrameLayout layout = FrameLayout.of(PixelFormat.I420, w, h, 1); // planes packed: the layout JavaCV reads
        try (FramePool pool = FramePool.builder().layout(layout).count(4).groups("encoder").build();
             FrameBridge bridge = FrameBridge.of(pool);
             FFmpegFrameRecorder rec = new FFmpegFrameRecorder(out, w, h)) {
            rec.setFormat("matroska");
            rec.setVideoCodec(AV_CODEC_ID_FFV1);
            rec.setPixelFormat(AV_PIX_FMT_YUV420P);
            rec.setFrameRate(25);
            rec.start();
            for (int k = 0; k < frames; k++) {
                try (FrameView v = bridge.view(pool.acquireFree(Duration.ofSeconds(5)))) {
                    ByteBuffer y = v.plane(0);
                    Plane py = layout.plane(0);
                    for (int r = 0; r < h; r++) for (int c = 0; c < w; c++) y.put(r * py.stride() + c, (byte) (r + c + 4 * k));
                    v.plane(1).put(0, new byte[(int) layout.plane(1).bytes()]);
                    v.plane(2).put(0, new byte[(int) layout.plane(2).bytes()]);
                    v.frame().pts(k);
                    v.submit();
                }
                try (FrameView v = bridge.view(pool.consumer("encoder").acquireFilled(Duration.ofSeconds(5)))) {
                    rec.record(v.javacvFrame(), v.avPixelFormat());
                }
            }
            rec.stop();
            System.out.println("recorded " + frames + " pool frames into " + out + " (FFV1)");

            // The AVFrame view: FFmpeg's reference keeps the frame; its free callback releases it.
            Frame f = pool.acquireFree(Duration.ofSeconds(5));
            f.submit();
            Frame c = pool.consumer("encoder").acquireFilled(Duration.ofSeconds(5));
            FrameView v = bridge.view(c);
            AVFrame av = v.avFrame();
            v.close();
            System.out.println("AVFrame data[0]=0x" + Long.toHexString(av.data(0).address()) + " is buffer " + c.id()
                    + "; after the view closed the frame is " + (c.isOpen() ? "still held (FFmpeg has a reference)" : "released"));
            av_frame_free(av);
            System.out.println("after av_frame_free the frame is " + (c.isOpen() ? "still held" : "released by the AVBufferRef free callback"));
        }
    }
}
