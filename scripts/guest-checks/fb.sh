#!/usr/bin/env bash
# Framebuffer page flipping on vfb (/dev/fb0): the framebuffer's pages are the pool's EXTERNAL
# buffers, a producer renders the test pattern into free pages, the display consumer flips to
# each frame by its buffer id (FBIOPAN_DISPLAY) and reads the pan offset back from the driver,
# and checks the page on screen holds that frame (the text console is put in graphics mode first,
# KDSETMODE, so its cursor does not draw over the page on screen).
set -euo pipefail
java --enable-native-access=ALL-UNNAMED -jar vbuf-cli/target/vbuf.jar display --device /dev/fb0 --pages 3 --flips 60 --bpp 32
# The framebuffer as a pipeline sink of `vbuf run` (second JVM): testsrc RGBA -> pool -> /dev/fb0, double buffered.
java --enable-native-access=ALL-UNNAMED -jar vbuf-cli/target/vbuf.jar run --input testsrc --size 640x480 --format rgba \
  --frames 30 --output /dev/fb0 --json
