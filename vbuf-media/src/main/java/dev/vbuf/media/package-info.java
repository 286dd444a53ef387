/**
 * Sources that write video straight into pool buffers and sinks that read straight out of them:
 * raw and Y4M files, FFmpeg decode and encode, V4L2 capture, the Linux framebuffer.
 */
package dev.vbuf.media;
