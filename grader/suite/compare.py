"""Comparisons that fail with a message a student can act on: what was expected, what came back, where."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from grader.results.verdicts import GradingFailure


def describe(value: Any) -> str:
    """A short description of a value: a tensor's shape and dtype, or the type."""
    if isinstance(value, torch.Tensor):
        return f"a {str(value.dtype).removeprefix('torch.')} tensor of shape {tuple(value.shape)}"
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} array of shape {value.shape}"
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"a value of type {type(value).__name__}"


def fail(message: str, hint: str = "") -> None:
    raise GradingFailure(message, hint)


Mistakes = Sequence[tuple[Any, str]]


def reproduces(got: Any, candidate: Any, *, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """Whether `got` equals `candidate` (a known wrong answer), to a loose tolerance."""
    if not isinstance(got, torch.Tensor) or not isinstance(candidate, torch.Tensor):
        return False
    if got.shape != candidate.shape:
        return False
    if got.dtype == torch.bool or candidate.dtype == torch.bool:
        return bool(torch.equal(got.bool(), candidate.bool()))
    return bool(torch.allclose(got.double(), candidate.double(), rtol=rtol, atol=atol, equal_nan=True))


def mistake_hint(got: Any, expected: Any, mistakes: Mistakes, default: str = "") -> str:
    """The hint of the first known mistake that `got` reproduces (and the right answer does not)."""
    for candidate, hint in mistakes:
        if reproduces(got, candidate) and not reproduces(expected, candidate):
            return hint
    return default


RESHAPE_HINT = "check the order of your reshape/transpose and which dimension you reduce over"


def first_difference(got: np.ndarray, expected: np.ndarray, *, name: str = "Q", atol: float = 1e-9) -> str:
    """Where two tables first differ: "Q[3, 1] should be 0.50000000, got 0.25000000 (2 entries differ)"."""
    wrong = ~np.isclose(got, expected, atol=atol)
    first = tuple(int(i) for i in np.argwhere(wrong)[0])
    return (
        f"{name}[{', '.join(map(str, first))}] should be {expected[first]:.8f}, got {float(got[first]):.8f} "
        f"({int(wrong.sum())} entries differ)"
    )


def expect_tensor(
    got: Any,
    *,
    what: str,
    shape: tuple[int, ...] | None = None,
    dtype=None,
    shape_hint: str = RESHAPE_HINT,
) -> torch.Tensor:
    """`got` as a tensor, checked for type, shape and dtype; `shape_hint` is shown when the shape is wrong
    (pass the cause that fits the function, or "" when a wrong shape has no usual cause)."""
    if isinstance(got, np.ndarray):
        got = torch.from_numpy(got)
    if not isinstance(got, torch.Tensor):
        fail(f"{what} should be a tensor, but your code returned {describe(got)}")
    if shape is not None and tuple(got.shape) != tuple(shape):
        fail(
            f"{what} should have shape {tuple(shape)}, but has shape {tuple(got.shape)}",
            shape_hint,
        )
    if dtype is not None and got.dtype != dtype:
        fail(
            f"{what} should keep the input dtype {str(dtype).removeprefix('torch.')}, "
            f"but is {str(got.dtype).removeprefix('torch.')}",
            "avoid creating new tensors with a fixed dtype; use the input's dtype (e.g. torch.zeros_like)",
        )
    return got


def _index(flat_index: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat_index, shape)) if shape else ()


def assert_close(
    got: Any,
    expected: torch.Tensor,
    *,
    what: str,
    atol: float | None = None,
    rtol: float | None = None,
    hint: str = "",
    mistakes: Mistakes = (),
) -> torch.Tensor:
    """Check `got` against `expected` (shape, dtype, NaN, values) and say precisely where it differs.

    `mistakes` pairs known wrong answers with hints: when `got` reproduces one, its hint is shown, also when
    that mistake has another shape than `expected` (scores laid out (Tk, Tq) instead of (Tq, Tk)).
    """
    reproduced = mistake_hint(got, expected, mistakes)
    hint = reproduced or hint
    got = expect_tensor(
        got,
        what=what,
        shape=tuple(expected.shape),
        dtype=expected.dtype,
        shape_hint=reproduced or RESHAPE_HINT,
    )
    if atol is None or rtol is None:
        default = (1e-10, 1e-7) if expected.dtype == torch.float64 else (1e-5, 1e-4)
        atol = default[0] if atol is None else atol
        rtol = default[1] if rtol is None else rtol
    got_f = got.detach().to(torch.float64)
    expected_f = expected.detach().to(torch.float64)
    bad_nan = torch.isnan(got_f) & ~torch.isnan(expected_f)
    if bad_nan.any():
        first = _index(int(bad_nan.reshape(-1).nonzero()[0]), tuple(got.shape))
        fail(
            f"{what} contains NaN ({int(bad_nan.sum())} of {got.numel()} entries, first at index {first}) "
            f"where {expected_f[first].item():.6g} was expected",
            hint or "NaN usually comes from exp() overflowing or a row where every entry is masked",
        )
    both_nan = torch.isnan(got_f) & torch.isnan(expected_f)
    difference = torch.where(both_nan, torch.zeros_like(got_f), (got_f - expected_f).abs())
    same_inf = torch.isinf(expected_f) & (got_f == expected_f)
    difference = torch.where(same_inf, torch.zeros_like(difference), difference)
    allowed = atol + rtol * expected_f.abs().nan_to_num(posinf=0, neginf=0)
    wrong = difference > allowed
    if wrong.any():
        flat = int(wrong.reshape(-1).nonzero()[0])
        first = _index(flat, tuple(got.shape))
        fail(
            f"{what} is wrong at {int(wrong.sum())} of {got.numel()} entries; "
            f"max abs error {float(difference.max()):.3g} (allowed {atol:g} + {rtol:g}·|expected|); "
            f"first at index {first}: expected {expected_f[first].item():.6g}, got {got_f[first].item():.6g}",
            hint,
        )
    return got


def assert_equal(got: Any, expected: Any, *, what: str, hint: str = "", mistakes: Mistakes = ()) -> None:
    """Exact equality of plain values (ints, strings, lists, dicts, bool tensors)."""
    hint = mistake_hint(got, expected, mistakes, hint)
    if isinstance(expected, torch.Tensor):
        got = expect_tensor(got, what=what, shape=tuple(expected.shape))
        if got.dtype != expected.dtype:
            fail(f"{what} should have dtype {expected.dtype}, got {got.dtype}", hint)
        if not torch.equal(got, expected):
            mismatch = (got != expected).reshape(-1).nonzero()
            first = _index(int(mismatch[0]), tuple(got.shape))
            fail(
                f"{what} differs at {len(mismatch)} of {got.numel()} entries; first at index {first}: "
                f"expected {expected[first].item()}, got {got[first].item()}",
                hint,
            )
        return
    if type(got) is not type(expected) and not (
        isinstance(got, (int, float)) and isinstance(expected, (int, float))
    ):
        fail(f"{what} should be {describe(expected)}, but your code returned {describe(got)}", hint)
    if isinstance(expected, float) and math.isnan(expected) and isinstance(got, float) and math.isnan(got):
        return
    if got != expected:
        fail(f"{what}: expected {_short(expected)}, got {_short(got)}", hint)


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + " ..."
