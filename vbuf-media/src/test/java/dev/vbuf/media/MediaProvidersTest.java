package dev.vbuf.media;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** vbuf-media alone (no FFmpeg module on this test's class path): the providers found through ServiceLoader. */
class MediaProvidersTest {
    @Test
    void findsItsOwnProvidersAndNoFfmpeg() {
        assertEquals(List.of("dev.vbuf.media.file.FileSourceProvider", "dev.vbuf.media.v4l2.V4l2SourceProvider",
                "dev.vbuf.media.sink.BasicSinkProvider", "dev.vbuf.media.fb.FramebufferSinkProvider"), Media.available());
    }

    @Test
    void aContainerOnlyFfmpegHandlesNamesTheModuleToAdd() {
        var in = assertThrows(IllegalArgumentException.class, () -> Media.openSource("clip.mp4", SourceOptions.defaults()));
        assertTrue(in.getMessage().contains("clip.mp4") && in.getMessage().contains("dev.vbuf:vbuf-ffmpeg"), in.getMessage());
        var out = assertThrows(IllegalArgumentException.class, () -> Media.openSink("out.mkv", new MediaCounters()));
        assertTrue(out.getMessage().contains("out.mkv") && out.getMessage().contains("dev.vbuf:vbuf-ffmpeg"), out.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Media.openSource(" ", SourceOptions.defaults()));
    }

    @Test
    void deviceNamesGoToTheDeviceProviders() {
        // no such device here: the V4L2 provider takes the name and fails naming the device
        var v = assertThrows(Exception.class, () -> Media.openSource("/dev/video97", SourceOptions.defaults()));
        assertTrue(v.getMessage().contains("/dev/video97"), v.getMessage());
        // the framebuffer sink opens its device when the stream starts; the name goes to it, not to a file sink
        try (Sink f = Media.openSink("/dev/fb97", new MediaCounters())) {
            assertEquals("dev.vbuf.media.fb", f.getClass().getPackageName());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
