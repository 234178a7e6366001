#!/usr/bin/env bash
# Decision latency benchmark (issue #5): the release `ledgerbot serve` with a policy, durable
# (fsync) ledger, against a fake Chatwoot on loopback. Measures, per new conversation, the time
# from the webhook's 200 (durable) to the bot's first Chatwoot API call, next to two baselines
# from the same run (the webhook round trip, and a plain POST to the fake Chatwoot).
#
#   tools/bench-decision.sh [--count N] [--json FILE]      (default 300 conversations)
#   LEDGERBOT_BIN=path/to/ledgerbot tools/bench-decision.sh   (use an existing build)
#
# Target: decision p99 < 5 ms on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
count=300
json=()
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count="$2"; shift 2 ;;
    --json) json=(--json "$2"); shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 64 ;;
  esac
done
tools/setup.sh
if [ -z "${LEDGERBOT_BIN:-}" ]; then
  swift build -c release --scratch-path .build-release --product ledgerbot >&2
fi
bin=${LEDGERBOT_BIN:-.build-release/release/ledgerbot}
work=$(mktemp -d)
trap 'kill $bench $server 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 tools/decision-bench/bench.py --bot "http://127.0.0.1:$port/webhooks/chatwoot" --fake-port-file "$work/fake.port" \
  --fixtures Tests/Fixtures/chatwoot --count "$count" "${json[@]}" &
bench=$!
for _ in $(seq 100); do [ -s "$work/fake.port" ] && break; sleep 0.1; done
LEDGERBOT_CHATWOOT_TOKEN=bench-token "$bin" serve --data "$work/data" --port "$port" --policy examples/support-triage.yml \
  --chatwoot-url "http://127.0.0.1:$(cat "$work/fake.port")" --log-level error 2>"$work/server.log" &
server=$!
wait $bench
