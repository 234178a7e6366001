#!/usr/bin/env bash
# Builds ledger-bench in release mode in its own scratch folder and runs it.
# Arguments pass through, e.g.:
#   tools/bench-ledger.sh --quick
#   tools/bench-ledger.sh --json bench.json           # full 200k-event run
#   tools/bench-ledger.sh --sweep --dir /var/tmp      # + compression levels 1/3, no index, frame table
# The report goes to stdout, build output and progress to stderr.
# LEDGER_BENCH_SCRATCH overrides the build folder (default: <repo>/.build-bench, git-ignored).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="${LEDGER_BENCH_SCRATCH:-$root/.build-bench}"
swift build -c release --package-path "$root" --scratch-path "$scratch" --product ledger-bench >&2
exec "$scratch/release/ledger-bench" "$@"
