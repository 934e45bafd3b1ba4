#!/usr/bin/env bash
# Quickstart 1: set up, then grade the bundled sample submissions and print their scores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/grader demo
