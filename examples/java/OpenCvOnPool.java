// OpenCV on vbuf pool frames, no copy: a producer draws into pool buffers through Mats over them,
// a consumer group runs cvtColor on the same memory; a Mat used after its frame is released is refused.
//
//   examples/java/run OpenCvOnPool [frames]
import dev.vbuf.bridge.FrameBridge;
import dev.vbuf.bridge.FrameView;
import dev.vbuf.format.FrameLayout;
import dev.vbuf.format.PixelFormat;
import dev.vbuf.pool.FramePool;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;

import java.time.Duration;

import static org.bytedeco.opencv.global.opencv_core.mean;
import static org.bytedeco.opencv.global.opencv_imgproc.*;

public class OpenCvOnPool {
    public static void main(String[] args) throws Exception {
        int frames = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        try (FramePool pool = FramePool.builder().layout(FrameLayout.of(PixelFormat.BGR24, 640, 360)).count(4).groups("gray").build();
             FrameBridge bridge = FrameBridge.of(pool);
             Mat gray = new Mat()) {
            Mat kept = null;
            for (int k = 0; k < frames; k++) {
                try (FrameView v = bridge.view(pool.acquireFree(Duration.ofSeconds(5)))) {
                    Mat m = v.mat();                                   // the pool buffer
                    m.put(new Scalar(40, 40, 40, 0));
                    circle(m, new Point(40 + 50 * k, 180), 30, new Scalar(0, 0, 255, 0), -1, LINE_8, 0);
                    v.frame().pts(k);
                    v.submit();
                }
                try (FrameView v = bridge.view(pool.consumer("gray").acquireFilled(Duration.ofSeconds(5)))) {
                    cvtColor(v.mat(), gray, COLOR_BGR2GRAY);           // reads the pool buffer in place
                    System.out.printf("frame %d: buffer %d at 0x%x, mean gray %.2f%n", v.frame().pts(), v.frame().id(),
                            v.mat().data().address(), mean(gray).get(0));
                    kept = v.mat();
                }
            }
            try {
                cvtColor(kept, gray, COLOR_BGR2GRAY);
                System.out.println("use after release: NOT refused");
                System.exit(1);
            } catch (RuntimeException e) {
                System.out.println("use after release: refused by OpenCV (" + (e.getMessage().contains("empty") ? "empty Mat" : e.getMessage()) + ")");
            }
        }
    }
}
