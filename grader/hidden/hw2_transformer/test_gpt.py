"""Hidden tests of gpt.py: the GPT against the reference, causality, weight tying, generation, the key/value
cache, sampling, and a training run whose validation loss the grader computes itself.

Oracles: the reference GPT (solutions.hw2_transformer) with every parameter drawn from the test's generator
and copied into the student's model; sampling checked by frequencies over many draws from a generator made in
the sandbox; training: the student's GPT trained by the student's train_gpt in the sandbox on the generated
corpus, then scored by the grader on held-out text. The grader asks for the logits of every prefix separately
(the tokens after the prefix are random filler), so a model that peeks at later tokens gains nothing.
"""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F

from grader.suite import (
    assert_close,
    assert_equal,
    curves,
    expect_tensor,
    fail,
    mistake_hint,
    randomize_parameters,
)
from solutions.hw2_transformer import data as ref_data
from solutions.hw2_transformer import gpt as ref_gpt

CONFIG = dict(vocab_size=23, block_size=16, n_layer=2, n_head=4, d_model=16, dropout=0.0)
# Training: budget and threshold (docs/hw2_thresholds.md has the measurements on the reference).
TRAIN = dict(block_size=16, n_layer=2, n_head=4, d_model=32, dropout=0.0)
TRAIN_STEPS, VAL_WINDOWS = 150, 24
VAL_LOSS_THRESHOLD = 2.0


def _student_gpt(student, **overrides):
    config = student.new("gpt.GPTConfig", **dict(CONFIG, **overrides))
    return student.new("gpt.GPT", config.handle)


def _pair(student, gen, *, double: bool = False):
    reference = randomize_parameters(ref_gpt.GPT(ref_gpt.GPTConfig(**CONFIG)), gen)
    model = _student_gpt(student)
    if double:
        reference.double()
        model.run("double")
    model.load_state_dict({k: v.detach().clone() for k, v in reference.state_dict().items()})
    model.run("eval")
    return reference, model


@pytest.mark.points(4)
def test_gpt_forward(student, gen, check):
    """GPT(idx): logits and gradients match the reference with copied weights"""
    reference, model = _pair(student, gen)
    idx = torch.randint(0, CONFIG["vocab_size"], (3, 11), generator=gen)
    expected = reference(idx)
    grad_out = torch.randn_like(expected)
    expected.backward(grad_out)
    got = model.grad(None, (idx,), grad_output=grad_out)
    with check.part("logits", 4):
        assert_close(
            got.value,
            expected.detach(),
            what="GPT logits",
            atol=1e-4,
            rtol=1e-4,
        )
    with check.part("gradients", 2):
        # An untied head: wte.weight's gradient then holds only the embedding's share.
        untied = copy.deepcopy(reference)
        untied.lm_head.weight = torch.nn.Parameter(untied.wte.weight.detach().clone())
        untied.zero_grad()
        untied(idx).backward(grad_out)
        tie_hint = "lm_head.weight must BE wte.weight (one Parameter), so both uses add to its gradient"
        for name, parameter in reference.named_parameters():
            assert_close(
                got.params.get(name),
                parameter.grad,
                what=f"gradient of {name}",
                atol=1e-4,
                rtol=1e-3,
                mistakes=[(dict(untied.named_parameters())[name].grad, tie_hint)],
            )


@pytest.mark.points(2)
def test_gpt_weight_tying(student, check):
    """lm_head shares its weight with the token embedding wte; weights start N(0, 0.02), biases 0"""
    state = _student_gpt(student).state_dict()
    for name, shape in (("wte.weight", (23, 16)), ("lm_head.weight", (23, 16))):
        if name not in state:
            fail(f"the GPT has no parameter {name}", "follow the parameter names of the GPT docstring")
        if tuple(state[name].shape) != shape:
            fail(f"{name} should have shape {shape}, has {tuple(state[name].shape)}")
    with check.part("lm_head tied to wte", 2):
        if not torch.equal(state["wte.weight"], state["lm_head.weight"]):
            fail(
                "lm_head.weight differs from wte.weight: the head is not tied to the embedding",
                "after creating both, assign self.lm_head.weight = self.wte.weight",
            )
    with check.part("N(0, 0.02) initialisation", 1):
        # Every nn.Linear and nn.Embedding weight (the attention's in_proj_weight is not a Linear) and bias.
        weights = [
            value.double().reshape(-1)
            for name, value in state.items()
            if name.endswith(".weight") and value.dim() == 2 and name != "lm_head.weight"
        ]
        biases = [value for name, value in state.items() if name.endswith(("linear1.bias", "linear2.bias"))]
        pooled = torch.cat(weights)
        std, mean = float(pooled.std()), float(pooled.mean())
        if not (0.017 <= std <= 0.023 and abs(mean) < 0.004) or any(bool(b.any()) for b in biases):
            fail(
                f"the GPT's Linear and Embedding weights have std {std:.3g} and mean {mean:.2g} after "
                f"construction (N(0, 0.02) expected), and the Linear biases should be 0",
                "apply the provided _init_weights to every submodule (self.apply(self._init_weights)) "
                "before tying the head",
            )


