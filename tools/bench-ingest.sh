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
if ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
swift build -c release --scratch-path .build-release --product ledgerbot >&2
bin=.build-release/release/ledgerbot
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --data "$work/data" --port "$port" --enable-noop-route --log-level error 2>"$work/server.log" &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$work/server.log" 2>/dev/null && break; sleep 0.1; done
cat > "$work/post.lua" <<'LUA'
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args) prefix = os.getenv("RUN_ID") .. "-" .. tid .. "-"; counter = 0 end
function request()
  counter = counter + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-Chatwoot-Delivery"] = prefix .. counter}, body)
end
LUA
export BODY_FILE="Tests/Fixtures/chatwoot/webhook-message_created-incoming.json"
run() { # route connections -> "req/s p50 p99 non2xx"
  RUN_ID="$1-$2-$RANDOM" wrk -t2 -c"$2" -d"${duration}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port$1" > "$work/wrk.out" 2>&1
  python3 - "$work/wrk.out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    if not m: sys.exit(f"cannot read wrk latency {v!r} in:\n{text}")
    n, u = float(m.group(1)), m.group(2)
    return n / 1000 if u == "us" else n * 1000 if u == "s" else n * 60000 if u == "m" else n
found = re.search(r"Requests/sec:\s+([\d.]+)", text)
if not found: sys.exit(f"wrk printed no rate:\n{text}")
rps = float(found.group(1))
p50 = ms(re.search(r"50%\s+(\S+)", text).group(1)); p99 = ms(re.search(r"99%\s+(\S+)", text).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text); errs = re.search(r"Socket errors: (.*)", text)
print(f"{rps:.0f} {p50:.2f} {p99:.2f} {bad.group(1) if bad else 0} {'errors:' + errs.group(1).replace(' ', '') if errs else ''}")
PY
}
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
