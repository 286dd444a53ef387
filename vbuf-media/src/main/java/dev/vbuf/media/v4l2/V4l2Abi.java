package dev.vbuf.media.v4l2;

import dev.vbuf.sys.Abi;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The kernel's V4L2 user-space ABI ({@code <linux/videodev2.h>}) as FFM layouts, for 64-bit
 * Linux (x86-64, aarch64). One {@link StructLayout} per struct, offsets taken from it by field
 * name; {@code V4l2AbiTest} compiles a C program against the system's videodev2.h and checks
 * every size, offset and ioctl number here against the C compiler's.
 *
 * <pre>
 * v4l2_buffer (88 bytes on 64-bit)
 *   0 index  4 type  8 bytesused  12 flags  16 field  20 (pad)
 *  24 timestamp: struct timeval { long tv_sec; long tv_usec; }      16 bytes, 8-aligned
 *  40 timecode:  struct v4l2_timecode                               16 bytes
 *  56 sequence  60 memory
 *  64 m: union { u32 offset; unsigned long userptr; v4l2_plane *planes; s32 fd; }   8 bytes
 *  72 length  76 reserved2  80 union { s32 request_fd; u32 reserved; }  84 (pad)
 * </pre>
 */
public final class V4l2Abi {
    private V4l2Abi() {}

    // enum v4l2_buf_type, v4l2_memory, v4l2_field
    public static final int BUF_TYPE_VIDEO_CAPTURE = 1;
    public static final int MEMORY_MMAP = 1;
    public static final int MEMORY_USERPTR = 2;
    public static final int MEMORY_DMABUF = 4;
    public static final int FIELD_ANY = 0;
    public static final int FIELD_NONE = 1;

    // capabilities
    public static final int CAP_VIDEO_CAPTURE = 0x00000001;
    public static final int CAP_VIDEO_OUTPUT = 0x00000002;
    public static final int CAP_VIDEO_CAPTURE_MPLANE = 0x00001000;
    public static final int CAP_VIDEO_M2M = 0x00008000;
    public static final int CAP_META_CAPTURE = 0x00800000;
    public static final int CAP_READWRITE = 0x01000000;
    public static final int CAP_STREAMING = 0x04000000;
    public static final int CAP_DEVICE_CAPS = 0x80000000;
    // v4l2_requestbuffers.capabilities
    public static final int BUF_CAP_SUPPORTS_MMAP = 1;
    public static final int BUF_CAP_SUPPORTS_USERPTR = 2;
    public static final int BUF_CAP_SUPPORTS_DMABUF = 4;
    // v4l2_buffer.flags
    public static final int BUF_FLAG_MAPPED = 0x1;
    public static final int BUF_FLAG_QUEUED = 0x2;
    public static final int BUF_FLAG_DONE = 0x4;
    public static final int BUF_FLAG_KEYFRAME = 0x8;
    public static final int BUF_FLAG_ERROR = 0x40;
    public static final int BUF_FLAG_TIMESTAMP_MASK = 0xe000;
    public static final int BUF_FLAG_TIMESTAMP_MONOTONIC = 0x2000;
    // v4l2_frmsizeenum.type
    public static final int FRMSIZE_TYPE_DISCRETE = 1;
    public static final int FRMSIZE_TYPE_CONTINUOUS = 2;
    public static final int FRMSIZE_TYPE_STEPWISE = 3;
    /** O_CLOEXEC | O_RDWR for VIDIOC_EXPBUF's flags. */
    public static final int EXPBUF_FLAGS = Abi.O_CLOEXEC | Abi.O_RDWR;

    /** struct v4l2_capability (104 bytes). */
    public static final StructLayout CAPABILITY = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("driver"),
            MemoryLayout.sequenceLayout(32, JAVA_BYTE).withName("card"),
            MemoryLayout.sequenceLayout(32, JAVA_BYTE).withName("bus_info"),
            JAVA_INT.withName("version"),
            JAVA_INT.withName("capabilities"),
            JAVA_INT.withName("device_caps"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("reserved")).withName("v4l2_capability");