def _non_causal_logits(reference: ref_gpt.GPT, idx: torch.Tensor) -> torch.Tensor:
    """The reference GPT's logits with blocks that attend without the causal mask."""
    with torch.no_grad():
        x = reference.wte(idx) + reference.wpe(idx)
        for block in reference.blocks:
            x = block(x, is_causal=False)
        return reference.lm_head(reference.ln_f(x))


@pytest.mark.points(3)
def test_gpt_is_causal(student, gen):
    """Changing later tokens does not change the logits of earlier positions"""
    reference, model = _pair(student, gen)
    idx = torch.randint(0, CONFIG["vocab_size"], (2, 12), generator=gen)
    base = model(idx)
    causal_hint = mistake_hint(
        base,
        reference(idx).detach(),
        [
            (
                _non_causal_logits(reference, idx),
                "every block's self-attention must be causal (is_causal=True)",
            )
        ],
    )
    for t in (1, 6, 11):
        later = idx.clone()
        later[:, t:] = torch.randint(0, CONFIG["vocab_size"], later[:, t:].shape, generator=gen)
        got = model(later)
        assert_close(
            got[:, :t],
            base[:, :t],
            what=f"logits at positions < {t} after changing tokens >= {t}",
            atol=1e-5,
            rtol=1e-4,
            hint=causal_hint,
        )


@pytest.mark.points(3)
def test_gpt_greedy_generate(student, gen):
    """generate(greedy=True) gives the reference's tokens, also past block_size (the context is cropped)"""
    reference, model = _pair(student, gen, double=True)
    idx = torch.randint(0, CONFIG["vocab_size"], (3, 5), generator=gen)
    for new_tokens in (6, 20):
        expected = reference.generate(idx, new_tokens, greedy=True)
        got = model.call("generate", idx, new_tokens, greedy=True)
        expect_tensor(
            got, what=f"generate(idx, {new_tokens}, greedy=True)", shape=expected.shape, shape_hint=""
        )
        assert_equal(got, expected, what=f"generate(idx, {new_tokens}, greedy=True)")


@pytest.mark.points(2)
def test_kv_cache_same_tokens(student, gen, check):
    """generate(use_cache=True) gives the same tokens as without the cache, call after call"""
    reference, model = _pair(student, gen, double=True)
    # The cache's usual mistake: every new token at position 0 (the offset never taken from the cache).
    at_zero = copy.deepcopy(reference)
    positions = at_zero.wpe.forward
    at_zero.wpe.forward = lambda idx, offset=0: positions(idx, 0)
    for call, length in enumerate((4, 2)):
        idx = torch.randint(0, CONFIG["vocab_size"], (3, length), generator=gen)
        expected = reference.generate(idx, 10, greedy=True)
        with check.part(f"call {call + 1}"):
            got = model.call("generate", idx, 10, greedy=True, use_cache=True)
            what = f"generate(..., use_cache=True), call {call + 1}"
            expect_tensor(got, what=what, shape=expected.shape, shape_hint="")
            offset_hint = (
                "feed each new token at position caches[0].length: the position embedding needs that offset"
            )
            mistakes = [(at_zero.generate(idx, 10, greedy=True, use_cache=True), offset_hint)]
            assert_equal(got, expected, what=what, mistakes=mistakes)


def _draw(student, logits: torch.Tensor, seed: int, **kwargs) -> torch.Tensor:
    generator = student.generator(seed)
    got = student.call("gpt.sample_next", logits, generator=generator.handle, **kwargs)
    return got if isinstance(got, torch.Tensor) else torch.as_tensor(got)


