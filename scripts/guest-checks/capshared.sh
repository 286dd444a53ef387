#!/usr/bin/env bash
# V4L2 capture from vivid straight into a shared pool passed by descriptor (issue 13): `vbuf capture
# --shared` in one JVM, `vbuf consume --check capture` in another JVM checking every frame (not empty,
# numbers and capture times increasing) and folding a CRC-32 of every frame's bytes, which must equal
# the capturing process's own fold of the same frames. Four pools: vivid's own buffers exported as
# DMA-BUFs (VIDIOC_EXPBUF) and passed by fd; the pool's DMA-BUFs from udmabuf and from the DMA-BUF
# heap queued to vivid by fd (V4L2_MEMORY_DMABUF); a sealed memfd vivid writes into by address
# (V4L2_MEMORY_USERPTR).
set -euo pipefail
jar=vbuf-cli/target/vbuf.jar
# the guest is emulated: a cold JVM may take more than the default 10 s between connecting and asking
vbuf() { java --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -Dvbuf.fdTimeoutMs=180000 -jar "$jar" "$@"; }
frames=60
for mem in expbuf dmabuf dmabuf:heap userptr; do
  pool="cap-$(echo "$mem" | tr ':' '-')"
  echo "--- vbuf capture --shared $pool --memory $mem (vivid) + vbuf consume $pool --check capture (another JVM)"
  vbuf capture --device /dev/video0 --memory "$mem" --shared "$pool" --frames "$frames" --size 640x480 --format yuyv \
    --buffers 4 --timeout 60s --wait-reader 600s > "/tmp/$pool.out" 2>&1 &
  cap=$!
  for i in $(seq 1 1500); do [ -S "/dev/shm/vbuf.$pool" ] && break; kill -0 $cap 2>/dev/null || break; sleep 0.2; done
  [ -S "/dev/shm/vbuf.$pool" ] || { echo "no pool $pool"; cat "/tmp/$pool.out"; exit 1; }
  ls -l "/dev/shm/vbuf.$pool"
  vbuf consume "$pool" --check capture --timeout 300s > "/tmp/$pool-cons.txt" 2>"/tmp/$pool-cons.err" &
  cons=$!
  wait $cons || { echo "consumer failed"; cat "/tmp/$pool-cons.txt" "/tmp/$pool-cons.err"; cat "/tmp/$pool.out"; exit 1; }
  wait $cap || { echo "capture failed"; cat "/tmp/$pool.out"; exit 1; }
  cat "/tmp/$pool.out"
  cat "/tmp/$pool-cons.txt"
  grep -q "capture: all checks passed" "/tmp/$pool.out"
  grep -q "vbuf consume $pool, group consume: $frames frames (0..$((frames - 1)))" "/tmp/$pool-cons.txt"
  grep -q "failures 0, missed 0" "/tmp/$pool-cons.txt"
  mine=$(sed -n "s/.*CRC-32 of the frames' CRC-32s \([0-9a-f]*\);.*/\1/p" "/tmp/$pool.out")
  theirs=$(sed -n "s/.*CRC-32 of the frames' CRC-32s: \([0-9a-f]*\)$/\1/p" "/tmp/$pool-cons.txt")
  echo "capturing process fold $mine, consuming process fold $theirs"
  [ -n "$mine" ] && [ "$mine" = "$theirs" ]
  echo "$mem capture into shared pool $pool, every frame checked in another JVM: OK"
done
