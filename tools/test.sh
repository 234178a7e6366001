#!/usr/bin/env bash
# The test command: installs system packages if missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
swift build --build-tests
exec swift test --skip-build "$@"
