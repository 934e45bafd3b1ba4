#!/usr/bin/env bash
# Quickstart 2: set up, then lint and run the whole test suite (two workers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The feedback pages are tested in a real headless browser: Debian's Chromium (no browser download).
if ! command -v chromium-headless-shell >/dev/null 2>&1 && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium-headless-shell) >/dev/null 2>&1 \
      || echo "warning: could not install chromium-headless-shell; the browser tests will fail" >&2
  else
    echo "note: install Chromium (e.g. 'sudo apt-get install chromium-headless-shell') for the browser tests" >&2
  fi
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest -n 2 "$@"
