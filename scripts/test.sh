#!/usr/bin/env bash
# Quickstart 2: set up, then lint and run the whole test suite (two workers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest -n 2 "$@"
