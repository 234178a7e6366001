#!/usr/bin/env bash
# The first command to try: builds Ledgerbot and runs the main job on the embedded default.
# For now: a ledger round trip on the sample data in snapshots/ (import, verify, stats, export).
set -euo pipefail
caller="$(pwd)"
data="${1:-ledgerbot-data}"
case "$data" in /*) ;; *) data="$caller/$data" ;; esac
cd "$(dirname "$0")/.."
tools/setup.sh
swift build --product ledgerbot >&2
bin="$(swift build --show-bin-path)/ledgerbot"
if [ -e "$data/ledger" ]; then
  echo "demo: reusing the ledger in $data (appending, never clobbering)" >&2
else
  echo "demo: creating a fresh ledger in $data" >&2
fi
"$bin" ledger import --data "$data" --input snapshots/sample-ledger.jsonl
"$bin" ledger verify --data "$data"
"$bin" ledger stats --data "$data"
echo
echo "next: $bin ledger export --data $data | head -3"
echo "      $bin --help"
