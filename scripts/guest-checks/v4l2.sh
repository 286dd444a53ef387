#!/usr/bin/env bash
# V4L2 capture from vivid (/dev/video0) into vbuf pools: 100 frames with each of MMAP, USERPTR,
# DMABUF (pool memory from /dev/dma_heap/system) and EXPBUF (vivid's MMAP buffers exported as
# DMA-BUF fds and imported into the pool). One JVM for all four (a JVM start is slow here).
# Every frame is checked: non-empty, driver sequence strictly increasing, timestamps increasing.
set -euo pipefail
v4l2-ctl --version >/dev/null 2>&1 && v4l2-ctl -d /dev/video0 --info 2>/dev/null | head -5 || true
cat /sys/module/vivid/parameters/allocators 2>/dev/null | sed 's/^/vivid allocators: /' || true

java --enable-native-access=ALL-UNNAMED -jar vbuf-cli/target/vbuf.jar capture --device /dev/video0 \
  --memory mmap,userptr,dmabuf,expbuf --frames 100 --size 640x480 --format yuyv --buffers 4
