#!/usr/bin/env bash
# pg_fixture.sh — a throwaway PostgreSQL 15 cluster on loopback for tests.
#
#   tests/support/pg_fixture.sh start DIR   # prints postgresql://postgres@127.0.0.1:PORT/postgres
#   tests/support/pg_fixture.sh stop DIR
#   tests/support/pg_fixture.sh down DIR    # stops the server, keeps its data (an outage)
#   tests/support/pg_fixture.sh up DIR      # starts it again on the same port
#   tests/support/pg_fixture.sh pause DIR   # SIGSTOP to every process of it: a storage that hangs
#   tests/support/pg_fixture.sh resume DIR  # SIGCONT: it answers again, nothing lost
#
# DIR must not exist yet (start creates it). fsync is off: the tests are about Cohort's logic,
# not the disk (so figures taken on this fixture are not durable-commit figures); PG_FSYNC=on
# in the environment of `start`/`up` turns it on, for benchmarks of durable commits. PostgreSQL refuses to run as root, so as root the
# cluster belongs to the `postgres` user (Debian's package creates it). Readiness is polled with
# pg_isready against a deadline, never a fixed sleep. Loopback only; trust auth on 127.0.0.1.
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
cmd=${1:?start|stop|down|up|pause|resume}
dir=${2:?DIR}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    echo "$port" >"$dir/port"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1
    "$0" up "$dir"
    ;;
  up)
    port=$(cat "$dir/port")
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "-k $dir -p $port -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-off}" start >/dev/null
    for _ in $(seq 1 100); do  # up to 10 s
      if "$bin/pg_isready" -h 127.0.0.1 -p "$port" -q; then
        echo "postgresql://postgres@127.0.0.1:$port/postgres"
        exit 0
      fi
      sleep 0.1
    done
    echo "pg_fixture: PostgreSQL did not become ready within 10 s; see $dir/server.log" >&2
    exit 1
    ;;
  down)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null
    ;;
  pause | resume)
    sig=$([ "$cmd" = pause ] && echo STOP || echo CONT)
    [ -f "$dir/data/postmaster.pid" ] || exit 0  # not running: nothing to pause or resume
    pid=$(head -n 1 "$dir/data/postmaster.pid")
    kill -s "$sig" "$pid"
    pkill -"$sig" -P "$pid" || true
    ;;
  stop)
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop|down|up|pause|resume DIR" >&2; exit 2 ;;
esac
