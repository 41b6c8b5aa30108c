#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium (or $CHROMIUM) for the demo's browser
# test (tests/test_demo.py): Playwright drives that binary and never downloads a browser of
# its own. Installs the Debian package when it is missing (as root, or through sudo).
set -euo pipefail
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$CHROMIUM is missing and there is no apt-get: install Chromium and set CHROMIUM to its path" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "installing chromium (Debian package)"
$SUDO apt-get update -qq
# A font of its own, so that screenshots have readable text on a bare machine.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  chromium fonts-dejavu-core >/dev/null
# (the Debian launcher's /dev/shm check can print a shell error on stderr: harmless)
"$CHROMIUM" --version 2>/dev/null
