"""scripts/gpu_check.sh and scripts/gpu_check.py: where CUDA is absent they skip every step and exit 0; their
comparisons flag a difference beyond tolerance; the checks themselves run (against the CPU)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "gpu_check.py"
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the behaviour without CUDA")


def _load():
    """scripts/gpu_check.py as a module (registered first: its dataclasses look their module up)."""
    if "gpu_check" not in sys.modules:
        spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
        module = importlib.util.module_from_spec(spec)
        sys.modules["gpu_check"] = module
        spec.loader.exec_module(module)
    return sys.modules["gpu_check"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment whose PATH has no nvidia-smi but a fake one when asked, with our interpreter."""
    env = {**os.environ, "PYTHON": sys.executable, **extra}
    env["PATH"] = os.pathsep.join([str(tmp_path), *os.environ["PATH"].split(os.pathsep)])
    return env


@no_cuda
def test_python_part_reports_each_step_skipped_and_exits_0():
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["parity: no CUDA: skipped", "train: no CUDA: skipped"]
    assert done.stderr == ""


@no_cuda
def test_shell_script_reports_each_step_skipped_and_exits_0(tmp_path: Path):
    if any((Path(d) / "nvidia-smi").exists() for d in os.environ["PATH"].split(os.pathsep)):
        pytest.skip("nvidia-smi is installed here")
    done = subprocess.run(
        ["bash", "scripts/gpu_check.sh"],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    steps = ("setup", "tests", "grading", "parity", "training")
    assert done.stdout.splitlines() == [f"[gpu-check] {step}: no CUDA: skipped" for step in steps]


@no_cuda
def test_a_gpu_that_torch_cannot_use_is_an_error_not_a_skip(tmp_path: Path):
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0)'\n")
    fake.chmod(0o755)
    done = subprocess.run(
        ["bash", "scripts/gpu_check.sh"],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "a GPU is present (nvidia-smi) but torch" in done.stdout
    assert "no CUDA: skipped" not in done.stdout


def test_difference_holds_each_tensor_to_its_dtype_tolerance():
    gpu_check = _load()
    x = torch.linspace(-3, 3, 50)
    assert gpu_check.difference("x", x, x.clone()).ok
    near = gpu_check.difference("x", x, x + 1e-5)  # within 1e-5 + 2e-4 * 3
    assert near.ok and near.max_abs == pytest.approx(1e-5, rel=0.1)
    assert not gpu_check.difference("x", x, x + 1e-3).ok
    assert not gpu_check.difference("x", x.double(), x.double() + 1e-8).ok  # float64 is held to 1e-9
    assert not gpu_check.difference("x", x, x[:49]).ok
    odd = torch.tensor([0.5, float("nan"), float("-inf")])
    assert gpu_check.difference("x", odd, odd.clone()).ok
    assert not gpu_check.difference("x", odd, torch.tensor([0.5, 0.0, float("-inf")])).ok
    assert not gpu_check.difference("x", odd, torch.tensor([0.5, float("nan"), float("inf")])).ok


def test_report_fails_on_the_worst_tensor(capsys):
    gpu_check = _load()
    cpu = {"output[0]": torch.ones(3), "grad w": torch.zeros(2)}
    assert gpu_check.report("same", cpu, {k: v.clone() for k, v in cpu.items()})
    assert not gpu_check.report(
        "grad off", cpu, {"output[0]": torch.ones(3), "grad w": torch.full((2,), 0.1)}
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("ok") and lines[1].endswith("FAIL") and "(grad w)" in lines[1]


@pytest.mark.slow
def test_every_check_runs_against_the_cpu():
    """The parity checks and the timed training, on the CPU against itself: every difference is 0."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--device", "cpu", "--steps", "4"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    parity = [line for line in done.stdout.splitlines() if line.startswith("parity") and " tensors " in line]
    assert len(parity) == 13 and all(line.endswith("ok") and " 0.00e+00 " in line for line in parity)
    assert "parity: 13/13 checks within tolerance" in done.stdout
    assert any(line.startswith("train ") and "tokens/s" in line for line in done.stdout.splitlines())
