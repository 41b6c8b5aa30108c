#!/usr/bin/env bash
# Run the public Socket.IO v5 protocol test-suite against tools/conformance_server.py.
#
#   tools/conformance.sh SUITE_DIR [--impl socketio_rs|socketio_rs-serve|python-socketio] [mocha options...]
#
# SUITE_DIR is an already extracted copy of the socket.io monorepo's
# docs/socket.io-protocol/v5-test-suite (it is never committed here, and this script never
# downloads it). The script installs the suite's own pinned dependencies with `npm ci` when
# node_modules is missing, points the suite's hard-coded URL constant at $SIO_URL, starts the
# server on a free port of 127.0.0.1 and runs mocha. The exit status is mocha's.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
python="${PYTHON:-$root/.venv/bin/python}"

die() { echo "conformance: $*" >&2; exit 2; }

[ $# -ge 1 ] || die "usage: $0 SUITE_DIR [--impl socketio_rs|socketio_rs-serve|python-socketio] [mocha options...]"
suite="$1"; shift
[ -f "$suite/test-suite.js" ] && [ -f "$suite/package.json" ] \
  || die "'$suite' is not the v5 test-suite directory (no test-suite.js / package.json);" \
         "extract docs/socket.io-protocol/v5-test-suite from the socket.io repository first"
impl=socketio_rs
if [ "${1:-}" = "--impl" ]; then impl="${2:?--impl needs a value}"; shift 2; fi
command -v npm >/dev/null || die "npm is required"
[ -x "$python" ] || die "no Python at $python (run 'make dev' or set PYTHON)"

cd "$suite"
if [ ! -x node_modules/.bin/mocha ]; then npm ci --no-audit --no-fund; fi
# The suite hard-codes http://localhost:3000; read the URL from the environment instead.
sed -i 's|^const URL = "http://localhost:3000";|const URL = process.env.SIO_URL \|\| "http://localhost:3000";|' test-suite.js
grep -q 'process.env.SIO_URL' test-suite.js || die "could not find the URL constant in test-suite.js"

port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$python" "$here/conformance_server.py" --port "$port" --impl "$impl" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT

url="http://127.0.0.1:$port"
for _ in $(seq 100); do
  if "$python" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
    break
  fi
  kill -0 "$server" 2>/dev/null || die "the server exited before listening"
  sleep 0.1
done

echo "conformance: $impl on $url"
# --exit: a server that leaves a WebSocket open (python-engineio does, check #16) must not
# keep mocha waiting forever once the checks are done.
SIO_URL="$url" node_modules/.bin/mocha --exit test-suite.js "$@"
