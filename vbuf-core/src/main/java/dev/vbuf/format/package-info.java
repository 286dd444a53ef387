/**
 * Pixel formats and frame memory layouts.
 *
 * <p>{@link dev.vbuf.format.PixelFormat} names the sixteen formats vbuf understands,
 * with their V4L2 fourcc codes; {@link dev.vbuf.format.FrameLayout} turns a format, a
 * size and a stride alignment into the exact plane geometry of one frame buffer
 * ({@link dev.vbuf.format.Plane}); {@link dev.vbuf.format.TestPattern} fills and checks
 * frames with a moving, sequence-stamped synthetic picture at memory bandwidth.
 *
 * <p>Everything here is pure Java; memory is only ever touched through
 * {@link java.lang.foreign.MemorySegment}.
 */
package dev.vbuf.format;
