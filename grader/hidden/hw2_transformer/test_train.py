"""Hidden tests of train.py: the language-modelling loss, the learning-rate schedule, one training step, and
the training loop's randomness.

Oracles: F.cross_entropy; the schedule's formula from the handout written out here; the reference's training
step (AdamW with weight decay on matrices only, the global gradient norm clipped before the update) on the
same tiny GPT and the same batches, in float64, with known wrong rules computed alongside for the hints. The
training loops are also graded by what they produce (test_gpt.py, test_transformer.py).
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from grader.suite import assert_close, fail, randomize_parameters
from solutions.hw2_transformer import gpt as ref_gpt
from solutions.hw2_transformer import train as ref_train


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


@pytest.mark.points(2)
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


# ------------------------------------------------------------------------------- one training step, directly

# A GPT without blocks (embeddings -> ln_f -> tied head): matrices (wte, wpe) and vectors (ln_f's gain and
# bias) to tell the weight-decay rule apart, and nothing of the attention layers tested elsewhere.
STEP_GPT = dict(vocab_size=13, block_size=6, n_layer=0, n_head=2, d_model=8, dropout=0.0)
STEP_BATCHES = 3  # Adam's first update is the sign of the gradient; clipping shows from the second on
CLIP_HINTS = {
    "none": "clip after loss.backward() and before optimizer.step(): clipping after the step (or before the "
    "backward pass) changes nothing",
    "each": "clip the global norm of all gradients together (one clip_grad_norm_ over model.parameters()), "
    "not each parameter on its own",
    "value": "clip the gradient norm (clip_grad_norm_), not each gradient value (clip_grad_value_)",
}
DECAY_HINTS = {
    "all": "weight decay only on parameters of 2+ dimensions: biases and LayerNorm gains get weight_decay=0",
    "none": "the matrices (and embeddings) need weight_decay=config.weight_decay in their param group",
    "linear": "embeddings are matrices too: every parameter of 2+ dimensions gets weight decay",
    "adam": "use torch.optim.AdamW (decoupled weight decay), not Adam with weight_decay (an L2 penalty)",
    "constant_lr": "set learning_rate(step, config) as the lr of every param group before optimizer.step()",
}


def _reference_steps(
    state: dict, batches: list, config, *, decay: str = "matrices", clip: str = "global"
) -> tuple[dict[str, torch.Tensor], list[float]]:
    """The parameters after len(batches) reference training steps from `state` (float64), and the losses;
    `decay` and `clip` select a known wrong rule instead."""
    model = ref_gpt.GPT(ref_gpt.GPTConfig(**STEP_GPT)).double()
    model.load_state_dict(state)
    model.train()
    params = list(model.parameters())
    matrices = [p for p in params if p.dim() >= 2]
    if decay == "linear":
        matrices = [model.lm_head.weight]
    vectors = [p for p in params if all(p is not m for m in matrices)]
    wd = 0.0 if decay == "none" else config.weight_decay
    if decay == "all":
        groups = [{"params": params, "weight_decay": wd}]
    else:
        groups = [{"params": matrices, "weight_decay": wd}, {"params": vectors, "weight_decay": 0.0}]
    kind = torch.optim.Adam if decay == "adam" else torch.optim.AdamW
    optimizer = kind(groups, lr=config.lr, betas=config.betas)
    losses = []
    for step, (x, y) in enumerate(batches):
        for group in optimizer.param_groups:
            group["lr"] = config.lr if decay == "constant_lr" else ref_train.learning_rate(step, config)
        optimizer.zero_grad()
        loss = ref_train.lm_loss(model(x), y)
        loss.backward()
        if config.grad_clip > 0:
            if clip == "global":
                torch.nn.utils.clip_grad_norm_(params, config.grad_clip)
            elif clip == "each":
                for p in params:
                    torch.nn.utils.clip_grad_norm_(p, config.grad_clip)
            elif clip == "value":
                torch.nn.utils.clip_grad_value_(params, config.grad_clip)
        optimizer.step()
        losses.append(loss.item())
    return {name: p.detach().clone() for name, p in model.named_parameters()}, losses


def _step_case(student, gen, **train_config):
    """The student's parameters after STEP_BATCHES calls of train_step (their make_optimizer), the losses
    train_step returned, and what the grader needs to compute the reference's."""
    reference = randomize_parameters(ref_gpt.GPT(ref_gpt.GPTConfig(**STEP_GPT)).double(), gen)
    state = {k: v.detach().clone() for k, v in reference.state_dict().items()}
    batches = [
        (
            torch.randint(0, STEP_GPT["vocab_size"], (4, STEP_GPT["block_size"]), generator=gen),
            torch.randint(0, STEP_GPT["vocab_size"], (4, STEP_GPT["block_size"]), generator=gen),
        )
        for _ in range(STEP_BATCHES)
    ]
    settings = dict(steps=6, warmup_steps=2, lr=0.05, min_lr=0.005, betas=(0.9, 0.95), **train_config)
    config = ref_train.TrainConfig(**settings)
    model = student.new("gpt.GPT", student.new("gpt.GPTConfig", **STEP_GPT).handle)
    model.run("double")
    model.load_state_dict(state)
    model.run("train")
    student_config = student.new("train.TrainConfig", **settings)
    optimizer = student.new("train.make_optimizer", model.handle, student_config.handle)
    losses = [
        student.call("train.train_step", model.handle, optimizer.handle, x, y, step, student_config.handle)
        for step, (x, y) in enumerate(batches)
    ]
    got = model.state_dict()
    return got, losses, (state, batches, config)


