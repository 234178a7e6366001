#!/usr/bin/env bash
# Replay throughput on a large generated ledger (issue #7): records a ledger of at least
# EVENTS events (default 1,000,000) once — the real bot with examples/support-triage.yml
# against the Chatwoot simulator and the sample backends, many customers at once — then, in a
# fresh process, reads it raw and replays it on one core, printing events/s of each, replay as a
# share of raw reading, and peak resident memory; then, in another process, replays it with the
# second thread that reads ahead (the default on two cores), with the default bound on conversation
# states in memory and without it.
#
#   tools/bench-replay.sh [EVENTS]
#
# The generated ledger is kept in .build-bench/replay-ledger-EVENTS (git-ignored) and reused;
# delete it to record a new one. The golden-ledger variant: swift run -c release replay-bench.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
events="${1:-1000000}"
scratch="${LEDGER_BENCH_SCRATCH:-$root/.build-bench}"
"$root/tools/setup.sh"
swift build -c release --package-path "$root" --scratch-path "$scratch" --product replay-bench >&2
bench="$scratch/release/replay-bench"
ledger="$scratch/replay-ledger-$events"
if [ ! -f "$ledger/ledger/LEDGER" ]; then
  rm -rf "$ledger.partial"
  "$bench" --generate "$events" --out "$ledger.partial"
  mv "$ledger.partial" "$ledger"
else
  echo "reusing the generated ledger in $ledger" >&2
fi
"$bench" --ledger "$ledger"
# Then, in a process of its own (its peak memory its own), the default on two cores: the ledger
# read ahead on a second thread.
"$bench" --ledger "$ledger" --threads 2
# And the same keeping every conversation state in memory (`replay --resident-conversations 0`):
# what the spill to disk costs, and what it saves in memory.
"$bench" --ledger "$ledger" --threads 2 --resident 0
