"""Hidden tests of softmax.py: values against torch.softmax along any dim, dtypes, huge logits, -inf, grads.

torch.softmax is the oracle, except that a slice of all -inf must give zeros (the handout's convention), where
torch gives NaN. Max-shift and logsumexp are both accepted: they agree to float rounding.
"""

from __future__ import annotations

import pytest
import torch

from grader.suite import assert_close, reproduces

WRONG_DIM = "normalise along the `dim` argument: exps.sum(dim=dim, keepdim=True), and the max along it too"
OVERFLOW = (
    "subtract each slice's maximum before exp() (softmax(x) == softmax(x - max)); exp(1e4) is inf even in "
    "float64, and exp(-1e4) underflows to 0"
)


GLOBAL_SHIFT = (
    "subtract each slice's own maximum (x.amax(dim=dim, keepdim=True)), not the maximum of the whole tensor: "
    "a slice far below the overall maximum underflows to all zeros"
)
FORWARD_WRONG = "the values of softmax are already wrong (see the other softmax tests); fix them first"

# Rows of very different magnitude in one tensor, the same whatever the seed: a shift by the maximum of the
# whole tensor underflows the rows far below it, exp() without a shift overflows the large ones.
ADVERSARIAL_ROWS = [
    [1000.0, 1001.0, 999.0, 1000.5, 998.0],
    [-1000.0, -1001.0, -999.0, -1000.5, -1002.0],
    [1.3, 5.1, 2.2, 0.7, 1.1],
    [1e4, -1e4, 0.0, 9999.0, -5.0],
    [-1e4, -1e4 + 2.0, -1e4 + 1.0, -1e4, -1e4 - 3.0],
]


def _softmax(x: torch.Tensor, dim: int) -> torch.Tensor:
    """torch.softmax, with all -inf slices as zeros (the course's convention)."""
    return torch.softmax(x, dim).nan_to_num(0.0)


def _overflow_mistakes(x: torch.Tensor, dim: int) -> list[tuple[torch.Tensor, str]]:
    """softmax without a shift (exp overflows or underflows), and shifted by the whole tensor's maximum."""
    found = []
    for exps, hint in ((x.exp(), OVERFLOW), ((x - x.amax()).exp(), GLOBAL_SHIFT)):
        total = exps.sum(dim, keepdim=True)
        # Divided as it is (0/0 = NaN where every exp underflowed), and with a zero sum guarded to 1.
        found += [(exps / total, hint), (exps / total.masked_fill(total == 0, 1.0), hint)]
    return found


def _other_dims(x: torch.Tensor, dim: int) -> list[tuple[torch.Tensor, str]]:
    """Softmax along another dim, and the max or the sum (not both) taken along another dim."""
    target = dim % x.dim()
    found = []
    for d in range(x.dim()):
        if d == target:
            continue
        found.append(
            (_softmax(x, d), f"your result is normalised along dim {d}, not along dim={dim}. {WRONG_DIM}")
        )
        for shift_dim, sum_dim in ((target, d), (d, target)):
            exps = (x - x.amax(dim=shift_dim, keepdim=True)).exp()
            found.append((exps / exps.sum(dim=sum_dim, keepdim=True), WRONG_DIM))
    return found


@pytest.mark.points(3)
def test_softmax_matches_torch(student, gen, check):
    """softmax(x) matches torch.softmax along the last dim, with dim=-1 given and by default"""
    x = torch.randn(3, 4, 7, generator=gen) * 3
    expected = _softmax(x, -1)
    with check.part("dim=-1", 0.5):
        given = student.call("softmax.softmax", x, dim=-1)
        assert_close(given, expected, what="softmax(x, dim=-1) with x (3, 4, 7)", mistakes=_other_dims(x, -1))
    with check.part("default dim", 0.5):
        got = student.call("softmax.softmax", x)
        # The default is to blame only when dim=-1 given explicitly is right.
        right_with_dim = reproduces(given, expected, rtol=1e-4, atol=1e-5)
        assert_close(
            got,
            expected,
            what="softmax(x) with x (3, 4, 7) and dim left at its default",
            hint="the default must be dim=-1, as the stub's signature says" if right_with_dim else "",
            mistakes=_other_dims(x, -1) if right_with_dim else (),
        )


@pytest.mark.points(3)
def test_softmax_any_dim(student, gen, check):
    """softmax(x, dim) normalises along any dim, positive or negative, of a 4-d tensor"""
    x = torch.randn(2, 3, 4, 5, generator=gen) * 2
    for dim in (0, 1, 2, -2):
        with check.part(f"dim={dim}"):
            got = student.call("softmax.softmax", x, dim=dim)
            assert_close(
                got,
                _softmax(x, dim),
                what=f"softmax(x, dim={dim}) with x (2, 3, 4, 5)",
                mistakes=_other_dims(x, dim),
            )


