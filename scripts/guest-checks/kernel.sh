#!/usr/bin/env bash
# What the guest offers (a sanity check of the guest itself, printed with every run).
set -euo pipefail
uname -r
ls -l /dev/dma_heap/ /dev/udmabuf /dev/video0 /dev/fb0
ls -d /sys/devices/system/node/node*
java -version 2>&1 | head -1