def _compare_step(got: dict, expected: dict, wrong_rule, hints: dict[str, str], what: str) -> None:
    """Fail unless `got` holds `expected`'s parameters; the hint is that of the wrong rule (one of `hints`,
    whose parameters `wrong_rule(key)` computes, only on failure) that `got` reproduces."""

    def same(a: dict, b: dict) -> bool:
        return all(
            isinstance(a.get(n), torch.Tensor)
            and a[n].shape == v.shape
            and torch.allclose(a[n].double(), v, rtol=1e-6, atol=1e-9)
            for n, v in b.items()
        )

    if same(got, expected):
        return
    for name, value in expected.items():
        if not isinstance(got.get(name), torch.Tensor) or got[name].shape != value.shape:
            fail(f"{what}: your model has no parameter {name} of shape {tuple(value.shape)}")
    hint = ""
    for key, text in hints.items():
        candidate = wrong_rule(key)
        if same(got, candidate) and not same(expected, candidate):
            hint = text
            break
    name, difference = max(
        ((n, float((got[n].double() - v).abs().max())) for n, v in expected.items()), key=lambda item: item[1]
    )
    fail(
        f"{what}: {name} after {STEP_BATCHES} steps differs from the reference's by up to {difference:.3g} "
        f"(same weights, same batches, the reference's make_optimizer and train_step)",
        hint,
    )


@pytest.mark.points(4)
def test_train_step_adamw_weight_decay(student, gen, check):
    """make_optimizer + train_step: AdamW, the scheduled lr, weight decay on matrices only (3 steps)"""
    got, losses, (state, batches, config) = _step_case(student, gen, weight_decay=0.5, grad_clip=0.0)
    expected, expected_losses = _reference_steps(state, batches, config)
    with check.part("parameters after 3 steps", 4):
        _compare_step(
            got,
            expected,
            lambda key: _reference_steps(state, batches, config, decay=key)[0],
            DECAY_HINTS,
            "make_optimizer + train_step",
        )
    with check.part("the losses train_step returns", 1):
        for step, (loss, expected_loss) in enumerate(zip(losses, expected_losses, strict=True)):
            if not isinstance(loss, (int, float)) or not math.isclose(loss, expected_loss, rel_tol=1e-6):
                fail(f"train_step at step {step} returned {loss!r}; the batch's loss is {expected_loss:.6g}")


@pytest.mark.points(3)
def test_train_step_gradient_clipping(student, gen):
    """train_step clips the global gradient norm after backward, before the update (3 steps)"""
    # A clip far below the gradient norms: active at every step, with a different factor each time.
    got, _, (state, batches, config) = _step_case(student, gen, weight_decay=0.0, grad_clip=0.01)
    expected, _ = _reference_steps(state, batches, config)
    _compare_step(
        got,
        expected,
        lambda key: _reference_steps(state, batches, config, clip=key)[0],
        CLIP_HINTS,
        "train_step with grad_clip",
    )


# ---------------------------------------------------------------------------------- the training loop's RNG

RNG_GPT = dict(vocab_size=13, block_size=16, n_layer=0, n_head=2, d_model=8, dropout=0.0)
BATCH_RNG_HINT = (
    "draw every batch with get_batch(..., generator) from one torch.Generator seeded with config.seed: "
    "torch's global generator must not decide the batches"
)


def move_global_generator(student) -> None:
    """Draw from torch's global generator in the sandbox (data.get_batch without a generator)."""
    student.call("data.get_batch", torch.arange(64), 3, 4)


def global_rng_state(student) -> torch.Tensor:
    state = student.call("data.torch.get_rng_state")
    if not isinstance(state, torch.Tensor):
        fail("the sandbox answered a random-state request with a malformed value")
    return state


@pytest.mark.points(3)
@pytest.mark.timeout(20)
def test_train_gpt_randomness(student, gen, seed, check):
    """train_gpt's batches come only from a generator seeded with config.seed: same seed, same run"""
    data = torch.randint(0, RNG_GPT["vocab_size"], (400,), generator=gen)
    reference = randomize_parameters(ref_gpt.GPT(ref_gpt.GPTConfig(**RNG_GPT)), gen)
    state = {k: v.detach().clone() for k, v in reference.state_dict().items()}
    model = student.new("gpt.GPT", student.new("gpt.GPTConfig", **RNG_GPT).handle)
    train_seed = seed % 100_000

    def run(config_seed: int, moves: int) -> tuple[list, bool]:
        for _ in range(moves):
            move_global_generator(student)
        model.load_state_dict(state)
        config = student.new(
            "train.TrainConfig", steps=3, batch_size=4, block_size=8, warmup_steps=1, seed=config_seed
        )
        before = global_rng_state(student)
        losses = student.call("train.train_gpt", model.handle, data, config.handle)
        if not isinstance(losses, list) or len(losses) != 3:
            fail("train_gpt should return the list of its 3 training losses")
        return losses, torch.equal(before, global_rng_state(student))

    first, untouched_first = run(train_seed, 1)
    again, untouched_again = run(train_seed, 2)
    other, untouched_other = run(train_seed + 1, 0)
    with check.part("the same seed twice"):
        if first != again:
            fail(
                f"two runs of train_gpt with config.seed {train_seed} and the same weights gave different "
                f"losses ({first} and {again}) after torch's global generator moved",
                BATCH_RNG_HINT,
            )
    with check.part("another seed"):
        if first == other:
            fail(
                f"config.seed {train_seed} and {train_seed + 1} gave the same losses {first}",
                "seed the batches' generator with config.seed: torch.Generator().manual_seed(config.seed)",
            )
    with check.part("torch's global generator untouched"):
        if not (untouched_first and untouched_again and untouched_other):
            fail(
                "train_gpt changed the state of torch's global random generator",
                "make a torch.Generator for the batches instead of calling torch.manual_seed or drawing "
                "from torch's global generator: the caller's random state is not train_gpt's to change",
            )
