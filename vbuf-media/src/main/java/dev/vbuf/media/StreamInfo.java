package dev.vbuf.media;

import dev.vbuf.format.FrameLayout;

import java.util.Map;

/**
 * What a {@link Source} delivers, known before the pool is built so the pool can be sized for it.
 *
 * @param description one line for people: "file clip.y4m: Y4M 1280x720 I420 25 fps, 120 frames"
 * @param layout      the layout the pool's buffers are built with (format, plane offsets and
 *                    strides); a decoder may pad it beyond the picture: its width and height can
 *                    be larger than the visible {@code width} × {@code height}
 * @param width       visible picture width (≤ {@code layout.width()}); frames carry it in {@code Frame.width()}
 * @param height      visible picture height (≤ {@code layout.height()})
 * @param bufferBytes bytes each pool buffer needs (≥ {@code layout.frameBytes()}; more when a
 *                    codec pads planes or reads past the end)
 * @param fps         frames per second, 0 when unknown
 * @param frameCount  frames in one pass over the input, -1 when unknown (live capture, some containers)
 * @param metadata    what else the input says (Y4M colour range and chroma siting tags, codec
 *                    name, container ...), unmodifiable, never null
 */
public record StreamInfo(String description, FrameLayout layout, long bufferBytes, int width, int height, double fps,
                         long frameCount, Map<String, String> metadata) {
    public StreamInfo {
        if (layout == null) throw new IllegalArgumentException("StreamInfo needs a layout");
        if (width < 1 || height < 1 || width > layout.width() || height > layout.height()) {
            throw new IllegalArgumentException("visible size " + width + "x" + height + " is outside 1x1.."
                    + layout.width() + "x" + layout.height() + " (the buffer layout)");
        }
        if (bufferBytes < layout.frameBytes()) {
            throw new IllegalArgumentException("bufferBytes " + bufferBytes + " is smaller than the layout's "
                    + layout.frameBytes() + " bytes (" + layout + ")");
        }
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
    }

    /** A stream whose buffers are exactly the layout's size. */
    public static StreamInfo of(String description, FrameLayout layout, double fps, long frameCount,
                                Map<String, String> metadata) {
        return new StreamInfo(description, layout, layout.frameBytes(), layout.width(), layout.height(), fps, frameCount,
                metadata);
    }
}
