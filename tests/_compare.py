"""Helpers to compare seqnotes.scratch (NumPy) with PyTorch in float64.

Other test modules may import these read-only.
"""

from __future__ import annotations

import numpy as np
import torch

from seqnotes.scratch.functional import rel_error

FWD_ATOL = 1e-10  # forward outputs: absolute tolerance
GRAD_RTOL = 1e-8  # gradients vs autograd: rel_error
NUM_RTOL = 1e-7  # gradients vs centred differences: rel_error


def tt(x: np.ndarray, grad: bool = True) -> torch.Tensor:
    """NumPy array → float64 torch leaf tensor (requires_grad for float arrays)."""
    t = torch.tensor(np.asarray(x))
    if t.is_floating_point():
        t = t.double().requires_grad_(grad)
    return t


def nd(t: torch.Tensor) -> np.ndarray:
    """torch tensor → float64 NumPy array (detached copy)."""
    return t.detach().double().cpu().numpy().copy()


def assert_forward(ours: np.ndarray, theirs: torch.Tensor | np.ndarray) -> None:
    theirs = nd(theirs) if isinstance(theirs, torch.Tensor) else theirs
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    err = float(np.max(np.abs(ours - theirs))) if ours.size else 0.0
    assert err < FWD_ATOL, f"forward differs by {err:.3e}"


def assert_grad(
    ours: np.ndarray, theirs: torch.Tensor | np.ndarray, tol: float = GRAD_RTOL
) -> None:
    theirs = nd(theirs) if isinstance(theirs, torch.Tensor) else theirs
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    err = rel_error(ours, theirs)
    assert err < tol, f"gradient rel_error {err:.3e}"


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def torch_module(cls, *args, seed: int = 0, **kwargs):
    """Build a float64 torch module with a fixed seed."""
    torch.manual_seed(seed)
    return cls(*args, **kwargs).double()
