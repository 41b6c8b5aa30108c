#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium (or $CHROMIUM) for the demo's browser
# test (tests/test_demo.py): Playwright drives that binary and never downloads a browser of
# its own. Installs the Debian package when it is missing.
set -euo pipefail
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
# A font of its own, so that screenshots have readable text on a bare machine.
"$(dirname "$0")/apt-install.sh" chromium fonts-dejavu-core
# (the Debian launcher's /dev/shm check can print a shell error on stderr: harmless)
"$CHROMIUM" --version 2>/dev/null