    /** struct v4l2_fmtdesc (64 bytes). */
    public static final StructLayout FMTDESC = MemoryLayout.structLayout(
            JAVA_INT.withName("index"),
            JAVA_INT.withName("type"),
            JAVA_INT.withName("flags"),
            MemoryLayout.sequenceLayout(32, JAVA_BYTE).withName("description"),
            JAVA_INT.withName("pixelformat"),
            JAVA_INT.withName("mbus_code"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("reserved")).withName("v4l2_fmtdesc");

    /** struct v4l2_pix_format (48 bytes). */
    public static final StructLayout PIX_FORMAT = MemoryLayout.structLayout(
            JAVA_INT.withName("width"),
            JAVA_INT.withName("height"),
            JAVA_INT.withName("pixelformat"),
            JAVA_INT.withName("field"),
            JAVA_INT.withName("bytesperline"),
            JAVA_INT.withName("sizeimage"),
            JAVA_INT.withName("colorspace"),
            JAVA_INT.withName("priv"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("ycbcr_enc"),
            JAVA_INT.withName("quantization"),
            JAVA_INT.withName("xfer_func")).withName("v4l2_pix_format");

    /**
     * struct v4l2_format (208 bytes): the union {@code fmt} is 200 bytes and 8-aligned on 64-bit
     * (its v4l2_window member holds pointers), so it starts at offset 8, not 4.
     */
    public static final StructLayout FORMAT = MemoryLayout.structLayout(
            JAVA_INT.withName("type"),
            MemoryLayout.paddingLayout(4),
            MemoryLayout.unionLayout(
                    PIX_FORMAT.withName("pix"),
                    MemoryLayout.sequenceLayout(200, JAVA_BYTE).withName("raw_data"),
                    MemoryLayout.sequenceLayout(25, JAVA_LONG).withName("align")).withName("fmt")).withName("v4l2_format");

    /** struct v4l2_requestbuffers (20 bytes). */
    public static final StructLayout REQUESTBUFFERS = MemoryLayout.structLayout(
            JAVA_INT.withName("count"),
            JAVA_INT.withName("type"),
            JAVA_INT.withName("memory"),
            JAVA_INT.withName("capabilities"),
            JAVA_BYTE.withName("flags"),
            MemoryLayout.sequenceLayout(3, JAVA_BYTE).withName("reserved")).withName("v4l2_requestbuffers");

    /** struct timeval on 64-bit Linux (16 bytes). */
    public static final StructLayout TIMEVAL = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_usec")).withName("timeval");

    /** struct v4l2_timecode (16 bytes). */
    public static final StructLayout TIMECODE = MemoryLayout.structLayout(
            JAVA_INT.withName("type"),
            JAVA_INT.withName("flags"),
            JAVA_BYTE.withName("frames"),
            JAVA_BYTE.withName("seconds"),
            JAVA_BYTE.withName("minutes"),
            JAVA_BYTE.withName("hours"),
            MemoryLayout.sequenceLayout(4, JAVA_BYTE).withName("userbits")).withName("v4l2_timecode");

    /** The union {@code m} of v4l2_buffer (8 bytes on 64-bit). */
    public static final UnionLayout BUFFER_M = MemoryLayout.unionLayout(
            JAVA_INT.withName("offset"),
            JAVA_LONG.withName("userptr"),
            ADDRESS.withName("planes"),
            JAVA_INT.withName("fd")).withName("m");

    /** struct v4l2_buffer (88 bytes on 64-bit; see the class comment). */
    public static final StructLayout BUFFER = MemoryLayout.structLayout(
            JAVA_INT.withName("index"),
            JAVA_INT.withName("type"),
            JAVA_INT.withName("bytesused"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("field"),
            MemoryLayout.paddingLayout(4),
            TIMEVAL.withName("timestamp"),
            TIMECODE.withName("timecode"),
            JAVA_INT.withName("sequence"),
            JAVA_INT.withName("memory"),
            BUFFER_M,
            JAVA_INT.withName("length"),
            JAVA_INT.withName("reserved2"),
            MemoryLayout.unionLayout(JAVA_INT.withName("request_fd"), JAVA_INT.withName("reserved")).withName("req"),
            MemoryLayout.paddingLayout(4)).withName("v4l2_buffer");

    /** struct v4l2_exportbuffer (64 bytes). */
    public static final StructLayout EXPORTBUFFER = MemoryLayout.structLayout(
            JAVA_INT.withName("type"),
            JAVA_INT.withName("index"),
            JAVA_INT.withName("plane"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("fd"),
            MemoryLayout.sequenceLayout(11, JAVA_INT).withName("reserved")).withName("v4l2_exportbuffer");

    /** struct v4l2_frmsizeenum (44 bytes): discrete {width, height} or stepwise {min/max/step width, height}. */
    public static final StructLayout FRMSIZEENUM = MemoryLayout.structLayout(
            JAVA_INT.withName("index"),
            JAVA_INT.withName("pixel_format"),
            JAVA_INT.withName("type"),
            MemoryLayout.unionLayout(
                    MemoryLayout.structLayout(JAVA_INT.withName("width"), JAVA_INT.withName("height")).withName("discrete"),
                    MemoryLayout.structLayout(
                            JAVA_INT.withName("min_width"), JAVA_INT.withName("max_width"), JAVA_INT.withName("step_width"),
                            JAVA_INT.withName("min_height"), JAVA_INT.withName("max_height"), JAVA_INT.withName("step_height"))
                            .withName("stepwise")).withName("u"),
            MemoryLayout.sequenceLayout(2, JAVA_INT).withName("reserved")).withName("v4l2_frmsizeenum");

    // ---- offsets used on every frame (taken from the layouts, so they cannot drift)
    public static final long BUF_INDEX = off(BUFFER, "index");
    public static final long BUF_TYPE = off(BUFFER, "type");
    public static final long BUF_BYTESUSED = off(BUFFER, "bytesused");
    public static final long BUF_FLAGS = off(BUFFER, "flags");
    public static final long BUF_FIELD = off(BUFFER, "field");
    public static final long BUF_TV_SEC = BUFFER.byteOffset(groupElement("timestamp"), groupElement("tv_sec"));
    public static final long BUF_TV_USEC = BUFFER.byteOffset(groupElement("timestamp"), groupElement("tv_usec"));
    public static final long BUF_SEQUENCE = off(BUFFER, "sequence");
    public static final long BUF_MEMORY = off(BUFFER, "memory");
    public static final long BUF_M = off(BUFFER, "m");
    public static final long BUF_LENGTH = off(BUFFER, "length");

    public static final long FMT_TYPE = off(FORMAT, "type");
    public static final long FMT_PIX = FORMAT.byteOffset(groupElement("fmt"), groupElement("pix"));

    // ---- ioctl numbers: _IOC(dir, 'V', nr, size) with dir WRITE = 1, READ = 2 (asm-generic/ioctl.h)
    public static final long VIDIOC_QUERYCAP = Abi.ior('V', 0, CAPABILITY.byteSize());
    public static final long VIDIOC_ENUM_FMT = Abi.iowr('V', 2, FMTDESC.byteSize());
    public static final long VIDIOC_G_FMT = Abi.iowr('V', 4, FORMAT.byteSize());
    public static final long VIDIOC_S_FMT = Abi.iowr('V', 5, FORMAT.byteSize());
    public static final long VIDIOC_REQBUFS = Abi.iowr('V', 8, REQUESTBUFFERS.byteSize());
    public static final long VIDIOC_QUERYBUF = Abi.iowr('V', 9, BUFFER.byteSize());
    public static final long VIDIOC_QBUF = Abi.iowr('V', 15, BUFFER.byteSize());
    public static final long VIDIOC_EXPBUF = Abi.iowr('V', 16, EXPORTBUFFER.byteSize());
    public static final long VIDIOC_DQBUF = Abi.iowr('V', 17, BUFFER.byteSize());
    public static final long VIDIOC_STREAMON = Abi.iow('V', 18, 4);
    public static final long VIDIOC_STREAMOFF = Abi.iow('V', 19, 4);
    public static final long VIDIOC_TRY_FMT = Abi.iowr('V', 64, FORMAT.byteSize());
    public static final long VIDIOC_ENUM_FRAMESIZES = Abi.iowr('V', 74, FRMSIZEENUM.byteSize());

    static long off(StructLayout s, String field) {
        return s.byteOffset(groupElement(field));
    }

}
