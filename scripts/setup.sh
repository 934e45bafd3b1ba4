#!/usr/bin/env bash
# Creates .venv with the grader and its test tools. Installs bubblewrap (the sandbox's isolation) when it can.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq bubblewrap) >/dev/null 2>&1 \
      || echo "warning: could not install bubblewrap; grading falls back to process isolation" >&2
  else
    echo "note: install bubblewrap (e.g. 'sudo apt-get install bubblewrap') for full isolation" >&2
  fi
fi
python3 -m venv .venv
# torch is pinned so that pip takes the CPU wheel; an unpinned torch pulls a CUDA build of several GB.
# The nbgrader extra: tests/test_nbgrader.py runs the real `nbgrader generate_assignment` and a Jupyter kernel.
# (Some machines' pip configuration names local package folders that may be absent: those warnings are noise.)
.venv/bin/pip install --quiet --disable-pip-version-check "torch==2.13.0" -e ".[dev,nbgrader]" \
  2> >(grep -v "^WARNING: Location 'file://" >&2)
