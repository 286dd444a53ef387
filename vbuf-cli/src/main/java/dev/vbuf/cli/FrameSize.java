package dev.vbuf.cli;

/**
 * A frame size in pixels as typed on the command line ({@code 3840x2160}).
 *
 * @param width  width in pixels
 * @param height height in pixels
 */
public record FrameSize(int width, int height) {
    @Override
    public String toString() {
        return width + "x" + height;
    }
}
