package dev.vbuf.media.fb;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The Linux framebuffer ABI ({@code <linux/fb.h>}) as FFM layouts for 64-bit Linux;
 * {@code FbAbiTest} checks them against the C compiler's reading of the header.
 */
public final class FbAbi {
    private FbAbi() {}

    public static final long FBIOGET_VSCREENINFO = 0x4600;
    public static final long FBIOPUT_VSCREENINFO = 0x4601;
    public static final long FBIOGET_FSCREENINFO = 0x4602;
    public static final long FBIOPAN_DISPLAY = 0x4606;
    public static final int FB_ACTIVATE_NOW = 0;
    public static final int FB_TYPE_PACKED_PIXELS = 0;
    public static final int FB_VISUAL_TRUECOLOR = 2;

    /** struct fb_bitfield { u32 offset, length, msb_right; } (12 bytes). */
    public static final StructLayout BITFIELD = MemoryLayout.structLayout(
            JAVA_INT.withName("offset"), JAVA_INT.withName("length"), JAVA_INT.withName("msb_right")).withName("fb_bitfield");

    /** struct fb_var_screeninfo (160 bytes). */
    public static final StructLayout VAR = MemoryLayout.structLayout(
            JAVA_INT.withName("xres"), JAVA_INT.withName("yres"),
            JAVA_INT.withName("xres_virtual"), JAVA_INT.withName("yres_virtual"),
            JAVA_INT.withName("xoffset"), JAVA_INT.withName("yoffset"),
            JAVA_INT.withName("bits_per_pixel"), JAVA_INT.withName("grayscale"),
            BITFIELD.withName("red"), BITFIELD.withName("green"), BITFIELD.withName("blue"), BITFIELD.withName("transp"),
            JAVA_INT.withName("nonstd"), JAVA_INT.withName("activate"),
            JAVA_INT.withName("height"), JAVA_INT.withName("width"),
            JAVA_INT.withName("accel_flags"), JAVA_INT.withName("pixclock"),
            JAVA_INT.withName("left_margin"), JAVA_INT.withName("right_margin"),
            JAVA_INT.withName("upper_margin"), JAVA_INT.withName("lower_margin"),
            JAVA_INT.withName("hsync_len"), JAVA_INT.withName("vsync_len"),
            JAVA_INT.withName("sync"), JAVA_INT.withName("vmode"), JAVA_INT.withName("rotate"), JAVA_INT.withName("colorspace"),
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("reserved")).withName("fb_var_screeninfo");

    /** struct fb_fix_screeninfo (80 bytes on 64-bit: smem_start and mmio_start are unsigned long). */
    public static final StructLayout FIX = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("id"),
            JAVA_LONG.withName("smem_start"),
            JAVA_INT.withName("smem_len"), JAVA_INT.withName("type"), JAVA_INT.withName("type_aux"), JAVA_INT.withName("visual"),
            JAVA_SHORT.withName("xpanstep"), JAVA_SHORT.withName("ypanstep"), JAVA_SHORT.withName("ywrapstep"),
            MemoryLayout.paddingLayout(2),
            JAVA_INT.withName("line_length"),
            MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("mmio_start"),
            JAVA_INT.withName("mmio_len"), JAVA_INT.withName("accel"),
            JAVA_SHORT.withName("capabilities"),
            MemoryLayout.sequenceLayout(2, JAVA_SHORT).withName("reserved"),
            MemoryLayout.paddingLayout(2)).withName("fb_fix_screeninfo");

    public static long off(StructLayout s, String field) {
        return s.byteOffset(groupElement(field));
    }

    public static final long V_XRES = off(VAR, "xres"), V_YRES = off(VAR, "yres"), V_XRES_VIRTUAL = off(VAR, "xres_virtual"),
            V_YRES_VIRTUAL = off(VAR, "yres_virtual"), V_XOFFSET = off(VAR, "xoffset"), V_YOFFSET = off(VAR, "yoffset"),
            V_BPP = off(VAR, "bits_per_pixel"), V_GRAYSCALE = off(VAR, "grayscale"), V_ACTIVATE = off(VAR, "activate"),
            V_RED = off(VAR, "red"), V_GREEN = off(VAR, "green"), V_BLUE = off(VAR, "blue"), V_TRANSP = off(VAR, "transp");
    public static final long F_SMEM_START = off(FIX, "smem_start"), F_SMEM_LEN = off(FIX, "smem_len"),
            F_VISUAL = off(FIX, "visual"), F_YPANSTEP = off(FIX, "ypanstep"), F_LINE_LENGTH = off(FIX, "line_length");
}
