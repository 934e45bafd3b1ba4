#!/usr/bin/env bash
# Every CUDA path in one command, for whoever has a GPU; it stops within 10 minutes:
#   1. setup      scripts/setup.sh with torch from PyTorch's CUDA index (GRADER_TORCH_INDEX, default cu130; skip
#                 with --no-setup to use an existing .venv, or PYTHON=/path/to/python)
#   2. tests      the tests marked `cuda` (pytest -m cuda)
#   3. grading    `grader run solutions/<assignment> --device cuda` for every assignment: each must score 100
#   4. parity     scripts/gpu_check.py: each reference model on the CPU and on CUDA, outputs and gradients
#                 within the tolerances the script states
#   5. training   scripts/gpu_check.py: hw2's GPT trained under bf16 autocast beside float32: tokens/s, peak memory
# Without CUDA each step prints "no CUDA: skipped" and the script exits 0. A GPU that nvidia-smi sees but the
# environment's torch cannot use (a CPU wheel) is an error, not a skip. Exit 1 when any step failed or ran out
# of its share of the 10 minutes. GPU_CHECK_DEVICE=cpu runs steps 2-5 against the CPU (a dry run of this
# script itself, not a GPU check).
set -uo pipefail
cd "$(dirname "$0")/.."

SETUP=1
for arg in "$@"; do
  case "$arg" in
    --no-setup) SETUP=0 ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--no-setup]" >&2; exit 2 ;;
  esac
done
[ -n "${PYTHON:-}" ] && SETUP=0  # an interpreter chosen by hand is used as it is
PYTHON="${PYTHON:-.venv/bin/python}"
BUDGET=570  # seconds for the whole check (a killed step may take 10 s more); each step also has its own cap
STEPS=(setup tests grading parity training)
START=$SECONDS
FAILED=()
OUT="build/gpu_check"
DEVICE="${GPU_CHECK_DEVICE:-cuda}"

say() { echo "[gpu-check] $*"; }

# cuda_in_python: prints the number of CUDA devices torch sees (0 when torch or CUDA is missing).
cuda_in_python() {
  [ -x "$PYTHON" ] || command -v "$PYTHON" >/dev/null 2>&1 || { echo 0; return; }
  "$PYTHON" -c "import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)" 2>/dev/null \
    || echo 0
}
gpu_hardware() { command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q "^GPU "; }

# run_step NAME CAP COMMAND...: run with the smaller of CAP and what is left of the budget; record a failure.
run_step() {
  local name=$1 cap=$2 left rc started=$SECONDS
  shift 2
  left=$((BUDGET - (SECONDS - START)))
  if [ "$left" -le 5 ]; then
    say "$name: not run, the 10-minute budget is spent"
    FAILED+=("$name")
    return
  fi
  [ "$cap" -gt "$left" ] && cap=$left
  say "$name: $* (at most ${cap} s)"
  timeout --kill-after=10 "$cap" "$@"
  rc=$?
  if [ "$rc" -eq 0 ]; then
    say "$name: passed in $((SECONDS - started)) s"
  else
    [ "$rc" -eq 124 ] && say "$name: TIMEOUT after ${cap} s" || say "$name: FAILED (exit $rc)"
    FAILED+=("$name")
  fi
}

if [ "$DEVICE" = cuda ] && [ "$(cuda_in_python)" = 0 ] && ! gpu_hardware; then
  for step in "${STEPS[@]}"; do say "$step: no CUDA: skipped"; done
  exit 0
fi

if [ "$SETUP" = 1 ]; then
  # setup.sh takes the CPU build of torch unless told otherwise; here the CUDA build is the point.
  export GRADER_TORCH_INDEX="${GRADER_TORCH_INDEX-https://download.pytorch.org/whl/cu130}"
  run_step setup 240 bash scripts/setup.sh
else
  say "setup: skipped (--no-setup or PYTHON given), using $PYTHON"
fi
if ! [ -x "$PYTHON" ] && ! command -v "$PYTHON" >/dev/null 2>&1; then
  say "no Python environment at $PYTHON (did the setup fail? it needs the network the first time)"
  exit 1
fi
if [ "$DEVICE" = cuda ]; then
  if [ "$(cuda_in_python)" = 0 ]; then
    say "a GPU is present (nvidia-smi) but torch in $PYTHON cannot use it:"
    "$PYTHON" -c "import torch; print('  torch', torch.__version__, 'built for CUDA', torch.version.cuda)" 2>&1
    say "setup.sh keeps a torch==2.13.0 already installed; for a CUDA build:"
    say "  rm -rf .venv && GRADER_TORCH_INDEX=https://download.pytorch.org/whl/cu130 bash scripts/setup.sh"
    exit 1
  fi
  "$PYTHON" -c "import torch; print('[gpu-check] device:', torch.cuda.get_device_name(0), '| torch', torch.__version__)"
else
  say "GPU_CHECK_DEVICE=$DEVICE: a dry run of this script, not a GPU check"
fi
mkdir -p "$OUT"

run_step tests 180 "$PYTHON" -m pytest -m cuda -p no:cacheprovider -q tests

grade_all() {
  local assignment status=0 score
  for assignment in $("$PYTHON" -c "from grader.assignments import ASSIGNMENTS; print(*ASSIGNMENTS)"); do
    "$PYTHON" -m grader.cli run "solutions/$assignment" --device "$DEVICE" --json "$OUT/$assignment.json" \
      > "$OUT/$assignment.txt" 2>&1
    score=$("$PYTHON" -c "import json, sys; print(json.load(open(sys.argv[1]))['score'])" \
      "$OUT/$assignment.json" 2>/dev/null || echo "none")
    echo "  $assignment on $DEVICE: $score/100 (table: $OUT/$assignment.txt)"
    [ "$score" = "100.0" ] || [ "$score" = "100" ] || status=1
  done
  return $status
}
export -f grade_all
export PYTHON OUT DEVICE
run_step grading 200 bash -c grade_all
run_step parity 60 "$PYTHON" scripts/gpu_check.py --device "$DEVICE" --only parity
run_step training 90 "$PYTHON" scripts/gpu_check.py --device "$DEVICE" --only train

say "done in $((SECONDS - START)) s"
if [ "${#FAILED[@]}" -gt 0 ]; then
  say "FAILED: ${FAILED[*]}"
  exit 1
fi
say "every step passed"
