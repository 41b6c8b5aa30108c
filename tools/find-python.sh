#!/usr/bin/env bash
# Print the path of the Python interpreter NAME (python3.9, python3.13...): on PATH, else
# among pyenv's versions. Prints nothing and fails when this machine has none.
set -euo pipefail
name=$1
if "$name" -c "" >/dev/null 2>&1; then command -v "$name"; exit 0; fi
if command -v pyenv >/dev/null 2>&1; then
  for candidate in "$(pyenv root)"/versions/*/bin/"$name"; do
    [ -x "$candidate" ] && { echo "$candidate"; exit 0; }
  done
fi
exit 1
