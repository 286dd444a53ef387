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
# every process holding the pool's memfd (the producer JVM keeps it; an attacher closes its copy
# once mapped): truncating any of them must fail with EPERM, until one such refusal is seen
refused=0
for i in $(seq 1 300); do
  for f in $(find /proc/[0-9]*/fd -lname '/memfd:vbuf.m1*' 2>/dev/null); do
    echo "truncate -s 0 $f"
    if truncate -s 0 "$f" 2>/tmp/trunc.err; then echo "truncate succeeded on a sealed pool"; exit 1; fi
    cat /tmp/trunc.err
    grep -q "Operation not permitted" /tmp/trunc.err && refused=1
  done
  [ $refused = 1 ] && break
  sleep 0.2
done
[ $refused = 1 ] || { echo "never saw the sealed memfd refuse a truncate"; exit 1; }
wait $cons
wait $prod
cat /tmp/m1-cons.json
grep -q '"ok":true' /tmp/m1-cons.json
grep -q '"frames":100' /tmp/m1-cons.json
grep -q '"verifyFailures":0' /tmp/m1-cons.json
grep -q '"ok":true' /tmp/m1.json
grep -q 'memfd sealed against shrink, grow, seal' /tmp/m1.json
echo "sealed memfd pool survived a same-user truncate, every frame verified: OK"
