#!/usr/bin/env bash
# Installs what Ledgerbot needs to build and test on a fresh Debian machine (as root, no prompts).
# Swift itself must already be on PATH (the machine image provides /opt/swift).
set -euo pipefail
# bsdutils: `script`, which the interactive-demo test uses for a pseudo-terminal.
# postgresql: the server binaries for the throwaway cluster the PostgreSQL ledger tests use
# (tools/postgres.sh; Debian's package also starts a system cluster, which we do not use).
packages=(libsqlite3-dev zlib1g-dev bsdutils postgresql)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (expected Swift 6.3 at /opt/swift)" >&2; exit 1; }
