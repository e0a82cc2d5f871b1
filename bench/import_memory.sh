#!/usr/bin/env bash
# Streaming check for `aurum data import`: generates a ~1 GB OHLCV CSV in a temp dir, imports it
# into a fresh SQLite workspace under /usr/bin/time -v and prints rows/s and peak RSS.
# Fails (exit 1) when peak RSS exceeds LIMIT_MB (default 64, issue 15). Everything is removed afterwards.
#   bash bench/import_memory.sh            # BUILD=build/release SIZE_MB=1024 LIMIT_MB=64
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/release}
SIZE_MB=${SIZE_MB:-1024}
LIMIT_MB=${LIMIT_MB:-64}
AURUM="$BUILD/bin/aurum"
[ -x "$AURUM" ] || { echo "import_memory: $AURUM not built (cmake --build $BUILD --target aurum)"; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/aurum-import-mem.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# One-minute random-walk bars with epoch-ms times: ~54 bytes a row.
rows=$(( SIZE_MB * 1024 * 1024 / 52 ))
awk -v n="$rows" 'BEGIN {
  srand(1); t = 1262304000000; p = 20000.0
  print "timestamp,open,high,low,close,volume"
  for (i = 0; i < n; i++) {
    o = p; c = o * (1 + (rand() - 0.5) * 0.002)
    h = (o > c ? o : c) * (1 + rand() * 0.0005); l = (o < c ? o : c) * (1 - rand() * 0.0005)
    printf "%.0f,%.2f,%.2f,%.2f,%.2f,%.6f\n", t + i * 60000, o, h, l, c, rand() * 50
    p = c
  }
}' > "$tmp/big.csv"
bytes=$(stat -c %s "$tmp/big.csv")
echo "generated $(( bytes / 1024 / 1024 )) MB, $rows rows"

# What the binary costs before reading a byte (libtorch and XGBoost load only when used).
/usr/bin/time -v "$AURUM" --version > /dev/null 2> "$tmp/base.txt"
base_kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$tmp/base.txt")

mkdir -p "$tmp/ws"
start=$(date +%s.%N)
/usr/bin/time -v "$AURUM" --home "$tmp/ws" data import "$tmp/big.csv" --symbol BTC/USDT \
  --timeframe 1m > "$tmp/out.txt" 2> "$tmp/time.txt" || { cat "$tmp/out.txt" "$tmp/time.txt"; exit 1; }
end=$(date +%s.%N)
cat "$tmp/out.txt"
rss_kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$tmp/time.txt")
secs=$(echo "$end - $start" | bc -l)
printf "import: %.1f s, %.0f rows/s, peak RSS %d MB (limit %d MB; binary baseline %d MB, import %d MB)\n" \
  "$secs" "$(echo "$rows / $secs" | bc -l)" $(( rss_kb / 1024 )) "$LIMIT_MB" $(( base_kb / 1024 )) \
  $(( (rss_kb - base_kb) / 1024 ))
[ $(( rss_kb / 1024 )) -le "$LIMIT_MB" ] || { echo "import_memory: FAILED, peak RSS above limit"; exit 1; }
