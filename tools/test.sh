#!/usr/bin/env bash
# The test command: installs system packages if missing, builds, starts a throwaway PostgreSQL
# cluster for the PostgreSQL ledger tests, runs every test, stops the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
swift build --build-tests

pg_dir=$(mktemp -d /tmp/ledgerbot-test-pg.XXXXXX)
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 55433)
cleanup() { tools/postgres.sh stop "$pg_dir" || true; rm -rf "$pg_dir" "$pg_dir.initdb.log"; }
trap cleanup EXIT
export LEDGERBOT_TEST_POSTGRES
LEDGERBOT_TEST_POSTGRES=$(tools/postgres.sh start "$pg_dir" "$pg_port")
# The PostgreSQL variants of the tests must run here, not be skipped.
export LEDGERBOT_REQUIRE_POSTGRES=1
echo "test: PostgreSQL $LEDGERBOT_TEST_POSTGRES (throwaway cluster in $pg_dir)" >&2
swift test --skip-build "$@"
