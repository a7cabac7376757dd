"""Input checks for the PyTorch modules: dtype and device next to shape.

The shape, dtype and vocabulary checks themselves live in :mod:`seqnotes._checks`
(shared with the NumPy code); these two add what only tensors have: a device,
and a dtype that must match the module's parameters.
"""

from __future__ import annotations

import torch  # noqa: F401  (the doctests below use it)
from torch import Tensor

from seqnotes._checks import check_float, check_tokens

__all__ = ["check_input", "check_ids"]


def check_input(where: str, name: str, x: object, like: Tensor) -> None:
    """Raise unless ``x`` is a float tensor with the dtype and device of ``like``.

    ``like`` is a parameter or buffer of the module, so the message can name
    both sides: ``LSTM.forward: input is on cpu but the module is on cuda:0``.

    >>> m = torch.zeros(2, dtype=torch.float32)
    >>> check_input("RNN.forward", "input", torch.zeros(2, dtype=torch.float64), m)
    Traceback (most recent call last):
      ...
    TypeError: RNN.forward: input has dtype torch.float64 but the module has torch.float32; ...
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"{where}: expected {name} to be a torch.Tensor, got {type(x).__name__}")
    check_float(where, name, x)
    if x.dtype != like.dtype:
        raise TypeError(
            f"{where}: {name} has dtype {x.dtype} but the module has {like.dtype}; "
            f"convert one of them (e.g. x.to({like.dtype}) or module.to({x.dtype}))"
        )
    if x.device != like.device:
        raise RuntimeError(
            f"{where}: {name} is on {x.device} but the module is on {like.device}; "
            f"move one of them (e.g. module.to({str(x.device)!r}))"
        )


def check_ids(where: str, name: str, ids: object, vocab_size: int, like: Tensor) -> None:
    """Raise unless ``ids`` is an integer tensor in ``[0, vocab_size)`` on ``like``'s device.

    >>> check_ids("CharLM.forward", "ids", torch.tensor([[1, 9]]), 5, torch.zeros(1))
    Traceback (most recent call last):
      ...
    ValueError: CharLM.forward: expected ids in [0, 5), got values in [1, 9]
    """
    if not isinstance(ids, Tensor):
        raise TypeError(f"{where}: expected {name} to be a torch.Tensor, got {type(ids).__name__}")
    if ids.device != like.device:
        raise RuntimeError(
            f"{where}: {name} is on {ids.device} but the model is on {like.device}; "
            f"move one of them (e.g. {name}.to({str(like.device)!r}))"
        )
    check_tokens(where, name, ids, vocab_size)
