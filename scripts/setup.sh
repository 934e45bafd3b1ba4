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
# torch: PyTorch's CPU-only build from its own index (about 190 MB), because PyPI's torch for Linux x86_64 is
# the CUDA build (about 530 MB, plus 2.2 GB of nvidia-* and triton packages) and grading needs no GPU.
# GRADER_TORCH_INDEX names another index (a CUDA one such as https://download.pytorch.org/whl/cu130 on a GPU
# machine), or "" for PyPI's default. Where the index cannot be reached, torch comes from PyPI, or from local
# wheels this machine's pip configuration adds; the second install keeps a torch==2.13.0 already there.
torch_index="${GRADER_TORCH_INDEX-https://download.pytorch.org/whl/cpu}"
if [ -n "$torch_index" ] && ! .venv/bin/pip install --quiet --disable-pip-version-check --timeout 20 \
  --retries 1 --index-url "$torch_index" "torch==2.13.0" 2>/dev/null; then
  echo "note: torch==2.13.0 could not be installed from $torch_index; it comes from PyPI instead" >&2
fi
# The nbgrader extra: tests/test_nbgrader.py runs the real `nbgrader generate_assignment` and a Jupyter kernel.
# The similarity extra: copydetect, for `grader similarity` and `grader batch --similarity`.
# (Some machines' pip configuration names local package folders that may be absent: those warnings are noise.)
.venv/bin/pip install --quiet --disable-pip-version-check "torch==2.13.0" -e ".[dev,nbgrader,similarity]" \
  2> >(grep -v "^WARNING: Location 'file://" >&2)
