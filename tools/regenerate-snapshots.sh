#!/usr/bin/env bash
# Regenerates snapshots/: a golden ledger per demo scenario (JSON Lines, as `ledgerbot ledger
# export` writes it) and the expected output of `replay`, `audit` and `summary` on it (plus, for
# support-triage, `replay --policy examples/support-triage-v2.yml`). SnapshotTests replays them
# and compares byte for byte: a change of behaviour means running this and reviewing the diff
# in the commit.
#
#   tools/regenerate-snapshots.sh                  records new ledgers with the demo, then the outputs
#   tools/regenerate-snapshots.sh --outputs-only   keeps the ledgers, regenerates the outputs (a change
#                                                  of how outputs read, reviewable line by line)
set -euo pipefail
outputs_only=false
[ "${1:-}" = "--outputs-only" ] && outputs_only=true
cd "$(dirname "$0")/.."
tools/setup.sh
swift build --product ledgerbot >&2
bin="$(swift build --show-bin-path)/ledgerbot"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$outputs_only || "$bin" demo --data "$work/demo" --no-color > "$work/demo.txt"
for scenario in support-triage ecommerce-orders news-recommendations booking; do
  out="snapshots/$scenario"
  mkdir -p "$out"
  $outputs_only || "$bin" ledger export --data "$work/demo/$scenario" --output "$out/ledger.jsonl"
  # The expected outputs come from the imported copy, exactly as the test will see it.
  "$bin" ledger import --data "$work/check-$scenario" --input "$out/ledger.jsonl" > /dev/null
  data="$work/check-$scenario"
  conversation=$(python3 -c '
import json, sys
streams = [json.loads(line)["stream"] for line in open(sys.argv[1])]
print(next(s.split("/")[1] for s in streams if "/" in s and not s.startswith("?")))' "$out/ledger.jsonl")
  echo "$conversation" > "$out/conversation"
  "$bin" replay --data "$data" > "$out/replay.txt"
  "$bin" audit --data "$data" --conversation "$conversation" > "$out/audit.txt"
  "$bin" summary --data "$data" --conversation "$conversation" > "$out/summary.txt"
  "$bin" summary --data "$data" --conversation "$conversation" --format json > "$out/summary.json"
  if [ "$scenario" = support-triage ]; then
    "$bin" replay --data "$data" --policy examples/support-triage-v2.yml > "$out/replay-v2.txt" || [ $? -eq 1 ]
  fi
  echo "snapshots/$scenario: $(wc -l < "$out/ledger.jsonl") events, conversation $conversation"
done
