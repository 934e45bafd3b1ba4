"""Inputs that hidden suites build for their checks, shared so that every suite draws them the same way."""

from __future__ import annotations

import math

import torch
from torch import nn


def randomize_parameters(module: nn.Module, gen: torch.Generator) -> nn.Module:
    """Redraw every parameter of `module` from `gen` (LayerNorm weights near 1, matrices scaled by
    1/sqrt(fan-in), other vectors small) and return it in eval mode.

    A freshly initialised layer has zero biases and unit norms, which hide bugs that only show with
    generic weights (a missing bias, a norm applied to the wrong tensor).
    """
    with torch.no_grad():
        for owner in module.modules():
            for name, parameter in owner.named_parameters(recurse=False):
                noise = torch.randn(parameter.shape, generator=gen, dtype=parameter.dtype)
                if isinstance(owner, nn.LayerNorm) and name == "weight":
                    parameter.copy_(1.0 + 0.2 * noise)
                elif parameter.dim() >= 2:
                    parameter.copy_(noise / math.sqrt(parameter.shape[-1]))
                else:
                    parameter.copy_(0.2 * noise)
    return module.eval()
