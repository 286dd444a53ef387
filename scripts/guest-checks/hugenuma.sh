#!/usr/bin/env bash
# A shared pool in explicit huge pages bound to the second NUMA node (issue 13), in the guest
# (numa=fake=2): 2 MiB pages reserved for the run (nr_hugepages, restored after), `vbuf run --shared
# --memory hugepages,numa:1` in one JVM, `vbuf consume` verifying every frame in another; the backing
# must state the huge pages it got and its pages' node as read back (move_pages). Then the same for a
# plain sealed memfd pool on node 1.
set -euo pipefail
jar=vbuf-cli/target/vbuf.jar
# the guest is emulated: a cold JVM may take more than the default 10 s between connecting and asking
vbuf() { java --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -Dvbuf.fdTimeoutMs=180000 -jar "$jar" "$@"; }
ls -d /sys/devices/system/node/node*
old=$(cat /proc/sys/vm/nr_hugepages)
trap 'echo "$old" > /proc/sys/vm/nr_hugepages' EXIT
echo 16 > /proc/sys/vm/nr_hugepages
grep -E 'HugePages_(Total|Free)' /proc/meminfo
for mem in hugepages,numa:1 memfd,numa:1; do
  pool="hn-${mem%%,*}"
  echo "--- vbuf run --shared $pool --memory $mem + vbuf consume $pool (another JVM)"
  vbuf run --shared "$pool" --memory "$mem" --size 320x240 --fps 0 --frames 50 --groups 1 --json > "/tmp/$pool.json" 2>"/tmp/$pool.err" &
  prod=$!
  for i in $(seq 1 900); do [ -S "/dev/shm/vbuf.$pool" ] && break; kill -0 $prod 2>/dev/null || break; sleep 0.2; done
  [ -S "/dev/shm/vbuf.$pool" ] || { echo "no pool $pool"; cat "/tmp/$pool.err"; exit 1; }
  grep -E 'HugePages_Free' /proc/meminfo
  vbuf inspect "$pool" --once | head -2
  vbuf consume "$pool" --json --timeout 300s | tee "/tmp/$pool-cons.json"
  wait $prod
  cat "/tmp/$pool.json"
  grep -q '"ok":true' "/tmp/$pool-cons.json"
  grep -q '"frames":50' "/tmp/$pool-cons.json"
  grep -q '"verifyFailures":0' "/tmp/$pool-cons.json"
  grep -q '"ok":true' "/tmp/$pool.json"
  grep -q 'bound to NUMA node 1 (mbind): pages per node (move_pages): node 1 ' "/tmp/$pool.json"
  if [ "${mem%%,*}" = hugepages ]; then grep -q 'explicit 2 MiB huge pages (MFD_HUGETLB)' "/tmp/$pool.json"; fi
  echo "$mem shared pool, placement read back, verified in another JVM: OK"
done
grep -E 'HugePages_(Total|Free)' /proc/meminfo
