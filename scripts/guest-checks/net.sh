#!/usr/bin/env bash
# Frames between two network namespaces with real packet loss and delay from the kernel's netem
# qdisc (which the build machine's kernel lacks): 5% loss and 10 ms delay each way on the veth
# pair, the README's across-machines commands (smaller frames: the guest is emulated), every
# frame verified, none missing, and netem's own drop counters to show the loss was there.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
kv="$(uname -r)"
# insmod: kmod's where installed, else busybox's (guest-run installs busybox-static)
if command -v insmod >/dev/null; then ins=(insmod); else ins=(busybox insmod); fi
for m in veth sch_netem; do
  grep -qw "^$m" /proc/modules 2>/dev/null || "${ins[@]}" "build/guest-modules/$kv/$m.ko" \
    || { echo "cannot load $m for $kv (scripts/guest-net-modules puts it in build/guest-modules/)"; exit 1; }
done
export VBUF_NETNS_A=vbuf-a VBUF_NETNS_B=vbuf-b
scripts/netns-up
loss="${VBUF_GUEST_LOSS:-5%}" delay="${VBUF_GUEST_DELAY:-10ms}"
ip netns exec vbuf-a tc qdisc add dev veth-vbuf-a root netem loss "$loss" delay "$delay"
ip netns exec vbuf-b tc qdisc add dev veth-vbuf-b root netem loss "$loss" delay "$delay"
echo "--- netem on both ends: loss $loss, delay $delay"
jar=vbuf-cli/target/vbuf.jar
# One driver thread per process (Aeron's SHARED mode) on the guest's 2 emulated CPUs: the run that passed used it;
# one with vbuf's default (DEDICATED: three agent threads per driver) had not finished after 45 minutes.
vbuf() { java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -XX:TieredStopAtLevel=1 \
  -Daeron.threading.mode="${VBUF_GUEST_AERON_THREADING:-SHARED}" -jar "$jar" "$@"; }
ch='aeron:udp?endpoint=10.200.0.2:40123'
frames="${VBUF_GUEST_FRAMES:-120}"
rm -f /dev/shm/vbuf.cam /dev/shm/vbuf.cam2
ip netns exec vbuf-b bash -c "$(declare -f vbuf); jar=$jar; vbuf receive --from '$ch' --shared cam2 --timeout 300s" > /tmp/net-rx.out 2>&1 & rx=$!
ip netns exec vbuf-a bash -c "$(declare -f vbuf); jar=$jar; vbuf run --shared cam --size 320x240 --fps 30 --frames $frames" > /tmp/net-run.out 2>&1 & run=$!
for _ in $(seq 600); do [ -e /dev/shm/vbuf.cam ] && break; sleep 0.5; done
ip netns exec vbuf-a bash -c "$(declare -f vbuf); jar=$jar; vbuf send cam --to '$ch' --timeout 300s" > /tmp/net-tx.out 2>&1 & tx=$!
for _ in $(seq 1200); do [ -e /dev/shm/vbuf.cam2 ] && break; sleep 0.5; done
ip netns exec vbuf-b bash -c "$(declare -f vbuf); jar=$jar; vbuf consume cam2 --json --timeout 300s" > /tmp/net-consume.out 2>&1 & consume=$!
status=0
for p in $run $tx $rx $consume; do wait "$p" || status=$?; done
tail -3 /tmp/net-run.out; grep -v '^cam' /tmp/net-tx.out | tail -2; tail -3 /tmp/net-rx.out; grep '^{' /tmp/net-consume.out
echo "--- netem counters (sent / dropped) on each end"
ip netns exec vbuf-a tc -s qdisc show dev veth-vbuf-a | sed -n '1,3p'
ip netns exec vbuf-b tc -s qdisc show dev veth-vbuf-b | sed -n '1,3p'
scripts/netns-down >/dev/null
json="$(grep '^{' /tmp/net-consume.out | tail -1)"
[ "$status" = 0 ] || { echo "a command failed (exit $status)"; exit 1; }
grep -q '"ok":true' <<<"$json" && grep -q "\"verified\":$frames," <<<"$json" && grep -q '"missed":0' <<<"$json" \
  && grep -q '"verifyFailures":0' <<<"$json" || { echo "the consumer did not verify $frames of $frames"; exit 1; }
echo "$frames of $frames frames verified across netem loss $loss and delay $delay: OK"
