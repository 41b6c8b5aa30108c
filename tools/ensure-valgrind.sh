#!/usr/bin/env bash
# Make sure `valgrind` is on PATH for `make bench-layer` (benches/layer_bench.py counts
# instructions with callgrind). Without it the benchmark falls back to CPU time.
set -euo pipefail
if ! command -v valgrind >/dev/null 2>&1; then
  "$(dirname "$0")/apt-install.sh" valgrind || echo "bench-layer measures CPU time instead" >&2
fi