@pytest.mark.points(2)
def test_softmax_float64(student, gen, check):
    """softmax keeps float64 and its precision (atol 1e-10)"""
    x = torch.randn(5, 6, generator=gen, dtype=torch.float64) * 4
    for dim in (-1, 0):
        with check.part(f"dim={dim}"):
            got = student.call("softmax.softmax", x, dim=dim)
            assert_close(
                got,
                _softmax(x, dim),
                what=f"softmax(x, dim={dim}) with x float64 (5, 6)",
                mistakes=_other_dims(x, dim),
            )


@pytest.mark.points(3)
def test_softmax_large_logits(student, gen, check):
    """softmax of rows such as [1000, 1001] and [-1000, -999], and of logits near ±1e4, neither overflows nor
    underflows to NaN or zeros"""
    noise = torch.randn(4, 6, generator=gen) * 10
    # rtol 2e-3 in float32: exp(x - logsumexp(x)) is a valid softmax, but near |x| = 1e4 the float32 spacing
    # is 1e-3, so x - logsumexp(x) carries that much error (x - max(x) is exact). Overflow is off by far more.
    rows = torch.tensor(ADVERSARIAL_ROWS)
    cases = [
        ("rows of very different magnitude, float32", rows, 2e-3),
        ("rows of very different magnitude, float64", rows.double(), None),
        ("logits near +1e4, float32", noise + 1e4, 2e-3),
        ("logits near -1e4, float32", noise - 1e4, 2e-3),
        ("logits spread over [-1e4, 1e4], float64", (noise * 1e3).double().clamp(-1e4, 1e4), None),
    ]
    for name, x, rtol in cases:
        with check.part(name):
            got = student.call("softmax.softmax", x, dim=-1)
            assert_close(
                got,
                _softmax(x, -1),
                what=f"softmax(x, dim=-1) with {name} (x {tuple(x.shape)})",
                rtol=rtol,
                mistakes=_overflow_mistakes(x, -1),
            )


@pytest.mark.points(2)
def test_softmax_masked_entries(student, gen, check):
    """-inf entries get weight 0, and a slice that is entirely -inf gives zeros, not NaN"""
    x = torch.randn(5, 6, generator=gen)
    x[0, 2:] = float("-inf")
    x[2, ::2] = float("-inf")
    x[1] = float("-inf")
    x[4] = float("-inf")
    expected = _softmax(x, -1)
    got = student.call("softmax.softmax", x, dim=-1)
    with check.part("rows with some -inf", 0.5):
        rows = [0, 2, 3]
        got_rows = got[rows] if isinstance(got, torch.Tensor) and got.shape == x.shape else got
        assert_close(got_rows, expected[rows], what="softmax(x, dim=-1), rows 0, 2, 3 (some entries -inf)")
    with check.part("rows of all -inf", 0.5):
        rows = [1, 4]
        got_rows = got[rows] if isinstance(got, torch.Tensor) and got.shape == x.shape else got
        assert_close(
            got_rows,
            expected[rows],
            what="softmax(x, dim=-1), rows 1 and 4 (every entry -inf)",
            hint="a slice of all -inf has max -inf and -inf - (-inf) = NaN; shift such slices by 0 instead, "
            "and divide their zero sum by 1, so that they come out as zeros",
        )


@pytest.mark.points(2)
def test_softmax_gradient(student, gen, check):
    """softmax is differentiable: gradients match torch.softmax's (float64)"""
    x = torch.randn(3, 5, generator=gen, dtype=torch.float64) * 2
    grad_output = torch.randn(3, 5, generator=gen, dtype=torch.float64)
    for dim in (-1, 0):
        with check.part(f"dim={dim}"):
            leaf = x.clone().requires_grad_(True)
            value = torch.softmax(leaf, dim)
            value.backward(grad_output)
            got = student.call_with_grad(
                "softmax.softmax", args=(x,), kwargs={"dim": dim}, grad_output=grad_output, wrt_args=(0,)
            )
            hint = FORWARD_WRONG
            if reproduces(got.value, value.detach(), rtol=1e-7, atol=1e-10):
                hint = (
                    "build the result from differentiable tensor operations only (no .item(), numpy or "
                    "in-place writes into x); a detached max shift is fine"
                )
            assert_close(
                got.args[0],
                leaf.grad,
                what=f"the gradient of softmax(x, dim={dim}) with respect to x (3, 5)",
                hint=hint,
            )
