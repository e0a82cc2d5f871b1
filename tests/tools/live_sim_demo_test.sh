#!/usr/bin/env bash
# The demo's "Live trading without an account" step (scripts/live-sim --demo) end to end: the fake
# exchange program, `aurum exchange check` with both streams, a live start, kill -9, the resumed
# session, stop. Usage: live_sim_demo_test.sh AURUM WORKDIR
set -euo pipefail
AURUM="$1"
WORK="$2"
rm -rf "$WORK"
mkdir -p "$WORK"
out="$WORK/out.txt"
LIVE_HOME="$WORK/live" AURUM="$AURUM" bash "$(dirname "$0")/../../scripts/live-sim" --demo > "$out" 2>&1 || {
    cat "$out"; echo "FAIL: scripts/live-sim --demo exited non-zero"; exit 1; }
for want in "PASS  market stream" "PASS  user stream  subscription accepted" \
            "Ready for \`aurum run --mode live --confirm-live\`" \
            "Exchange streams: market connected" "recovered" "Daemon stopped"; do
    grep -qF "$want" "$out" || { cat "$out"; echo "FAIL: missing '$want'"; exit 1; }
done
# Nothing left running: the daemon stopped and the fake exchange was killed with the script.
if pgrep -f "$WORK/live" > /dev/null; then echo "FAIL: a process of the demo is still running"; exit 1; fi
echo "live-sim demo: ok"
