package dev.vbuf.cli;

import dev.vbuf.media.fb.Framebuffer;
import dev.vbuf.media.v4l2.DmaBufAllocator;
import dev.vbuf.media.v4l2.V4l2Device;
import dev.vbuf.media.v4l2.V4l2Format;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code vbuf devices}: the V4L2 capture devices with their formats and sizes, the framebuffers, and the DMA-BUF exporters. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List V4L2 devices (capabilities, formats, frame sizes, current format), framebuffers and DMA-BUF exporters.")
public final class DevicesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        var videos = V4l2Device.devicePaths();
        out.println("V4L2 devices: " + (videos.isEmpty() ? "none (no /dev/video*)" : videos.size()));
        for (Path p : videos) {
            try (V4l2Device d = V4l2Device.open(p)) {
                out.println("  " + d + ", driver version " + d.capability().versionString() + ", bus " + d.capability().busInfo());
                out.println("    current format: " + d.format());
                for (var f : d.formats()) {
                    out.println("    " + f.fourccString() + "  " + f.description()
                            + V4l2Format.pixelFormatOf(f.fourcc()).map(x -> "  (vbuf " + x + ")").orElse("  (not a vbuf format)")
                            + "  sizes: " + d.frameSizes(f.fourcc()));
                }
            } catch (RuntimeException e) {
                out.println("  " + p + ": " + e.getMessage());
            }
        }
        var fbs = Framebuffer.devicePaths();
        out.println("framebuffers: " + (fbs.isEmpty() ? "none (no /dev/fb*)" : fbs.size()));
        for (Path p : fbs) {
            try (Framebuffer fb = Framebuffer.open(p)) {
                out.println("  " + p + ": " + fb.info());
            } catch (RuntimeException e) {
                out.println("  " + p + ": " + e.getMessage());
            }
        }
        out.println("DMA-BUF exporters for pool memory: " + DmaBufAllocator.HEAP + (Files.exists(DmaBufAllocator.HEAP) ? " present" : " absent")
                + ", " + DmaBufAllocator.UDMABUF + (Files.exists(DmaBufAllocator.UDMABUF) ? " present" : " absent"));
        out.flush();
        return 0;
    }
}
