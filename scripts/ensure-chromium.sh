#!/usr/bin/env bash
# Make sure Debian's chromium is installed for the Label Studio browser test (Playwright drives
# it through executable_path; Playwright's own browser download is not used).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is not installed: run 'sudo apt-get install chromium'" >&2
  exit 1
fi
echo "installing Debian's chromium for the browser test"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
