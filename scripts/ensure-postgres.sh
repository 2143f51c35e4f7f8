#!/usr/bin/env bash
# Make sure Debian's PostgreSQL server binaries are installed; the test setup starts a private
# server on 127.0.0.1 (tests/conftest.py). Set CURATE_TEST_PG_URL to use a running server instead.
set -euo pipefail
if [ -n "${CURATE_TEST_PG_URL:-}" ]; then exit 0; fi
if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "PostgreSQL is not installed: run 'sudo apt-get install postgresql' or set CURATE_TEST_PG_URL" >&2
  exit 1
fi
echo "installing Debian's postgresql for the store tests"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
