#!/usr/bin/env bash
# Memory kinds this machine lacks, run for real in the guest (issue 5, docs/MEMORY.md):
#  - vbuf info --probe: DMA-BUF heap alloc + mmap + export (fd mapped again, same bytes) + DMA_BUF_IOCTL_SYNC,
#    memfd -> udmabuf export (same checks), mbind to every node read back with move_pages and get_mempolicy;
#  - vbuf run --memory dmaheap: the pool's backing is the dma-heap;
#  - vbuf run --memory numa:1: every page on node 1.
# Frames are small (the guest is software-emulated).
set -euo pipefail
jar=vbuf-cli/target/vbuf.jar
vbuf() { java --enable-native-access=ALL-UNNAMED -jar "$jar" "$@"; }

echo "--- vbuf info --probe"
vbuf info --probe | tee /tmp/vbuf-info.txt
grep -q 'probe dma-heap system .* ok:' /tmp/vbuf-info.txt
grep -q 'probe memfd -> udmabuf .* ok:' /tmp/vbuf-info.txt
grep -q 'probe numa node 1 .* ok:' /tmp/vbuf-info.txt

echo "--- vbuf run --memory dmaheap --frames 100 --size 640x480 --json"
vbuf run --memory dmaheap --frames 100 --size 640x480 --fps 0 --json | tee /tmp/vbuf-dmaheap.json
grep -q '"ok":true' /tmp/vbuf-dmaheap.json
grep -q '"backing":"dmaheap: dma-heap system' /tmp/vbuf-dmaheap.json

echo "--- vbuf run --memory numa:1 --frames 100 --size 640x480 --json"
vbuf run --memory numa:1 --frames 100 --size 640x480 --fps 0 --json | tee /tmp/vbuf-numa1.json
grep -q '"ok":true' /tmp/vbuf-numa1.json
# every page read back on node 1: "pages per node (move_pages): node 1 N of N"
grep -Eq 'pages per node \(move_pages\): node 1 ([0-9]+) of \1"' /tmp/vbuf-numa1.json

echo "--- vbuf run --memory numa:7 (must fail, listing nodes 0, 1)"
if vbuf run --memory numa:7 --frames 10 2>/tmp/vbuf-numa7.txt; then echo "numa:7 did not fail"; exit 1; fi
cat /tmp/vbuf-numa7.txt
grep -q 'it has nodes 0, 1' /tmp/vbuf-numa7.txt
