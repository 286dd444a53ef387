#!/usr/bin/env bash
# The native layer (dev.vbuf.sys, docs/NATIVE.md) on the kernel interfaces this machine lacks:
#  - vbuf info --probe: DMA-BUF heap alloc + export + DMA_BUF_IOCTL_SYNC, memfd -> udmabuf,
#    mbind / move_pages / get_mempolicy on every NUMA node (DmaBufIo, Ioctl, Numa, Mman);
#  - V4L2 DMABUF capture with pool memory from the one DMA-BUF allocator (DmaHeapAllocator),
#    once from the heap and once through udmabuf (Ioctl, FileIo.poll).
set -euo pipefail
jar=vbuf-cli/target/vbuf.jar
vbuf() { java --enable-native-access=ALL-UNNAMED -jar "$jar" "$@"; }

echo "--- vbuf info --probe"
vbuf info --probe | tee /tmp/vbuf-info.txt
grep -q 'probe dma-heap system .* ok:' /tmp/vbuf-info.txt
grep -q 'probe memfd -> udmabuf .* ok:' /tmp/vbuf-info.txt
grep -q 'probe numa node 1 .* ok:' /tmp/vbuf-info.txt

echo "--- vbuf capture --memory dmabuf:heap,dmabuf:udmabuf --frames 30"
vbuf capture --device /dev/video0 --memory dmabuf:heap,dmabuf:udmabuf --frames 30 --size 640x480 --format yuyv \
  --buffers 4 | tee /tmp/vbuf-capture.txt
[ "$(grep -c '^dmabuf: PASS 30 frames' /tmp/vbuf-capture.txt)" -eq 2 ]
