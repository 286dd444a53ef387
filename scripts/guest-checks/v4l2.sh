#!/usr/bin/env bash
# V4L2 capture from vivid (/dev/video0) into vbuf pools: 100 frames with each of MMAP, USERPTR,
# DMABUF (pool memory from /dev/dma_heap/system, then from /dev/udmabuf over sealed memfds) and
# EXPBUF (vivid's MMAP buffers exported as DMA-BUF fds and imported into the pool). One JVM for
# all (a JVM start is slow in the emulated guest). Every frame is checked by a consumer: non-empty,
# pool sequence and capture timestamps increasing; the driver's sequence strictly increasing.
set -euo pipefail
echo "vivid allocators: $(cut -d, -f1 /sys/module/vivid/parameters/allocators 2>/dev/null || echo '?') (0 = vmalloc)"
java --enable-native-access=ALL-UNNAMED -jar vbuf-cli/target/vbuf.jar capture --device /dev/video0 \
  --memory mmap,userptr,dmabuf:heap,dmabuf:udmabuf,expbuf --frames 100 --size 640x480 --format yuyv --buffers 4
# The same device through the pipeline of `vbuf run` (second JVM): vivid -> pool (USERPTR) -> null sink.
java --enable-native-access=ALL-UNNAMED -jar vbuf-cli/target/vbuf.jar run --input /dev/video0 --reader userptr \
  --size 640x480 --format yuyv --frames 100 --output null --json
