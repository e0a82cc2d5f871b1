#!/usr/bin/env bash
# PostgreSQL at scale (issue 18): a throwaway server on 127.0.0.1 (its own cluster in a temp dir,
# removed at the end), SYMBOLS x DAYS of 1-minute bars bulk-loaded through the store's COPY path,
# then one symbol's year read back. Default 100 x 365 = 52.6 M rows (~8 GB of disk while it runs).
#   bench/pg_scale.sh [SYMBOLS] [DAYS] [WRITERS]        (after `make build`; WRITERS default 2)
# PG_SCALE_KEEP=1 leaves the server and its data running after the run (to time reads again:
# `bench_data_pg_scale URL SYMBOLS DAYS 0` reads without loading) and prints how to stop it.
set -euo pipefail
SYMBOLS=${1:-100}
DAYS=${2:-365}
WRITERS=${3:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
bench=$here/build/release/bench/bench_data_pg_scale
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
root=$(mktemp -d /var/tmp/aurum-pg-scale.XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$root"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { as_pg "$bin/pg_ctl" -D "$root/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$root"; }
if [ "${PG_SCALE_KEEP:-0}" = 1 ]; then
  cleanup() { echo "kept: postgresql://aurum@127.0.0.1:$port/market; stop and remove with:"
              echo "  runuser -u postgres -- $bin/pg_ctl -D $root/data -m fast stop && rm -rf $root"; }
fi
trap cleanup EXIT
as_pg "$bin/initdb" -D "$root/data" -U aurum --auth=trust -E UTF8 --locale=C >/dev/null
# Bulk-load settings a dedicated research database would use (durable: fsync stays on).
as_pg "$bin/pg_ctl" -D "$root/data" -l "$root/server.log" -w -o "-c listen_addresses=127.0.0.1 \
  -p $port -k $root -c shared_buffers=2GB -c max_wal_size=16GB -c wal_level=minimal \
  -c max_wal_senders=0 -c synchronous_commit=off -c checkpoint_timeout=30min \
  -c maintenance_work_mem=512MB" start >/dev/null
as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U aurum market
echo "server: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
"$bench" "postgresql://aurum@127.0.0.1:$port/market" "$SYMBOLS" "$DAYS" "$WRITERS"
du -sh "$root/data" | awk '{print "cluster on disk: " $1}'
