#!/usr/bin/env bash
# Shared pools passed by descriptor in the guest (issue 13): a DMA-BUF heap pool and a udmabuf
# pool, each produced by one JVM and verified frame by frame in another JVM (vbuf consume) and
# in the C consumer (examples/c/vbuf_consume.c). The sealed memfd pool is the check 'sealed'.
set -euo pipefail
jar=vbuf-cli/target/vbuf.jar
vbuf() { java --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -jar "$jar" "$@"; }
cc=/tmp/vbuf_consume_fd
# the guest is emulated: a JVM answers its first socket message slowly, so wait longer than the default 10 s
gcc -std=c11 -O2 -Wall -Wextra -Werror -DVBUF_FD_TIMEOUT_MS=120000 -Iinclude examples/c/vbuf_consume.c -o "$cc"
ls -l /dev/dma_heap /dev/udmabuf

wait_for() { for i in $(seq 1 900); do [ -S "/dev/shm/vbuf.$1" ] && return 0; sleep 0.2; done; echo "no pool $1"; cat "/tmp/$1.err"; return 1; }

for kind in dmaheap udmabuf; do
  echo "--- vbuf run --shared $kind --memory $kind (producer) + vbuf consume $kind (another JVM)"
  vbuf run --shared "j$kind" --memory "$kind" --size 320x240 --fps 0 --frames 50 --groups 1 --json > "/tmp/j$kind.json" 2>"/tmp/j$kind.err" &
  prod=$!
  wait_for "j$kind"
  ls -l "/dev/shm/vbuf.j$kind"
  vbuf inspect "j$kind" | head -1
  vbuf consume "j$kind" --json --timeout 300s | tee "/tmp/j$kind-cons.json"
  wait $prod
  cat "/tmp/j$kind.json"
  grep -q '"ok":true' "/tmp/j$kind-cons.json"
  grep -q '"frames":50' "/tmp/j$kind-cons.json"
  grep -q '"verifyFailures":0' "/tmp/j$kind-cons.json"
  grep -q '"ok":true' "/tmp/j$kind.json"
  grep -q 'DMA-BUFs of' "/tmp/j$kind.json"

  echo "--- vbuf run --shared c$kind --memory $kind (producer) + the C consumer"
  vbuf run --shared "c$kind" --memory "$kind" --size 320x240 --fps 0 --frames 50 --groups 1 --json > "/tmp/c$kind.json" 2>"/tmp/c$kind.err" &
  prod=$!
  wait_for "c$kind"
  "$cc" --check stamp --timeout-ms 300000 "c$kind" consume 0 | tee "/tmp/c$kind-cons.txt"
  wait $prod
  grep -q 'frames=50 bad=0 first=0 last=49 gaps=0 eos=1' "/tmp/c$kind-cons.txt"
  grep -q '"ok":true' "/tmp/c$kind.json"
  echo "$kind pool by descriptor, verified in another JVM and in C: OK"
done

