#!/usr/bin/env bash
# Shared pools in the guest (issue 4, S4.3): a shared pool whose region is bound to NUMA node 1,
# produced by one process and consumed by another, every frame verified.
set -euo pipefail
jar=vbuf-cli/target/vbuf.jar
vbuf() { java --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -jar "$jar" "$@"; }

echo "--- vbuf run --shared g1 --memory numa:1,locked (producer) + vbuf consume g1 (another process)"
vbuf run --shared g1 --memory numa:1,locked --size 320x240 --fps 0 --frames 50 --groups 1 --json > /tmp/shm-prod.json 2>/tmp/shm-prod.err &
prod=$!
for i in $(seq 1 600); do [ -e /dev/shm/vbuf.g1 ] && break; sleep 0.2; done
[ -e /dev/shm/vbuf.g1 ] || { echo "the producer did not create the pool"; cat /tmp/shm-prod.err; exit 1; }
vbuf consume g1 --json --timeout 120s | tee /tmp/shm-cons.json
wait $prod
cat /tmp/shm-prod.json
grep -q '"ok":true' /tmp/shm-cons.json
grep -q '"frames":50' /tmp/shm-cons.json
grep -q '"verifyFailures":0' /tmp/shm-cons.json
grep -q '"ok":true' /tmp/shm-prod.json
# every page of the region on node 1, none elsewhere
grep -Eq 'bound to NUMA node 1 \(mbind\): pages per node \(move_pages\): node 1 [0-9]+, locked' /tmp/shm-prod.json
echo "shared pool on node 1, consumed in another process: OK"
