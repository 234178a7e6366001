#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks: initdb + pg_ctl as an unprivileged
# user, listening on loopback only, fsync on (the durability we measure is the real one).
#
#   tools/postgres.sh start DIR [PORT]   prints the connection URL on stdout
#   tools/postgres.sh stop DIR
#
# PostgreSQL's server binaries come from Debian's `postgresql` package (tools/setup.sh installs
# it); they live under /usr/lib/postgresql/<version>/bin, which is not on PATH.
set -euo pipefail

bin_dir() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"; return
  fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$found" ] || { echo "postgres.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
  echo "$found"
}

# initdb refuses to run as root: run the server as `nobody` then (CI runs as root).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

command=${1:-}; dir=${2:-}
[ -n "$command" ] && [ -n "$dir" ] || { echo "usage: tools/postgres.sh start|stop DIR [PORT]" >&2; exit 64; }
bin=$(bin_dir)

case "$command" in
  start)
    port=${3:-55432}
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown nobody "$dir"
    chmod 700 "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir" -U ledgerbot --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 \
        || { cat "$dir.initdb.log" >&2; exit 1; }
    fi
    # Unix socket in the cluster directory (no /var/run needed); TCP on loopback only.
    as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=300 -c shared_buffers=256MB -c fsync=on -c synchronous_commit=on" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres://ledgerbot@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -f "$dir/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    ;;
  *)
    echo "usage: tools/postgres.sh start|stop DIR [PORT]" >&2; exit 64;;
esac
