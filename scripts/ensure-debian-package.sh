#!/usr/bin/env bash
# Install the Debian packages the tests need whose command is missing, in one apt-get run.
#   scripts/ensure-debian-package.sh PACKAGE CHECK-COMMAND [PACKAGE CHECK-COMMAND ...]
# The tests start the programs themselves (PostgreSQL on 127.0.0.1, Chromium headless).
set -euo pipefail
missing=()
while [ $# -ge 2 ]; do
  bash -c "$2" >/dev/null 2>&1 || missing+=("$1")
  shift 2
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "${missing[*]} not installed: run 'sudo apt-get install ${missing[*]}'" >&2
  exit 1
fi
echo "installing Debian's ${missing[*]} for the tests"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
