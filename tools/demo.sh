#!/usr/bin/env bash
# The first command to try: builds Ledgerbot and runs `ledgerbot demo` — the Chatwoot simulator,
# sample company systems and the real bot on loopback, the four seed use cases, then a replay of
# every ledger. Arguments are passed to `ledgerbot demo` (e.g. --scenario booking, --interactive).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
swift build --product ledgerbot >&2
bin="$(swift build --show-bin-path)/ledgerbot"
exec "$bin" demo "$@"
