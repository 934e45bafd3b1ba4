"""Training: the language-modelling loss, a warm-up + cosine learning-rate schedule, and two small loops.

Implements (the recipe of karpathy/nanoGPT `train.py`):
- `lm_loss`: mean cross-entropy of next-token logits against the targets;
- `learning_rate`: linear warm-up, then cosine decay to a floor;
- `make_optimizer`, `_step` and `train_step`: AdamW (weight decay on matrices only), the schedule, clipping of
  the global gradient norm before the update: one training step, which the grader checks on its own;
- `train_gpt`: `train_step` for a fixed step budget, on random windows of a token stream;
- `train_seq2seq`: the same loop for the encoder-decoder Transformer on a toy task (copy / reverse / sort).

Leaves out: gradient accumulation, mixed precision on CPU, checkpoints, evaluation inside the loop (the grader
measures validation loss and exact-match itself, from your trained model).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .data import get_batch, seq2seq_batch
from .transformer import seq2seq_loss


@dataclass
class TrainConfig:
    """Hyper-parameters of a training run (defaults: a tiny GPT on the generated corpus, CPU, ~seconds)."""

    steps: int = 300  # the step budget: the loop runs exactly this many optimizer steps
    batch_size: int = 32
    block_size: int = 64  # context length of each training window (GPT)
    lr: float = 3e-3  # small models tolerate a large learning rate
    min_lr: float = 3e-4  # the cosine floor, lr / 10 as in nanoGPT
    warmup_steps: int = 30  # ~10% of the steps: Adam's moment estimates are noisy at first
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0  # clip the global gradient norm; 0 disables
    seed: int = 0  # seeds the batch sampling (the model's init uses torch's global generator)
    device: str | None = None  # None: train where the model is; "auto": cuda, then mps, then cpu; or a name
    bf16: bool = True  # on CUDA, run forward and loss under bfloat16 autocast (ignored elsewhere)


def resolve_device(name: str | None, model: nn.Module) -> torch.device:
    """The device to train on: `name`, or the model's own device when None, or the best one for "auto"."""
    if name is None:
        return next(model.parameters()).device
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(name)


