#!/usr/bin/env bash
# An arm64 CPython that runs on this x86_64 machine under qemu-user, for the aarch64 wheel's
# install test (tests/test_wheel_install.py, run by `make test-wheels`).
#
# Debian's arm64 python3.11 cannot be installed beside the amd64 one (its packages are not
# multi-arch co-installable), so its packages and their libraries are downloaded and unpacked
# into a root of their own, DIR (default target/arm64-python), and run with
# `qemu-aarch64-static -L DIR DIR/usr/bin/python3.11`. Needs qemu-user-static and arm64 as a
# dpkg architecture, which it adds (as root, or through sudo). Prints DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=$(realpath -m "${1:-target/arm64-python}")
PYTHON=python3.11
if [ -x "$DIR/usr/bin/$PYTHON" ] && command -v qemu-aarch64-static >/dev/null 2>&1; then
  echo "$DIR"
  exit 0
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  if [ "$(id -u)" = 0 ]; then dpkg --add-architecture arm64; else sudo dpkg --add-architecture arm64; fi
fi
# (apt-install.sh updates the package lists first: arm64's too, from here on)
tools/apt-install.sh qemu-user-static
# The arm64 packages python3.11 and its venv module need, their libraries included; the
# architecture-independent wheels of pip and setuptools for ensurepip's place.
packages=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances --no-pre-depends "$PYTHON:arm64" "$PYTHON-venv:arm64" \
  | grep -E '^[a-z0-9.+-]+:arm64$' \
  | grep -vE '^(dpkg|install-info|tar|openssl|perl[a-z0-9.-]*):arm64$' | sort -u)
debs=$(mktemp -d)
trap 'rm -rf "$debs"' EXIT
# (apt warns that it downloads as root rather than as _apt into this directory: harmless)
(cd "$debs" && apt-get download -qq $packages python3-pip-whl python3-setuptools-whl)
rm -rf "$DIR"
mkdir -p "$DIR"
for deb in "$debs"/*.deb; do
  dpkg-deb -x "$deb" "$DIR"
done
qemu-aarch64-static -L "$DIR" "$DIR/usr/bin/$PYTHON" -c "import platform, ssl; assert platform.machine() == 'aarch64'"
echo "$DIR"
