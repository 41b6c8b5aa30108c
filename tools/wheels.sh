#!/usr/bin/env bash
# `make wheels`: the sdist and the four abi3 wheels a release uploads, into target/dist, each
# checked. One after another: each build uses both cores for its link-time optimisation.
#
# The wheels are cross-compiled from this machine: rustup adds each target's standard library,
# and zig (the `ziglang` package from the lock) links against the oldest glibc or the musl that
# the wheel's platform tag promises, so no manylinux container or cross toolchain is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
DIST=target/dist
# The venv's Python first on PATH: maturin finds zig as `python -m ziglang`.
export PATH="$PWD/$VENV/bin:$PATH"

# target triple, then the platform tag its wheel carries
WHEELS=(
  "x86_64-unknown-linux-gnu manylinux2014"
  "aarch64-unknown-linux-gnu manylinux2014"
  "x86_64-unknown-linux-musl musllinux_1_2"
  "aarch64-unknown-linux-musl musllinux_1_2"
)

rm -rf "$DIST"
maturin sdist --out "$DIST"
for wheel in "${WHEELS[@]}"; do
  read -r triple compatibility <<<"$wheel"
  rustup target add "$triple" >/dev/null 2>&1 || rustup target list --installed | grep -qx "$triple" \
    || { echo "wheels: rustup cannot add $triple" >&2; exit 1; }
  echo "wheels: $triple ($compatibility)"
  maturin build --release --quiet --zig --target "$triple" --compatibility "$compatibility" \
    --out "$DIST"
done
for wheel in "$DIST"/*musllinux*.whl; do
  python tools/musl_libc.py "$wheel"
done
python tools/check_dist.py "$DIST"
