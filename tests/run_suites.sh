#!/usr/bin/env bash
# The suite on SQLite (with the browser tests) and, when TEST_DATABASE_URL is set, the suite again on
# PostgreSQL (only the tests that use the database, without the browser tests) — at the same time, since each mostly waits on its own database and the
# machine has two cores. They share nothing: the SQLite pass ignores TEST_DATABASE_URL, and the
# PostgreSQL pass's worker tests use their own Redis database (TEST_REDIS_URL_PG, default db 14).
# Usage: tests/run_suites.sh PYTHON
set -uo pipefail
python="$1"
log="$(mktemp -t portal-postgresql-XXXX.log)"
pg_pid=""
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "== on PostgreSQL ($TEST_DATABASE_URL), in the background: its output follows the SQLite pass"
  TEST_REDIS_URL="${TEST_REDIS_URL_PG:-redis://127.0.0.1:6379/14}" \
    "$python" -m pytest -m "not browser" -p no:cacheprovider -q --durations=15 >"$log" 2>&1 &
  pg_pid=$!
fi
echo "== on SQLite"
env -u TEST_DATABASE_URL "$python" -m pytest --durations=15
sqlite_status=$?
pg_status=0
if [ -n "$pg_pid" ]; then
  wait "$pg_pid"
  pg_status=$?
  echo "== PostgreSQL pass (exit $pg_status)"
  cat "$log"
fi
rm -f "$log"
[ "$sqlite_status" -eq 0 ] && [ "$pg_status" -eq 0 ]
