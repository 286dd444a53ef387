#!/usr/bin/env bash
# vbufsrc over DMA-BUF pools in the guest (issue 17): a DMA-BUF heap pool and a udmabuf pool, each
# produced by 'vbuf run' in a JVM and read by gst-launch-1.0 vbufsrc, whose buffers must be dmabuf
# GstMemory (its summary line, and GStreamer's fd allocator logging a share per frame)
# and carry every frame's bytes: the stamp 'vbuf run' writes (pts, then its complement) is checked
# in every frame of the filesink output. The host has no DMA-BUF heap or udmabuf (no such pool
# can be made there); its memfd and file pools are GstElementsTest's.
set -euo pipefail
jar=vbuf-cli/target/vbuf.jar
vbuf() { java --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -jar "$jar" "$@"; }
plug=/tmp/gst-guest
# the guest is emulated: a JVM answers its first socket message slowly, so wait longer than the default 10 s
VBUF_GST_OUT=$plug VBUF_GST_CFLAGS=-DVBUF_FD_TIMEOUT_MS=120000 scripts/build-gst
export GST_PLUGIN_PATH=$plug GST_REGISTRY=$plug/registry.bin
gst-inspect-1.0 vbufsrc > /dev/null
ls -l /dev/dma_heap /dev/udmabuf

wait_for() { for i in $(seq 1 900); do [ -S "/dev/shm/vbuf.$1" ] && return 0; sleep 0.2; done; echo "no pool $1"; cat "/tmp/$1.err"; return 1; }

n=30
for kind in dmaheap udmabuf; do
  echo "--- vbuf run --shared g$kind --memory $kind (producer) + gst-launch-1.0 vbufsrc pool=g$kind ! filesink"
  vbuf run --shared "g$kind" --memory "$kind" --size 320x240 --fps 0 --frames $n --groups 1 --json > "/tmp/g$kind.json" 2>"/tmp/g$kind.err" &
  prod=$!
  wait_for "g$kind"
  GST_DEBUG=fdmemory:6 gst-launch-1.0 -q vbufsrc pool="g$kind" ! filesink location="/tmp/g$kind.raw" > "/tmp/g$kind-gst.txt" 2>&1 || { cat "/tmp/g$kind-gst.txt"; exit 1; }
  wait $prod
  grep 'vbufsrc: pool' "/tmp/g$kind-gst.txt"
  grep -q "vbufsrc: pool g$kind: $n frames as dmabuf memory" "/tmp/g$kind-gst.txt"
  shares=$(grep -c 'gst_fd_mem_share' "/tmp/g$kind-gst.txt" || true)
  echo "shares of the slots' dmabuf memories logged by GStreamer's fd allocator: $shares"
  [ "$shares" -ge $n ]
  python3 - "/tmp/g$kind.raw" $n <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read(); n = int(sys.argv[2])
assert len(data) % n == 0, f"{len(data)} bytes is not {n} whole frames"
fb = len(data) // n
for k in range(n):
    v, nv = struct.unpack_from('<QQ', data, k * fb)
    assert v == k and nv == (~k) & 0xFFFFFFFFFFFFFFFF, f"frame {k}: stamp {v:#x} {nv:#x}"
print(f"{n} frames of {fb} bytes through dmabuf memory, every stamp whole and in order")
PY
  grep -q '"ok":true' "/tmp/g$kind.json"
  grep -q 'DMA-BUFs of' "/tmp/g$kind.json"
  echo "$kind pool read by vbufsrc as dmabuf GstMemory: OK"
done