@pytest.mark.points(2)
def test_sample_next_top_k(student, seed, check):
    """sample_next: greedy and top_k=1 give the argmax; top_k=k samples only (and all of) the k best tokens"""
    logits = torch.tensor([[0.2, 3.0, 2.9, -1.0, 2.8, 2.7, 2.6, 0.0]]).repeat(4000, 1)
    with check.part("greedy and top_k=1"):
        for kwargs in ({"greedy": True}, {"top_k": 1}):
            got = _draw(student, logits[:5], seed, **kwargs)
            assert_equal(got, torch.full((5,), 1), what=f"sample_next(logits, {kwargs})")
    with check.part("top_k=3"):
        got = _draw(student, logits, seed, top_k=3)
        counts = torch.bincount(got.reshape(-1).long(), minlength=8)
        allowed = {1, 2, 4}
        outside = [i for i in range(8) if counts[i] > 0 and i not in allowed]
        if outside:
            fail(
                f"top_k=3 sampled tokens {outside} outside the 3 best {sorted(allowed)} "
                f"(counts {counts.tolist()})",
                "keep only the logits >= the k-th largest value, topk(logits, k).values[..., -1]",
            )
        if any(counts[i] == 0 for i in allowed):
            fail(f"top_k=3 never sampled one of the 3 best tokens (counts {counts.tolist()})")
    with check.part("ties at the k-th value"):
        # The 3rd largest value, 1.0, is shared by three tokens: the handout keeps all of them.
        tied = torch.tensor([[2.0, 1.0, 3.0, 1.0, -2.0, 1.0]]).repeat(4000, 1)
        got = _draw(student, tied, seed, top_k=3)
        counts = torch.bincount(got.reshape(-1).long(), minlength=6)
        if counts[4] > 0 or any(counts[i] == 0 for i in (0, 1, 2, 3, 5)):
            fail(
                f"top_k=3 on logits {tied[0].tolist()} should sample tokens 0, 1, 2, 3 and 5 (the three "
                f"tied at the 3rd largest value are all kept) and never 4; counts {counts.tolist()}",
                "keep every logit >= the k-th largest value (ties at the k-th value are all kept), not the "
                "k indices topk returns",
            )


SAMPLE_RNG_HINT = (
    "draw with torch.multinomial(probs, 1, generator=generator) and pass the generator on from generate: "
    "the only randomness is the generator you are given"
)


def _same_draws(student, draw, seed: int, what: str) -> None:
    """`draw(seed)` twice with torch's global generator moved in between: equal; with another seed: not."""
    first = draw(seed)
    student.call("data.get_batch", torch.arange(64), 3, 4)  # moves torch's global generator
    again = draw(seed)
    if not isinstance(first, torch.Tensor) or not isinstance(again, torch.Tensor):
        fail(f"{what} should return a tensor of token ids")
    if first.shape != again.shape or not torch.equal(first, again):
        fail(f"{what} with two generators seeded {seed} gave different tokens", SAMPLE_RNG_HINT)
    other = draw(seed + 1)
    if isinstance(other, torch.Tensor) and other.shape == first.shape and torch.equal(first, other):
        fail(f"{what} gave the same tokens for generators seeded {seed} and {seed + 1}", SAMPLE_RNG_HINT)


@pytest.mark.points(2)
def test_sampling_uses_only_the_generator(student, gen, seed, check):
    """sample_next and generate draw only from the generator they are given: same seed, same tokens"""
    logits = torch.randn(64, 9, generator=gen)
    with check.part("sample_next"):
        _same_draws(student, lambda s: _draw(student, logits, s), seed, "sample_next(logits)")
    with check.part("generate"):
        model = _student_gpt(student)
        model.run("eval")
        idx = torch.randint(0, CONFIG["vocab_size"], (4, 3), generator=gen)

        def generate(s: int):
            generator = student.generator(s)
            return model.call("generate", idx, 8, temperature=2.0, generator=generator.handle)

        _same_draws(student, generate, seed, "generate(idx, 8, temperature=2.0)")


