"""CUDA paths: the reference on a GPU, and grading with --device cuda. Marked `cuda`; skipped without one."""

from __future__ import annotations

import pytest
import torch

from grader.assignments import get_assignment
from grader.grading.runner import GradeConfig, grade
from solutions.hw1_attention.multihead import MultiHeadAttention

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


@pytest.mark.parametrize("need_weights", [True, False])
def test_reference_mha_matches_torch_on_cuda(need_weights):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(64, 8, batch_first=True).cuda()
    ours = MultiHeadAttention(64, 8).cuda()
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(4, 33, 64, device="cuda", requires_grad=True)
    mask = torch.ones(33, 33, dtype=torch.bool, device="cuda").tril()
    expected, _ = theirs(x, x, x, attn_mask=~mask, need_weights=False)
    got, _ = ours(x, mask=mask, need_weights=need_weights)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)
    (grad_theirs,) = torch.autograd.grad(expected.sum(), x)
    (grad_ours,) = torch.autograd.grad(got.sum(), x)
    torch.testing.assert_close(grad_ours, grad_theirs, atol=1e-4, rtol=1e-4)


def test_the_reference_grades_100_on_cuda():
    (result,) = grade(get_assignment("hw1_attention").solution_dir, config=GradeConfig(device="cuda"))
    assert result.score == 100, [(t.name, t.message) for t in result.tests if t.score < t.max_score]


def test_hw2_reference_gpt_trains_on_cuda_with_bf16_and_its_cache_agrees():
    from solutions.hw2_transformer import data, gpt, train

    text = data.generate_corpus(500, seed=0)
    tokenizer = data.CharTokenizer(text)
    torch.manual_seed(0)
    model = gpt.GPT(gpt.GPTConfig(vocab_size=tokenizer.vocab_size, block_size=32, n_layer=2, d_model=64))
    config = train.TrainConfig(steps=60, batch_size=16, block_size=32, device="cuda", bf16=True)
    losses = train.train_gpt(model, tokenizer.encode(text), config)
    assert next(model.parameters()).is_cuda and losses[-1] < 0.7 * losses[0]
    idx = tokenizer.encode("The ").unsqueeze(0).cuda()
    without = model.generate(idx, 20, greedy=True)
    assert torch.equal(model.generate(idx, 20, greedy=True, use_cache=True), without)


def test_hw2_reference_grades_100_on_cuda():
    (result,) = grade(get_assignment("hw2_transformer").solution_dir, config=GradeConfig(device="cuda"))
    assert result.score == 100, [(t.name, t.message) for t in result.tests if t.score < t.max_score]