def autocast(device: torch.device, config: TrainConfig) -> contextlib.AbstractContextManager:
    """bfloat16 autocast on CUDA when config.bf16 (matmuls in bf16, the loss and norms in float32)."""
    if device.type == "cuda" and config.bf16:
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def lm_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean cross-entropy over all B * T positions: logits (B, T, V), targets (B, T) long -> scalar."""
    ### BEGIN SOLUTION
    # cross_entropy wants (N, V) and (N,): flatten batch and time into one axis of positions. Every position
    # is one next-token prediction, so a (B, T) batch is B * T examples averaged together. Logits, not
    # probabilities: cross_entropy's log-softmax is stabler than log(softmax(...)).
    # (B, T, V) -> (B*T, V) and (B, T) -> (B*T,)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    ### END SOLUTION


def learning_rate(step: int, config: TrainConfig) -> float:
    """The learning rate at optimizer step `step` (0-based).

    Warm-up: lr * (step + 1) / warmup_steps for step < warmup_steps (so step 0 already moves).
    Then cosine: progress p = (step - warmup_steps) / max(1, steps - warmup_steps), clamped to [0, 1], and
    min_lr + 0.5 * (1 + cos(pi * p)) * (lr - min_lr), which falls from lr to min_lr.
    """
    ### BEGIN SOLUTION
    # 1. Warm-up: Adam divides by a running estimate of the gradient's size, which is poor over the first
    #    steps; small steps until it settles keep one noisy early update from wrecking the initialisation.
    #    (step + 1): step 0 gets lr / warmup_steps, not 0, so no step is wasted.
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    # 2. Cosine decay: large steps while the loss falls fast, then ever smaller ones to settle into a minimum.
    #    The clamp holds min_lr if training runs past config.steps.
    progress = min(1.0, max(0.0, (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)))
    # 0.5 * (1 + cos(pi p)) goes from 1 at p = 0 to 0 at p = 1: it blends lr into min_lr.
    return config.min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (config.lr - config.min_lr)
    ### END SOLUTION


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.AdamW:
    """AdamW (lr, betas from config; eps PyTorch's default) with weight decay config.weight_decay on the
    parameters of 2 or more dimensions (matrices, embeddings) and none on the others (biases, norm gains).

    Decaying biases and layer-norm gains would pull them towards 0 for no benefit (nanoGPT's rule). A tied
    weight is one parameter: list it once. fused=True or not: both are accepted.
    """
    ### BEGIN SOLUTION
    params = [p for p in model.parameters() if p.requires_grad]  # a tied weight appears once
    # Weight decay shrinks weights towards 0 each step (AdamW applies it directly, outside Adam's scaling).
    # It regularises the matrices that mix features; a bias or a LayerNorm gain is one number per feature
    # whose natural value is not 0, so decaying it only fights the fit.
    decay = [p for p in params if p.dim() >= 2]  # weights (out, in), embeddings (V, d)
    no_decay = [p for p in params if p.dim() < 2]  # biases and norm gains (d,)
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    # fused=True: one kernel for the whole update instead of a dozen small ops per parameter (CPU and CUDA).
    return torch.optim.AdamW(groups, lr=config.lr, betas=config.betas, fused=True)
    ### END SOLUTION


def _step(
    model: nn.Module, optimizer: torch.optim.Optimizer, loss: Tensor, step: int, config: TrainConfig
) -> None:
    """One optimizer step: set learning_rate(step, config) on every param group, zero the grads,
    back-propagate `loss`, clip the global gradient norm (all parameters together) to config.grad_clip
    (0 disables), update.

    The order matters: clipping after optimizer.step() changes nothing (the update has already used the
    gradients), and clipping each parameter on its own changes the direction of the update.
    """
    ### BEGIN SOLUTION
    # 1. The schedule: the optimizer reads each group's lr at step() time, so set it first.
    for group in optimizer.param_groups:
        group["lr"] = learning_rate(step, config)
    # 2. Gradients ACCUMULATE in .grad across backward() calls: clear last step's first (None frees them).
    optimizer.zero_grad(set_to_none=True)
    # 3. Back-propagate: fill every parameter's .grad with d loss / d parameter.
    loss.backward()
    # 4. Clip, then 5. update with the clipped gradients.
    if config.grad_clip > 0:
        # One global norm over all gradients: a rare huge gradient (early, or a bad batch) cannot blow up
        # the weights.
        nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
    optimizer.step()
    ### END SOLUTION


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    x: Tensor,
    y: Tensor,
    step: int,
    config: TrainConfig,
) -> float:
    """One training step of a GPT on the batch x, y (B, T) long (on the model's device): the logits and
    lm_loss inside `autocast(x.device, config)`, then `_step`. Returns the loss as a float.

    train_gpt calls it once per step; the grader calls it on its own, to compare the weights after a few
    steps with the reference's (same model, same batches).
    """
    ### BEGIN SOLUTION
    # Only the forward pass and the loss run under autocast; backward follows the dtypes autocast chose.
    with autocast(x.device, config):
        loss = lm_loss(model(x), y)  # model(x): (B, T) -> (B, T, V); the loss is a scalar
    _step(model, optimizer, loss, step, config)
    # .item() copies the number to the CPU: a plain float for the log, with no graph attached.
    return loss.item()
    ### END SOLUTION


def train_gpt(model: nn.Module, data: Tensor, config: TrainConfig) -> list[float]:
    """Train `model` (a GPT) for exactly config.steps steps on random windows of `data` (N,) long.

    Each step: a batch from data.get_batch(data, batch_size, block_size, generator), then `train_step`.
    The batches are the only randomness: one torch.Generator seeded with config.seed, made here (never
    torch.manual_seed, never torch's global generator), so that the same seed gives the same run.
    Train on resolve_device(config.device, model) (move the model and each batch there). Leaves the model in
    eval mode. Returns the training loss of every step.
    """
    ### BEGIN SOLUTION
    # The run's only randomness, owned by the run: the same seed gives the same batches, whatever else has
    # used torch's global generator before. It lives on the CPU, where the batches are drawn. The model moves
    # before the first step, so the optimizer's state is created on the same device; train() turns dropout on.
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = make_optimizer(model, config)
    device = resolve_device(config.device, model)
    model.to(device)
    model.train()
    losses = []
    for step in range(config.steps):
        x, y = get_batch(data, config.batch_size, config.block_size, generator)  # (B, T), (B, T)
        losses.append(train_step(model, optimizer, x.to(device), y.to(device), step, config))
    model.eval()  # dropout off: whoever uses the trained model next gets deterministic outputs
    return losses
    ### END SOLUTION


def train_seq2seq(
    model: nn.Module, task: str, config: TrainConfig, min_len: int = 1, max_len: int = 8
) -> list[float]:
    """Train `model` (a Transformer) for exactly config.steps steps on fresh batches of the toy `task`.

    Each step: src, tgt = data.seq2seq_batch(task, batch_size, min_len, max_len, generator) (one generator
    seeded with config.seed, as in train_gpt), seq2seq_loss (teacher forcing) inside autocast, then `_step`;
    the device as in train_gpt.
    Leaves the model in eval mode.
    Returns the training loss of every step.
    """
    ### BEGIN SOLUTION
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = make_optimizer(model, config)
    device = resolve_device(config.device, model)
    model.to(device)
    model.train()
    losses = []
    # The same loop as train_gpt; only the batch and the loss differ. A fresh batch every step: the toy task
    # has endless data, so there is nothing to overfit and no need for epochs.
    for step in range(config.steps):
        src, tgt = seq2seq_batch(task, config.batch_size, min_len, max_len, generator)  # (B, S), (B, T+1)
        with autocast(device, config):
            loss = seq2seq_loss(model, src.to(device), tgt.to(device))
        _step(model, optimizer, loss, step, config)
        losses.append(loss.item())
    model.eval()
    return losses
    ### END SOLUTION