@pytest.mark.points(2)
def test_sample_next_temperature(student, seed):
    """sample_next(temperature=T): frequencies follow softmax(logits / T)"""
    logits = torch.tensor([[1.0, 0.0, -1.0, 0.5]]).repeat(20000, 1)
    for temperature in (0.5, 2.0):
        got = _draw(student, logits, seed, temperature=temperature)
        frequencies = torch.bincount(got.reshape(-1).long(), minlength=4).double() / 20000
        expected = torch.softmax(logits[0].double() / temperature, dim=-1)
        if (frequencies - expected).abs().max() > 0.02:
            fail(
                f"temperature {temperature}: sampled frequencies {frequencies.numpy().round(3).tolist()}, "
                f"expected softmax(logits / T) = {expected.numpy().round(3).tolist()}",
                "divide the logits by the temperature before the softmax",
            )


# ------------------------------------------------------------------------------------------------ training


def corpus() -> tuple[ref_data.CharTokenizer, torch.Tensor, torch.Tensor]:
    text = ref_data.generate_corpus(1000, seed=0)
    tokenizer = ref_data.CharTokenizer(text)
    train, val = ref_data.train_val_split(tokenizer.encode(text))
    return tokenizer, train, val


def prefix_batch(val: torch.Tensor, block: int, windows: int, gen: torch.Generator):
    """Rows that each end a prefix at one position: (idx, positions, targets) for the grader's own loss.

    Row (w, t) holds window w's tokens 0..t and random filler after; the loss reads row (w, t)'s logits at t
    against the window's token t + 1, so no row lets a model see the token it is asked to predict.
    """
    starts = torch.linspace(0, len(val) - block - 2, windows).long()
    rows, positions, targets = [], [], []
    for start in starts.tolist():
        window = val[start : start + block + 1]
        for t in range(block):
            row = torch.randint(0, int(val.max()) + 1, (block,), generator=gen)
            row[: t + 1] = window[: t + 1]
            rows.append(row)
            positions.append(t)
            targets.append(int(window[t + 1]))
    return torch.stack(rows), torch.tensor(positions), torch.tensor(targets)


def validation_loss(logits: torch.Tensor, positions: torch.Tensor, targets: torch.Tensor) -> float:
    picked = logits[torch.arange(len(positions)), positions]  # (N, V)
    return float(F.cross_entropy(picked.double(), targets))


@pytest.mark.points(5)
@pytest.mark.timeout(60)
def test_gpt_training_val_loss(student, seed, figure):
    """Your GPT, trained by your train_gpt on the generated corpus, reaches the validation loss"""
    tokenizer, train, val = corpus()
    config = student.new("gpt.GPTConfig", vocab_size=tokenizer.vocab_size, **TRAIN)
    model = student.new("gpt.GPT", config.handle)
    train_config = student.new(
        "train.TrainConfig",
        steps=TRAIN_STEPS,
        batch_size=16,
        block_size=TRAIN["block_size"],
        lr=1e-2,
        min_lr=1e-3,
        warmup_steps=15,
        seed=seed % 100_000,
    )
    losses = student.call("train.train_gpt", model.handle, train, train_config.handle)
    if not isinstance(losses, list) or len(losses) != TRAIN_STEPS:
        fail(f"train_gpt should return the list of the {TRAIN_STEPS} training losses")
    with figure.attempt():
        figure.add(
            curves(
                "Your GPT's training loss",
                {"your train_gpt": losses},
                y_label="loss (nats per character)",
                caption=f"{TRAIN_STEPS} steps with the grader's seed; the grader then measures the "
                f"validation loss itself, which must be at most {VAL_LOSS_THRESHOLD}.",
            )
        )
    model.run("eval")
    idx, positions, targets = prefix_batch(
        val, TRAIN["block_size"], VAL_WINDOWS, torch.Generator().manual_seed(seed)
    )
    logits = model(idx)
    if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (*idx.shape, tokenizer.vocab_size):
        fail("the GPT's logits should be (B, T, vocab_size)")
    loss = validation_loss(logits, positions, targets)
    if not loss <= VAL_LOSS_THRESHOLD:
        fail(
            f"after {TRAIN_STEPS} steps your GPT's validation loss is {loss:.3f} nats per character; the "
            f"reference reaches {VAL_LOSS_THRESHOLD} or less on every seed (a uniform guess is "
            f"{math.log(tokenizer.vocab_size):.2f})",
        )
