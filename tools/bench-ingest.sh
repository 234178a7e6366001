#!/usr/bin/env bash
# Webhook ingest benchmark: wrk posts the incoming-message fixture (a unique X-Chatwoot-Delivery
# per request) to POST /webhooks/chatwoot with fsync durability, and to a no-op route of the same
# server build, at 64 and 256 connections, in one run. Prints a table and one summary line.
#
#   tools/bench-ingest.sh [--duration SECONDS]      (default 10)
#
# Targets (issue #4): >= 15,000 deliveries/s at 256 connections, >= 40% of the no-op route, p99 < 20 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=10
[ "${1:-}" = "--duration" ] && duration="$2"
tools/setup.sh
swift build -c release --scratch-path .build-release --product ledgerbot >&2
bin=.build-release/release/ledgerbot
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --data "$work/data" --port "$port" --enable-noop-route --log-level error 2>"$work/server.log" &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$work/server.log" 2>/dev/null && break; sleep 0.1; done
source tools/wrk-lib.sh
wrk_prepare "$work"
run() { wrk_run "http://127.0.0.1:$port$1" "$2" "$duration"; } # route connections -> "req/s p50 p99 non2xx"
"$bin" --version >/dev/null
printf '%-22s %6s %12s %9s %9s %8s\n' route conns "req/s" "p50 ms" "p99 ms" non-2xx
declare -A result
for conns in 64 256; do
  for route in /bench/noop /webhooks/chatwoot; do
    read -r rps p50 p99 bad extra < <(run "$route" "$conns")
    result["$route-$conns"]="$rps $p99"
    printf '%-22s %6s %12s %9s %9s %8s %s\n' "$route" "$conns" "$rps" "$p50" "$p99" "$bad" "$extra"
  done
done
kill -TERM $server; wait $server || true
stored=$("$bin" ledger stats --data "$work/data" --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["events_by_type"].get("webhook.received",0), round(d["compression_ratio"],1))')
echo "ledger after the run: webhook.received events and compression ratio: $stored"
python3 - "${result[/webhooks/chatwoot-256]}" "${result[/bench/noop-256]}" "${result[/webhooks/chatwoot-64]}" <<'PY'
import sys
w_rps, w_p99 = map(float, sys.argv[1].split()); n_rps, _ = map(float, sys.argv[2].split()); w64_rps, w64_p99 = map(float, sys.argv[3].split())
ratio = w_rps / n_rps
checks = [("256 conns >= 15,000/s", w_rps >= 15000), ("256 conns >= 40% of no-op", ratio >= 0.40), ("p99 < 20 ms at 256", w_p99 < 20)]
for name, ok in checks: print(f"{'PASS' if ok else 'MISS'}  {name}")
print(f"ingest-bench: webhook 256c {w_rps:,.0f}/s ({ratio:.0%} of no-op {n_rps:,.0f}/s), p99 {w_p99:.1f} ms; 64c {w64_rps:,.0f}/s p99 {w64_p99:.1f} ms — {sum(ok for _, ok in checks)}/{len(checks)} targets met")
PY
