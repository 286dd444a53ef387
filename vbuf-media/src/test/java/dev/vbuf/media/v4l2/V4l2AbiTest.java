package dev.vbuf.media.v4l2;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.StructLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every V4L2 struct layout, field offset and ioctl number vbuf uses, against the C compiler's reading of videodev2.h. */
class V4l2AbiTest {
    @TempDir Path dir;

    @Test
    void layoutsAndIoctlNumbersMatchTheKernelHeader() throws Exception {
        Map<String, String> c = new LinkedHashMap<>();
        Map<String, Long> java = new LinkedHashMap<>();
        quantities(c, java);
        compare(java, CAbi.evaluate(dir, "linux/videodev2.h", c));
    }

    /** The same on aarch64 (64-bit too: the same layouts), with its cross compiler's headers. */
    @Test
    void layoutsAndIoctlNumbersMatchAarch64sHeader() throws Exception {
        Map<String, String> c = new LinkedHashMap<>();
        Map<String, Long> java = new LinkedHashMap<>();
        quantities(c, java);
        compare(java, CAbi.evaluateAarch64(dir, "linux/videodev2.h", c));
    }

    static void quantities(Map<String, String> c, Map<String, Long> java) {
        struct(c, java, "v4l2_capability", V4l2Abi.CAPABILITY, "driver", "card", "bus_info", "version", "capabilities", "device_caps", "reserved");
        struct(c, java, "v4l2_fmtdesc", V4l2Abi.FMTDESC, "index", "type", "flags", "description", "pixelformat", "mbus_code", "reserved");
        struct(c, java, "v4l2_pix_format", V4l2Abi.PIX_FORMAT, "width", "height", "pixelformat", "field", "bytesperline",
                "sizeimage", "colorspace", "priv", "flags", "ycbcr_enc", "quantization", "xfer_func");
        struct(c, java, "v4l2_format", V4l2Abi.FORMAT, "type", "fmt");
        expect(c, java, "v4l2_format.fmt.pix", "offsetof(struct v4l2_format, fmt.pix)", V4l2Abi.FMT_PIX);
        struct(c, java, "v4l2_requestbuffers", V4l2Abi.REQUESTBUFFERS, "count", "type", "memory", "capabilities", "flags", "reserved");
        struct(c, java, "v4l2_timecode", V4l2Abi.TIMECODE, "type", "flags", "frames", "seconds", "minutes", "hours", "userbits");
        struct(c, java, "v4l2_buffer", V4l2Abi.BUFFER, "index", "type", "bytesused", "flags", "field", "timestamp", "timecode",
                "sequence", "memory", "m", "length", "reserved2");
        expect(c, java, "v4l2_buffer.request_fd", "offsetof(struct v4l2_buffer, request_fd)", V4l2Abi.BUFFER.byteOffset(groupElement("req")));
        expect(c, java, "v4l2_buffer.timestamp.tv_usec", "offsetof(struct v4l2_buffer, timestamp.tv_usec)", V4l2Abi.BUF_TV_USEC);
        expect(c, java, "v4l2_buffer.m.fd", "offsetof(struct v4l2_buffer, m.fd)", V4l2Abi.BUF_M);
        expect(c, java, "sizeof.v4l2_buffer.m", "sizeof(((struct v4l2_buffer *)0)->m)", V4l2Abi.BUFFER_M.byteSize());
        expect(c, java, "sizeof.timeval", "sizeof(struct timeval)", V4l2Abi.TIMEVAL.byteSize());
        struct(c, java, "v4l2_exportbuffer", V4l2Abi.EXPORTBUFFER, "type", "index", "plane", "flags", "fd", "reserved");
        struct(c, java, "v4l2_frmsizeenum", V4l2Abi.FRMSIZEENUM, "index", "pixel_format", "type", "reserved");
        expect(c, java, "v4l2_frmsizeenum.discrete", "offsetof(struct v4l2_frmsizeenum, discrete)",
                V4l2Abi.FRMSIZEENUM.byteOffset(groupElement("u"), groupElement("discrete")));
        expect(c, java, "v4l2_frmsizeenum.stepwise.step_height", "offsetof(struct v4l2_frmsizeenum, stepwise.step_height)",
                V4l2Abi.FRMSIZEENUM.byteOffset(groupElement("u"), groupElement("stepwise"), groupElement("step_height")));
        for (var io : List.of(
                new Object[] {"VIDIOC_QUERYCAP", V4l2Abi.VIDIOC_QUERYCAP}, new Object[] {"VIDIOC_ENUM_FMT", V4l2Abi.VIDIOC_ENUM_FMT},
                new Object[] {"VIDIOC_G_FMT", V4l2Abi.VIDIOC_G_FMT}, new Object[] {"VIDIOC_S_FMT", V4l2Abi.VIDIOC_S_FMT},
                new Object[] {"VIDIOC_TRY_FMT", V4l2Abi.VIDIOC_TRY_FMT}, new Object[] {"VIDIOC_REQBUFS", V4l2Abi.VIDIOC_REQBUFS},
                new Object[] {"VIDIOC_QUERYBUF", V4l2Abi.VIDIOC_QUERYBUF}, new Object[] {"VIDIOC_QBUF", V4l2Abi.VIDIOC_QBUF},
                new Object[] {"VIDIOC_DQBUF", V4l2Abi.VIDIOC_DQBUF}, new Object[] {"VIDIOC_EXPBUF", V4l2Abi.VIDIOC_EXPBUF},
                new Object[] {"VIDIOC_STREAMON", V4l2Abi.VIDIOC_STREAMON}, new Object[] {"VIDIOC_STREAMOFF", V4l2Abi.VIDIOC_STREAMOFF},
                new Object[] {"VIDIOC_ENUM_FRAMESIZES", V4l2Abi.VIDIOC_ENUM_FRAMESIZES})) {
            expect(c, java, (String) io[0], "(unsigned long) " + io[0], (Long) io[1]);
        }
        for (var k : List.of(
                new Object[] {"V4L2_BUF_TYPE_VIDEO_CAPTURE", V4l2Abi.BUF_TYPE_VIDEO_CAPTURE}, new Object[] {"V4L2_MEMORY_MMAP", V4l2Abi.MEMORY_MMAP},
                new Object[] {"V4L2_MEMORY_USERPTR", V4l2Abi.MEMORY_USERPTR}, new Object[] {"V4L2_MEMORY_DMABUF", V4l2Abi.MEMORY_DMABUF},
                new Object[] {"V4L2_FIELD_NONE", V4l2Abi.FIELD_NONE}, new Object[] {"V4L2_CAP_VIDEO_CAPTURE", V4l2Abi.CAP_VIDEO_CAPTURE},
                new Object[] {"V4L2_CAP_STREAMING", V4l2Abi.CAP_STREAMING}, new Object[] {"V4L2_CAP_DEVICE_CAPS", V4l2Abi.CAP_DEVICE_CAPS},
                new Object[] {"V4L2_BUF_FLAG_ERROR", V4l2Abi.BUF_FLAG_ERROR}, new Object[] {"V4L2_BUF_CAP_SUPPORTS_DMABUF", V4l2Abi.BUF_CAP_SUPPORTS_DMABUF},
                new Object[] {"V4L2_FRMSIZE_TYPE_DISCRETE", V4l2Abi.FRMSIZE_TYPE_DISCRETE})) {
            expect(c, java, (String) k[0], "(unsigned int) " + k[0], Integer.toUnsignedLong((Integer) k[1]));
        }
    }

    static void struct(Map<String, String> c, Map<String, Long> java, String name, StructLayout layout, String... fields) {
        expect(c, java, "sizeof." + name, "sizeof(struct " + name + ")", layout.byteSize());
        for (String f : fields) expect(c, java, name + "." + f, "offsetof(struct " + name + ", " + f + ")", layout.byteOffset(groupElement(f)));
    }

    static void expect(Map<String, String> c, Map<String, Long> java, String key, String expr, long value) {
        c.put(key, expr);
        java.put(key, value);
    }

    static void compare(Map<String, Long> java, Map<String, Long> got) {
        List<String> wrong = new ArrayList<>();
        for (var e : java.entrySet()) {
            if (!e.getValue().equals(got.get(e.getKey()))) {
                wrong.add(e.getKey() + ": Java " + e.getValue() + ", C " + got.get(e.getKey()));
            }
        }
        assertTrue(wrong.isEmpty(), "layouts differ from the C compiler's:\n" + String.join("\n", wrong));
        assertEquals(java.keySet(), got.keySet());
    }
}
