#!/usr/bin/env bash
# Tests Ledgerbot's web pages in a real headless Chromium (Debian's), not by matching strings in
# the server's output: the audit pages (/conversations, /conversations/{id}) and the Chatwoot
# Dashboard App (/dashboard-app) inside a cross-origin iframe. See tools/browser-check/README.md.
#
#   tools/browser-check.sh [--driver auto|playwright|cdp] [--screenshots DIR] [--no-build]
set -euo pipefail

usage() {
  cat <<'EOF'
usage: tools/browser-check.sh [--driver auto|playwright|cdp] [--screenshots DIR] [--no-build]

Records the support-triage demo conversation (128, account 1) into a temporary data directory,
starts `ledgerbot serve` on it with a random LEDGERBOT_ADMIN_TOKEN on a free port, starts a
Chatwoot stand-in on another origin (tools/browser-check/chatwoot-host.html, which embeds the
dashboard app in an iframe and answers its fetch-info request with appContext), then runs
tools/browser-check/check.py in headless Chromium: one PASS/FAIL line per check.

  --driver D         playwright: Playwright driving the system Chromium; cdp: the bare
                     DevTools protocol over a websocket; auto (default): Playwright, and the
                     DevTools protocol if Playwright cannot drive the installed Chromium
  --screenshots DIR  also save PNG screenshots of the pages in DIR
  --no-build         use the ledgerbot binary already built (debug)
  -h, --help         this help

Installs on first use: Debian's chromium (apt-get) and a virtualenv .build-browser-venv/ with
playwright and websocket-client from PyPI (no `playwright install`: no browser is downloaded).
Exit status: 0 all checks passed; 1 a check failed; 2 the setup failed.
EOF
}

driver=auto
screenshots=""
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --driver) [ $# -ge 2 ] || { echo "browser-check: --driver needs a value" >&2; exit 2; }; driver="$2"; shift 2 ;;
    --driver=*) driver="${1#--driver=}"; shift ;;
    --screenshots) [ $# -ge 2 ] || { echo "browser-check: --screenshots needs a DIR" >&2; exit 2; }; screenshots="$2"; shift 2 ;;
    --screenshots=*) screenshots="${1#--screenshots=}"; shift ;;
    --no-build) build=0; shift ;;
    *) echo "browser-check: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$driver" in auto|playwright|cdp) ;; *) echo "browser-check: --driver must be auto, playwright or cdp" >&2; exit 2 ;; esac
if [ -n "$screenshots" ]; then
  mkdir -p "$screenshots"
  screenshots=$(cd "$screenshots" && pwd)
fi

cd "$(dirname "$0")/.."
root=$PWD
say() { echo "browser-check: $*" >&2; }

# ---- what it needs --------------------------------------------------------------------------
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
if ! command -v chromium >/dev/null 2>&1; then
  say "installing chromium (apt-get)"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
chromium=$(command -v chromium)

venv=.build-browser-venv
py="$venv/bin/python"
if [ ! -x "$py" ]; then
  say "creating $venv"
  python3 -m venv "$venv"
fi
if ! "$py" -c 'import websocket' 2>/dev/null; then
  say "installing websocket-client into $venv"
  "$py" -m pip install -q websocket-client >&2
fi
if [ "$driver" != cdp ] && ! "$py" -c 'import playwright.sync_api' 2>/dev/null; then
  say "installing playwright into $venv (the browser is Debian's chromium: no playwright install)"
  if ! "$py" -m pip install -q playwright >&2; then
    [ "$driver" = playwright ] && { say "cannot install playwright"; exit 2; }
    say "cannot install playwright; using the DevTools protocol"
    driver=cdp
  fi
fi

if [ "$build" -eq 1 ]; then
  tools/setup.sh
  swift build --product ledgerbot >&2
fi
bin="$(swift build --show-bin-path)/ledgerbot"
[ -x "$bin" ] || { say "no $bin (run without --no-build)"; exit 2; }

# ---- processes, cleaned up on exit ----------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/browser-check.XXXXXX")
pids=()
cleanup() {
  local i pid
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[$i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits for "listening on http://127.0.0.1:PORT" in LOG from process PID; prints the URL.
listening_url() {
  local log=$1 pid=$2 what=$3 url=""
  for _ in $(seq 1 300); do
    url=$(sed -n 's/.*listening on \(http:\/\/127\.0\.0\.1:[0-9][0-9]*\).*/\1/p' "$log" | head -1)
    [ -n "$url" ] && { echo "$url"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  say "$what did not start:"; sed 's/^/  /' "$log" >&2
  return 1
}

say "recording the support-triage demo conversation"
demo_status=0
"$bin" demo --data "$work/demo" --scenario support-triage --no-color > "$work/demo.log" 2>&1 || demo_status=$?
data="$work/demo/support-triage"
if ! "$bin" audit --data "$data" --conversation 128 > "$work/audit.txt" 2>&1; then
  say "ledgerbot demo exited $demo_status and conversation 128 is not in its ledger:"
  tail -20 "$work/demo.log" | sed 's/^/  /' >&2; sed 's/^/  /' "$work/audit.txt" >&2
  exit 2
fi
if [ "$demo_status" -ne 0 ]; then
  # The pages are what is checked here: go on with what the demo recorded, but say so.
  say "warning: ledgerbot demo exited $demo_status ($(grep -i 'error' "$work/demo.log" | tail -1)); conversation 128 is recorded, going on"
fi

token=$("$py" -c 'import secrets; print(secrets.token_hex(16))')
LEDGERBOT_ADMIN_TOKEN="$token" "$bin" serve --data "$data" --port 0 --log-level error > "$work/serve.log" 2>&1 &
pids+=($!)
base=$(listening_url "$work/serve.log" "${pids[-1]}" "ledgerbot serve") || exit 2

"$py" tools/browser-check/host_server.py > "$work/host.log" 2>&1 &
pids+=($!)
host=$(listening_url "$work/host.log" "${pids[-1]}" "the Chatwoot stand-in") || exit 2
# "localhost" rather than 127.0.0.1: another port and another site, as Chatwoot would be.
host=${host/127.0.0.1/localhost}
say "ledgerbot at $base, the Chatwoot stand-in at $host, chromium at $chromium"

args=(--base "$base" --token "$token" --host "$host" --chromium "$chromium" --driver "$driver"
      --fixture "$root/Tests/Fixtures/chatwoot/webhook-message_created-incoming.json")
[ -n "$screenshots" ] && args+=(--screenshots "$screenshots")
# In the background, so that a signal to this script cleans up at once (check.py closes its
# browser on SIGTERM).
"$py" tools/browser-check/check.py "${args[@]}" &
pids+=($!)
status=0
wait "${pids[-1]}" || status=$?
if [ "$status" -ne 0 ] && [ -s "$work/serve.log" ]; then
  say "ledgerbot serve said:"; tail -20 "$work/serve.log" | sed 's/^/  /' >&2
fi
exit "$status"
