#!/usr/bin/env bash
# Make sure `redis-server` is on PATH for the scale-out tests and benchmark
# (tests/test_redis_cluster.py, benches/bench_redis.py): install the Debian
# package when it is missing.
set -euo pipefail
if ! command -v redis-server >/dev/null 2>&1; then
  # The package may start a system-wide instance on 6379; the tests start their own.
  "$(dirname "$0")/apt-install.sh" redis-server
fi
command -v redis-server
