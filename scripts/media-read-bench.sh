#!/usr/bin/env bash
# Read rate of the three Y4M/raw readers (mmap, direct = O_DIRECT, io_uring), in the same run,
# on the same files: a 1280x720 I420 Y4M clip (pictures not 4 KiB-aligned in the file) and a
# 1280x720 RGBA raw clip (3,686,400-byte pictures = 900 x 4 KiB: O_DIRECT lands in place).
# Each reader loops over the 120-picture clip for FRAMES pictures into a null sink; two rounds.
# Usage: scripts/media-read-bench.sh [FRAMES]   (files go to bench-tmp/, ignored by git)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
V="$root/vbuf"
frames="${1:-1200}"
mkdir -p "$root/bench-tmp" && cd "$root/bench-tmp"
[ -f clip.y4m ] || "$V" run --size 1280x720 --frames 120 --output clip.y4m > /dev/null 2>&1
[ -f clip.rgba ] || "$V" run --size 1280x720 --format rgba --frames 120 --output clip.rgba > /dev/null 2>&1
field() { grep -o "\"$1\":[0-9.]*" | head -1 | cut -d: -f2; }
echo "machine: $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
printf "%-6s %-10s %-9s %-8s %10s %10s %8s\n" round file reader threads fps MB/s copies
for round in 1 2; do
  for spec in "clip.y4m|" "clip.rgba|--size 1280x720 --format rgba"; do
    file="${spec%%|*}"; extra="${spec#*|}"
    for reader in mmap direct io_uring; do
      for threads in 1 2; do
        # shellcheck disable=SC2086
        j="$("$V" run --input "$file" $extra --reader "$reader" --threads "$threads" --output null --loop --frames "$frames" --json 2>/dev/null)"
        printf "%-6s %-10s %-9s %-8s %10s %10s %8s\n" "$round" "$file" "$reader" "$threads" \
          "$(echo "$j" | field fps)" "$(echo "$j" | field readMBps)" "$(echo "$j" | field copies)"
      done
    done
  done
done
