package dev.vbuf.media.fb;

import dev.vbuf.media.v4l2.CAbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.StructLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** fb_var_screeninfo, fb_fix_screeninfo and the FBIO ioctl numbers against the C compiler's reading of linux/fb.h. */
class FbAbiTest {
    @TempDir Path dir;

    @Test
    void layoutsMatchTheKernelHeader() throws Exception {
        check(false);
    }

    /** The same on aarch64, with its cross compiler's headers. */
    @Test
    void layoutsMatchAarch64sHeader() throws Exception {
        check(true);
    }

    private void check(boolean aarch64) throws Exception {
        Map<String, String> c = new LinkedHashMap<>();
        Map<String, Long> java = new LinkedHashMap<>();
        struct(c, java, "fb_bitfield", FbAbi.BITFIELD, "offset", "length", "msb_right");
        struct(c, java, "fb_var_screeninfo", FbAbi.VAR, "xres", "yres", "xres_virtual", "yres_virtual", "xoffset", "yoffset",
                "bits_per_pixel", "grayscale", "red", "green", "blue", "transp", "nonstd", "activate", "height", "width",
                "accel_flags", "pixclock", "left_margin", "right_margin", "upper_margin", "lower_margin", "hsync_len",
                "vsync_len", "sync", "vmode", "rotate", "colorspace", "reserved");
        struct(c, java, "fb_fix_screeninfo", FbAbi.FIX, "id", "smem_start", "smem_len", "type", "type_aux", "visual",
                "xpanstep", "ypanstep", "ywrapstep", "line_length", "mmio_start", "mmio_len", "accel", "capabilities", "reserved");
        put(c, java, "FBIOGET_VSCREENINFO", "FBIOGET_VSCREENINFO", FbAbi.FBIOGET_VSCREENINFO);
        put(c, java, "FBIOPUT_VSCREENINFO", "FBIOPUT_VSCREENINFO", FbAbi.FBIOPUT_VSCREENINFO);
        put(c, java, "FBIOGET_FSCREENINFO", "FBIOGET_FSCREENINFO", FbAbi.FBIOGET_FSCREENINFO);
        put(c, java, "FBIOPAN_DISPLAY", "FBIOPAN_DISPLAY", FbAbi.FBIOPAN_DISPLAY);
        put(c, java, "FB_VISUAL_TRUECOLOR", "FB_VISUAL_TRUECOLOR", FbAbi.FB_VISUAL_TRUECOLOR);
        put(c, java, "FB_ACTIVATE_NOW", "FB_ACTIVATE_NOW", FbAbi.FB_ACTIVATE_NOW);
        Map<String, Long> got = aarch64 ? CAbi.evaluateAarch64(dir, "linux/fb.h", c) : CAbi.evaluate(dir, "linux/fb.h", c);
        List<String> wrong = new ArrayList<>();
        for (var e : java.entrySet()) {
            if (!e.getValue().equals(got.get(e.getKey()))) wrong.add(e.getKey() + ": Java " + e.getValue() + ", C " + got.get(e.getKey()));
        }
        assertTrue(wrong.isEmpty(), "layouts differ from the C compiler's:\n" + String.join("\n", wrong));
    }

    private static void struct(Map<String, String> c, Map<String, Long> java, String name, StructLayout l, String... fields) {
        put(c, java, "sizeof." + name, "sizeof(struct " + name + ")", l.byteSize());
        for (String f : fields) put(c, java, name + "." + f, "offsetof(struct " + name + ", " + f + ")", l.byteOffset(groupElement(f)));
    }

    private static void put(Map<String, String> c, Map<String, Long> java, String key, String expr, long v) {
        c.put(key, expr);
        java.put(key, v);
    }
}
