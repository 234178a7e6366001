#!/usr/bin/env bash
# Durable ingest on PostgreSQL next to the file ledger, in one run (issue #10).
#
#   tools/bench-postgres.sh [--duration SECONDS] [--postgres URL]
#
# 1. `ledgerbot serve` (release) on the file ledger, fsync durability: wrk posts webhooks at 64
#    and 256 connections (unique X-Chatwoot-Delivery each, so every request is appended).
# 2. The same server build with --ledger postgres://… on a throwaway cluster (tools/postgres.sh;
#    fsync=on, synchronous_commit=on), same load.
# 3. pgbench on the same cluster: one ~2.7 KB row INSERT per transaction at 256 clients — the
#    physical reference for one durable row per commit, without Ledgerbot.
#
# Target: PostgreSQL ingest >= 50% of the file ledger's at 256 writers (connections).
# Pass --postgres URL to use an existing server instead of a throwaway cluster (its database is
# written to: use an empty one).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=10
url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2;;
    --postgres) url="$2"; shift 2;;
    *) echo "usage: tools/bench-postgres.sh [--duration SECONDS] [--postgres URL]" >&2; exit 64;;
  esac
done
tools/setup.sh
swift build -c release --scratch-path .build-release --product ledgerbot >&2
bin=.build-release/release/ledgerbot
work=$(mktemp -d)
server=""
pg_dir=""
cleanup() {
  [ -n "$server" ] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  [ -n "$pg_dir" ] && tools/postgres.sh stop "$pg_dir"
  rm -rf "$work" ${pg_dir:+"$pg_dir" "$pg_dir.initdb.log"}
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if [ -z "$url" ]; then
  pg_dir=$(mktemp -d /tmp/ledgerbot-bench-pg.XXXXXX)
  admin=$(tools/postgres.sh start "$pg_dir" "$(free_port)")
  psql "$admin" -qc "CREATE DATABASE ledger" -c "CREATE DATABASE pgbench" >/dev/null
  url="${admin%/postgres}/ledger"
  bench_url="${admin%/postgres}/pgbench"
else
  bench_url="$url"
fi
source tools/wrk-lib.sh
wrk_prepare "$work"

start_server() { # extra serve arguments...
  port=$(free_port)
  "$bin" serve --data "$work/data-$port" --port "$port" --log-level error "$@" 2>"$work/server.log" &
  server=$!
  for _ in $(seq 200); do grep -q "listening on" "$work/server.log" 2>/dev/null && return; sleep 0.1; done
  cat "$work/server.log" >&2; exit 1
}
stop_server() { kill -TERM "$server"; wait "$server" || true; server=""; }

printf '%-12s %6s %12s %9s %9s %8s\n' ledger conns "req/s" "p50 ms" "p99 ms" non-2xx
declare -A result
for backend in file postgres; do
  if [ "$backend" = file ]; then start_server; else start_server --ledger "$url"; fi
  for conns in 64 256; do
    read -r rps p50 p99 bad extra < <(wrk_run "http://127.0.0.1:$port/webhooks/chatwoot" "$conns" "$duration")
    result["$backend-$conns"]="$rps $p99"
    printf '%-12s %6s %12s %9s %9s %8s %s\n' "$backend" "$conns" "$rps" "$p50" "$p99" "$bad" "$extra"
  done
  stop_server
done
echo "PostgreSQL ledger after the run:" >&2
"$bin" ledger stats --ledger "$url" | sed -n '2p;5p' >&2

# pgbench: the same body size, one row per transaction, 256 clients.
PGOPTIONS='-c client_min_messages=warning' psql "$bench_url" -qc "DROP TABLE IF EXISTS bench_rows; CREATE TABLE bench_rows (id bigserial PRIMARY KEY, body bytea NOT NULL)" >/dev/null
body_bytes=$(wc -c < "$BODY_FILE")
echo "INSERT INTO bench_rows (body) VALUES (decode(repeat('7b', $body_bytes), 'hex'));" > "$work/insert.sql"
pg_tps=$(pgbench -n -c 256 -j 2 -T "$duration" -f "$work/insert.sql" "$bench_url" 2>/dev/null | python3 -c 'import re,sys; t=sys.stdin.read(); m=re.search(r"tps = ([\d.]+)", t); print(round(float(m.group(1))) if m else 0)')
printf '%-12s %6s %12s\n' pgbench 256 "$pg_tps"

python3 - "${result[file-256]}" "${result[postgres-256]}" "${result[file-64]}" "${result[postgres-64]}" "$pg_tps" <<'PY'
import sys
f256, fp99 = map(float, sys.argv[1].split()); p256, pp99 = map(float, sys.argv[2].split())
f64, _ = map(float, sys.argv[3].split()); p64, _ = map(float, sys.argv[4].split()); pgbench = float(sys.argv[5])
ratio = p256 / f256 if f256 else 0
print(f"{'PASS' if ratio >= 0.5 else 'MISS'}  PostgreSQL >= 50% of the file ledger at 256 connections")
print(f"postgres-bench: 256c postgres {p256:,.0f}/s vs file {f256:,.0f}/s = {ratio:.0%} (p99 {pp99:.1f} vs {fp99:.1f} ms); "
      f"64c {p64:,.0f} vs {f64:,.0f}/s; pgbench one-row inserts {pgbench:,.0f} tps "
      f"(ledgerbot on postgres = {p256 / pgbench:.1f}x of it)" if pgbench else "")
PY
