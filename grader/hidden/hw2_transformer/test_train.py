"""Hidden tests of train.py's pure functions: the language-modelling loss and the learning-rate schedule.

Oracles: F.cross_entropy, and the schedule's formula from the handout written out here. The training loops
themselves are graded by what they produce (test_gpt.py, test_transformer.py).
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from grader.compare import assert_close, fail


@pytest.mark.points(3)
def test_lm_loss(student, gen):
    """lm_loss: mean cross-entropy over every (batch, time) position, with its gradient"""
    logits = torch.randn(3, 7, 11, generator=gen) * 2
    targets = torch.randint(0, 11, (3, 7), generator=gen)
    expected_logits = logits.clone().requires_grad_()
    expected = F.cross_entropy(expected_logits.reshape(-1, 11), targets.reshape(-1))
    expected.backward()
    got = student.call_with_grad(
        "train.lm_loss", (logits, targets), grad_output=torch.tensor(1.0), wrt_args=(0,)
    )
    shifted = F.cross_entropy(logits[:, :-1].reshape(-1, 11), targets[:, 1:].reshape(-1))
    assert_close(
        got.value,
        expected.detach(),
        what="lm_loss",
        atol=1e-5,
        rtol=1e-5,
        mistakes=[(shifted, "the targets are already the next tokens: do not shift them again")],
    )
    assert_close(got.args[0], expected_logits.grad, what="gradient of lm_loss w.r.t. the logits")


def _schedule(step: int, steps: int, lr: float, min_lr: float, warmup: int) -> float:
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = min(1.0, max(0.0, (step - warmup) / max(1, steps - warmup)))
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (lr - min_lr)


@pytest.mark.points(3)
def test_learning_rate_schedule(student):
    """learning_rate: linear warm-up to lr, then cosine decay to min_lr"""
    for steps, warmup, lr, min_lr in ((100, 10, 1e-3, 1e-4), (50, 0, 3e-3, 0.0), (20, 5, 0.5, 0.05)):
        config = student.new("train.TrainConfig", steps=steps, warmup_steps=warmup, lr=lr, min_lr=min_lr)
        for step in sorted(
            {0, 1, max(0, warmup - 1), warmup, warmup + 1, steps // 2, steps - 1, steps, steps + 5}
        ):
            got = student.call("train.learning_rate", step, config.handle)
            expected = _schedule(step, steps, lr, min_lr, warmup)
            if not isinstance(got, (int, float)) or not math.isclose(
                got, expected, rel_tol=1e-6, abs_tol=1e-12
            ):
                fail(
                    f"learning_rate at step {step} (steps {steps}, warm-up {warmup}, lr {lr}, "
                    f"min_lr {min_lr}) "
                    f"should be {expected:.6g}, got {got!r}",
                    "warm-up: lr * (step + 1) / warmup_steps; then "
                    "min_lr + 0.5 (1 + cos(pi p)) (lr - min_lr) "
                    "with p = (step - warmup_steps) / (steps - warmup_steps), clamped to [0, 1]",
                )
