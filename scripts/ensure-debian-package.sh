#!/usr/bin/env bash
# Install a Debian package the tests need when the command it provides is missing.
#   scripts/ensure-debian-package.sh PACKAGE CHECK-COMMAND
# The tests start the programs themselves (PostgreSQL on 127.0.0.1, Chromium headless).
set -euo pipefail
package=$1
check=$2
if bash -c "$check" >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "$package is not installed: run 'sudo apt-get install $package'" >&2
  exit 1
fi
echo "installing Debian's $package for the tests"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
