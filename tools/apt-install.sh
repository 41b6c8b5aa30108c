#!/usr/bin/env bash
# Install Debian packages (as root, or through sudo), quietly: the tools/ensure-*.sh
# scripts call it for what a test or benchmark needs and the machine lacks.
# Usage: tools/apt-install.sh PACKAGE...
set -euo pipefail
if ! command -v apt-get >/dev/null 2>&1; then
  echo "no apt-get here: install $* yourself" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "installing $* (Debian packages)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
