#!/usr/bin/env bash
# Make sure `redis-server` is on PATH for the scale-out tests and benchmark
# (tests/test_redis_cluster.py, benches/bench_redis.py): install the Debian
# package when it is missing (as root, or through sudo).
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is missing and there is no apt-get: install Redis 6+ and put redis-server on PATH" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "installing redis-server (Debian package)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
# The package may start a system-wide instance on 6379; the tests start their own.
command -v redis-server
