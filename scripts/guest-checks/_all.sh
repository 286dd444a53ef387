#!/usr/bin/env bash
# Runs inside the guest (started by scripts/guest-check): each named check, with a verdict line each.
set -uo pipefail
export PATH="$JAVA_HOME/bin:$PATH"
failed=0
for c in "$@"; do
  echo "=== $c"
  if bash "scripts/guest-checks/$c.sh"; then echo "=== $c: PASS"; else echo "=== $c: FAIL"; failed=1; fi
done
exit $failed
