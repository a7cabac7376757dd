"""Forward + backward CPU time of seqnotes (NumPy scratch and nn) against torch.nn.

Run: ``make bench`` or ``python benchmarks/bench.py [--repeats 7] [--threads N]``. Not part of
the test suite. Each row is one ``Case(name, ours, theirs)``: two zero-argument
callables that each run one forward + backward pass. To add a row (e.g. the
NumPy scratch LSTM), append a ``Case`` to the list returned by ``cases()``;
``ours`` may be any callable, ``theirs`` is the torch.nn reference.
"""

from __future__ import annotations

import os

# NumPy's BLAS threads must match torch's (1 by default) for a fair ratio; this
# has to be set before NumPy is imported. Override with OPENBLAS_NUM_THREADS=N.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import statistics
import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch

import seqnotes.nn as snn
import seqnotes.scratch as scratch


class Case(NamedTuple):
    name: str
    ours: Callable[[], object]
    theirs: Callable[[], object]


def _fwd_bwd(module: torch.nn.Module, *inputs: torch.Tensor) -> Callable[[], None]:
    """A callable running ``module(*inputs)`` and backpropagating the sum of its first output."""

    def run() -> None:
        module.zero_grad(set_to_none=True)
        out = module(*inputs)
        out[0].sum().backward()

    return run


def _scratch_fwd_bwd(layer, *inputs: np.ndarray) -> Callable[[], None]:
    """The same for a NumPy scratch layer: forward, then its hand-written backward."""

    def run() -> None:
        out = layer.forward(*inputs)[0]
        layer.backward(np.ones_like(out))

    return run


def _twins(ours_cls, theirs_cls, *args, **kwargs):
    torch.manual_seed(0)
    theirs = theirs_cls(*args, **kwargs)
    ours = ours_cls(*args, **kwargs)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def cases() -> list[Case]:
    g = torch.Generator().manual_seed(0)
    out: list[Case] = []

    # LSTM: N=32, T=64, D=H=128
    N, T, D, H = 32, 64, 128, 128
    ours, theirs = _twins(snn.LSTM, torch.nn.LSTM, D, H, batch_first=True)
    x = torch.randn(N, T, D, generator=g, requires_grad=True)
    out.append(Case(f"nn.LSTM N={N} T={T} D=H={H}", _fwd_bwd(ours, x), _fwd_bwd(theirs, x)))
    theirs64 = torch.nn.LSTM(D, H, batch_first=True).double()
    x64 = x.detach().double().requires_grad_()
    np_lstm = scratch.LSTM.from_torch(theirs64)
    out.append(
        Case(
            f"scratch.LSTM N={N} T={T} D=H={H}",
            _scratch_fwd_bwd(np_lstm, x64.detach().numpy()),
            _fwd_bwd(theirs64, x64),
        )
    )

    # Multi-head self-attention: N=8, L=256, E=256, 8 heads (weights returned, as by default)
    N, L, E, h = 8, 256, 256, 8
    ours, theirs = _twins(
        snn.MultiheadAttention, torch.nn.MultiheadAttention, E, h, batch_first=True
    )
    x = torch.randn(N, L, E, generator=g, requires_grad=True)
    out.append(
        Case(f"nn.MHA N={N} L={L} E={E} h={h}", _fwd_bwd(ours, x, x, x), _fwd_bwd(theirs, x, x, x))
    )
    theirs64 = torch.nn.MultiheadAttention(E, h, batch_first=True).double()
    x64 = x.detach().double().requires_grad_()
    np_mha = scratch.MultiheadAttention.from_torch(theirs64)
    xn = x64.detach().numpy()
    out.append(
        Case(
            f"scratch.MHA N={N} L={L} E={E} h={h}",
            _scratch_fwd_bwd(np_mha, xn, xn, xn),
            _fwd_bwd(theirs64, x64, x64, x64),
        )
    )
    return out


def median_time(fn: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=9)
    # One thread by default: the ratio then measures kernels and per-op overhead rather than
    # how OpenMP copes with a busy machine (on a loaded 2-core box, 2 threads swing 10x).
    p.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, median of {a.repeats}")
    print("scratch rows run in float64 (NumPy) against torch.nn in float64")
    print(f"{'case':<34} {'ours ms':>9} {'torch ms':>9} {'ratio':>6}")
    for c in cases():
        t_o, t_t = median_time(c.ours, a.repeats), median_time(c.theirs, a.repeats)
        print(f"{c.name:<34} {1e3 * t_o:9.1f} {1e3 * t_t:9.1f} {t_o / t_t:6.2f}")


if __name__ == "__main__":
    main()
