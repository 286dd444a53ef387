#!/usr/bin/env bash
# A sealed memfd pool in the guest (issue 13): while a producer JVM and a consumer JVM use it, a
# same-user `truncate -s 0 /proc/PID/fd/N` on the pool's memfd fails, and the reader verifies
# every frame to the end.
set -euo pipefail
jar=vbuf-cli/target/vbuf.jar
vbuf() { java --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -jar "$jar" "$@"; }

echo "--- vbuf run --shared m1 --memory memfd (producer) + vbuf consume m1 (another JVM) + truncate"
vbuf run --shared m1 --memory memfd --size 320x240 --fps 20 --frames 100 --groups 1 --json > /tmp/m1.json 2>/tmp/m1.err &
prod=$!
for i in $(seq 1 900); do [ -S /dev/shm/vbuf.m1 ] && break; sleep 0.2; done
[ -S /dev/shm/vbuf.m1 ] || { echo "no pool m1"; cat /tmp/m1.err; exit 1; }
vbuf inspect m1 | head -1
vbuf consume m1 --json --timeout 300s > /tmp/m1-cons.json 2>/tmp/m1-cons.err &
cons=$!
# every process holding the pool's memfd (the producer JVM; the consumer closes its copy after mapping)
holders=$(for d in /proc/[0-9]*/fd; do ls -l "$d" 2>/dev/null | awk -v d="$d" '/memfd:vbuf.m1 / {print d "/" $9}'; done)
[ -n "$holders" ] || { echo "no process holds the memfd of m1"; exit 1; }
for f in $holders; do
  echo "truncate -s 0 $f"
  if truncate -s 0 "$f"; then echo "truncate succeeded on a sealed pool"; exit 1; fi
done
wait $cons
wait $prod
cat /tmp/m1-cons.json
grep -q '"ok":true' /tmp/m1-cons.json
grep -q '"frames":100' /tmp/m1-cons.json
grep -q '"verifyFailures":0' /tmp/m1-cons.json
grep -q '"ok":true' /tmp/m1.json
grep -q 'memfd sealed against shrink, grow, seal' /tmp/m1.json
echo "sealed memfd pool survived a same-user truncate, every frame verified: OK"
