#!/usr/bin/env bash
# Installs the HTTP/3 test server's Python packages (aioquic, pinned in
# __test__/helpers/h3-requirements.txt) into a virtual environment under node_modules/.cache
# (gone with the next `npm ci`, like everything npm installs). Skips the work when that
# environment already has exactly these packages. Needs python3 (3.11 or later: aioquic 1.7) with venv.
#
#   bash scripts/h3-server.sh     prints the environment's python, after installing if needed
set -euo pipefail
cd "$(dirname "$0")/.."

venv=node_modules/.cache/upload-task-h3
requirements=__test__/helpers/h3-requirements.txt

if ! cmp -s "$requirements" "$venv/installed.txt" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
  cp "$requirements" "$venv/installed.txt"
fi
echo "$PWD/$venv/bin/python"
