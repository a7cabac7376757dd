"""One shared helper for input checks, so every error message reads the same.

Every public entry point checks its inputs once, here, and raises a
``ValueError`` / ``TypeError`` that names the caller, the expected shape and the
received one, e.g. ``LSTM.forward: expected x of shape (N, T, 8), got (4, 5, 7)``.
The helpers work for NumPy arrays and torch tensors alike (they only read
``.shape``, ``.ndim`` and ``.dtype``), so :mod:`seqnotes.scratch` and
:mod:`seqnotes.nn` share them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Dim = int | str | None
"""One entry of a shape spec: an exact size, a symbol bound on first use, or ``None`` (any)."""


def _fmt(spec: Sequence[Any]) -> str:
    inner = ", ".join("?" if s is None else str(s) for s in spec)
    return f"({inner},)" if len(spec) == 1 else f"({inner})"


def check_shape(
    where: str,
    name: str,
    x: Any,
    spec: Sequence[Dim],
    dims: dict[str, int] | None = None,
) -> dict[str, int]:
    """Check that ``x`` has the shape ``spec`` and return the bound symbols.

    ``spec`` mixes exact sizes (``8``), symbols (``"N"``) and ``None``. A symbol
    already in ``dims`` must match its bound size, so several arguments of one
    call can be checked against each other (the same ``N`` for ``x`` and ``h0``).

    Examples
    --------
    >>> import numpy as np
    >>> dims = check_shape("RNN.forward", "x", np.zeros((4, 5, 8)), ("N", "T", 8))
    >>> dims
    {'N': 4, 'T': 5}
    >>> check_shape("RNN.forward", "h0", np.zeros((1, 3, 6)), (1, "N", 6), dims)
    Traceback (most recent call last):
      ...
    ValueError: RNN.forward: expected h0 of shape (1, N=4, 6), got (1, 3, 6)
    """
    dims = {} if dims is None else dims
    shape = getattr(x, "shape", None)
    if shape is None:
        raise TypeError(
            f"{where}: expected {name} to be an array of shape {_fmt(spec)}, got {type(x).__name__}"
        )
    shape = tuple(int(s) for s in shape)
    ok = len(shape) == len(spec)
    new: dict[str, int] = {}
    if ok:
        for want, got in zip(spec, shape, strict=True):
            if isinstance(want, str):
                bound = dims.get(want, new.get(want))
                if bound is None:
                    new[want] = got
                elif bound != got:
                    ok = False
            elif want is not None and want != got:
                ok = False
    if not ok:
        shown = [f"{s}={dims[s]}" if isinstance(s, str) and s in dims else s for s in spec]
        raise ValueError(f"{where}: expected {name} of shape {_fmt(shown)}, got {_fmt(shape)}")
    dims.update(new)
    return dims


def check_float(where: str, name: str, x: Any) -> None:
    """Raise ``TypeError`` unless ``x`` holds floating-point numbers."""
    kind = getattr(getattr(x, "dtype", None), "kind", None)
    is_float = (
        kind == "f" if kind is not None else bool(getattr(x.dtype, "is_floating_point", False))
    )
    if not is_float:
        raise TypeError(f"{where}: expected {name} with a floating-point dtype, got {x.dtype}")


def check_tokens(where: str, name: str, ids: Any, vocab_size: int) -> None:
    """Raise unless ``ids`` are integers in ``[0, vocab_size)``.

    Examples
    --------
    >>> import numpy as np
    >>> check_tokens("Embedding.forward", "ids", np.array([0, 3, 9]), 5)
    Traceback (most recent call last):
      ...
    ValueError: Embedding.forward: expected ids in [0, 5), got values in [0, 9]
    """
    dtype = ids.dtype
    kind = getattr(dtype, "kind", None)
    is_int = (
        kind in ("i", "u")
        if kind is not None
        else not (dtype.is_floating_point or dtype.is_complex or str(dtype) == "torch.bool")
    )
    if not is_int:
        raise TypeError(f"{where}: expected {name} with an integer dtype, got {dtype}")
    if ids.numel() if hasattr(ids, "numel") else ids.size:
        lo, hi = int(ids.min()), int(ids.max())
        if lo < 0 or hi >= vocab_size:
            raise ValueError(
                f"{where}: expected {name} in [0, {vocab_size}), got values in [{lo}, {hi}]"
            )


def check_divisible(where: str, what: str, value: int, by_what: str, by: int) -> None:
    """Raise ``ValueError`` unless ``value`` is a multiple of ``by``.

    Examples
    --------
    >>> check_divisible("MultiheadAttention", "embed_dim", 10, "num_heads", 4)
    Traceback (most recent call last):
      ...
    ValueError: MultiheadAttention: expected embed_dim (10) divisible by num_heads (4)
    """
    if by <= 0 or value % by:
        raise ValueError(f"{where}: expected {what} ({value}) divisible by {by_what} ({by})")


def check_token_range(where: str, token_range: Sequence[int] | None, vocab_size: int) -> None:
    """``token_range = (lo, hi)`` must be a non-empty slice of the vocabulary ``[0, V)``.

    >>> check_token_range("generate", (12, 30), 17)
    Traceback (most recent call last):
    ...
    ValueError: generate: expected token_range (lo, hi) with 0 <= lo < hi <= 17, got (12, 30)
    """
    if token_range is None:
        return
    lo, hi = token_range
    if not 0 <= lo < hi <= vocab_size:
        raise ValueError(
            f"{where}: expected token_range (lo, hi) with 0 <= lo < hi <= {vocab_size}, "
            f"got ({lo}, {hi})"
        )
