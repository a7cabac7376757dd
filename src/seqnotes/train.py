r"""One small training loop shared by every demo.

Each step is the four lines of every gradient-descent chapter:

$$\mathcal{L} = \text{loss}(w),\qquad \nabla \mathcal{L} = \partial \mathcal{L}/\partial w,\qquad
\nabla \mathcal{L} \leftarrow \nabla \mathcal{L} \cdot
\min\!\left(1, \frac{\theta}{\lVert \nabla \mathcal{L} \rVert_2 + 10^{-6}}\right),
\qquad w \leftarrow \text{optimizer}(w, \nabla \mathcal{L}),$$

with $w$ all the parameters and $\theta$ the clipping threshold ``clip`` (the
clipping step only when ``clip`` is given).

A demo supplies the model, a function that draws a mini-batch from a seeded
``torch.Generator``, and a loss function; :func:`fit` does the rest and
returns the loss history for plotting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import cycle
from typing import Any

import numpy as np
import torch


def as_tensors(*arrays: Any, device: torch.device | str | None = None) -> tuple[torch.Tensor, ...]:
    """Convert NumPy arrays from :mod:`seqnotes.data` to tensors for training.

    Floating-point arrays become ``float32`` (PyTorch's default), integer arrays
    ``int64`` (what ``nn.Embedding`` and ``cross_entropy`` expect).

    >>> import numpy as np
    >>> x, y = as_tensors(np.zeros((2, 3)), np.array([1, 2]))
    >>> x.dtype, y.dtype
    (torch.float32, torch.int64)
    """
    out = []
    for a in arrays:
        t = torch.as_tensor(np.asarray(a), device=device)
        out.append(t.float() if t.is_floating_point() else t.long())
    return tuple(out)


def minibatches(*tensors: torch.Tensor, batch_size: int) -> Callable[[torch.Generator], tuple]:
    """Return ``draw(generator)``: a random mini-batch (rows drawn with replacement).

    >>> draw = minibatches(torch.arange(10), torch.arange(10) * 2, batch_size=4)
    >>> a, b = draw(torch.Generator().manual_seed(0))
    >>> a.shape, bool((b == 2 * a).all())
    (torch.Size([4]), True)
    """
    n = len(tensors[0])

    def draw(generator: torch.Generator) -> tuple:
        idx = torch.randint(0, n, (batch_size,), generator=generator).to(tensors[0].device)
        return tuple(t[idx] for t in tensors)

    return draw


def fit(
    model: torch.nn.Module,
    loss_fn: Callable[[torch.nn.Module, Any], torch.Tensor],
    batches: Callable[[torch.Generator], Any] | Iterable[Any],
    *,
    steps: int,
    lr: float = 1e-3,
    optimizer: torch.optim.Optimizer | None = None,
    clip: float | None = None,
    seed: int = 0,
    log_every: int = 0,
    stop_below: float | None = None,
    schedule: str = "constant",
) -> list[float]:
    r"""Train ``model`` for ``steps`` gradient steps and return the loss at each step.

    Parameters
    ----------
    model : torch.nn.Module
        Put in ``train()`` mode while fitting and back in ``eval()`` mode afterwards.
    loss_fn : callable
        ``loss_fn(model, batch)`` returns a scalar loss tensor.
    batches : callable or iterable
        Either ``draw(generator)`` returning one batch (see :func:`minibatches`),
        called with a ``torch.Generator`` seeded from ``seed``, or an iterable of
        batches that is cycled.
    steps : int
        Number of optimizer steps.
    lr : float
        Learning rate of the default optimizer, Adam.
    optimizer : torch.optim.Optimizer, optional
        Use this one instead of ``Adam(model.parameters(), lr)``.
    clip : float, optional
        Clip the global L2 norm of the gradient to $\theta$ = ``clip``
        (``torch.nn.utils.clip_grad_norm_``):
        $\nabla \mathcal{L} \leftarrow \nabla \mathcal{L} \cdot
        \min\big(1, \theta / (\lVert \nabla \mathcal{L} \rVert + 10^{-6})\big)$.
    seed : int
        Seeds ``torch.manual_seed`` (dropout, sampling) and the batch generator.
    log_every : int
        Print the mean loss every ``log_every`` steps; 0 (default) prints nothing.
    stop_below : float, optional
        Stop early once the mean loss of the last 20 steps is below this value.
    schedule : {"constant", "cosine"}
        ``"cosine"`` lowers the learning rate from its initial value to 0 along
        half a cosine over ``steps``: the last steps take ever smaller moves, so
        the weights settle instead of jittering around the minimum, and the
        result depends much less on the seed and on rounding in the kernels.

    Returns
    -------
    list of float
        The training loss at every step (length ``steps``, or less if stopped early).

    Examples
    --------
    >>> model = torch.nn.Linear(1, 1)
    >>> x = torch.linspace(-1, 1, 32).unsqueeze(1)
    >>> loss = lambda m, b: ((m(b[0]) - b[1]) ** 2).mean()
    >>> history = fit(model, loss, [(x, 3 * x)], steps=200, lr=0.1, seed=0)
    >>> len(history), history[-1] < 1e-3 < history[0]
    (200, True)
    """
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    draw = batches if callable(batches) else cycle(batches).__next__
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"fit: expected schedule 'constant' or 'cosine', got {schedule!r}")
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
        if schedule == "cosine"
        else None
    )
    history: list[float] = []
    model.train()
    for step in range(steps):
        batch = draw(generator) if callable(batches) else draw()
        loss = loss_fn(model, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip is not None:  # rescale the whole gradient, keeping its direction
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        history.append(loss.item())
        if log_every and (step + 1) % log_every == 0:
            print(f"step {step + 1:5d}  loss {np.mean(history[-log_every:]):.4f}")
        if stop_below is not None and len(history) >= 20 and np.mean(history[-20:]) < stop_below:
            break
    model.eval()
    return history
