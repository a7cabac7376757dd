r"""Recurrent layers (RNN, LSTM, GRU) written from matmuls and elementwise ops.

Each class is a drop-in twin of its ``torch.nn`` namesake: the same constructor,
the same parameter names and shapes (``weight_ih_l0``, ``weight_hh_l0``,
``bias_ih_l0``, ``bias_hh_l0``, ...), the same initialisation and the same
``forward(input, hx)`` outputs, so ``ours.load_state_dict(theirs.state_dict())``
works both ways. What differs is that the recurrence is a visible Python loop
over time, with one line per equation of the notes.

Shapes: T time steps, N batch, D input features, H hidden units, n_layers layers.
With ``batch_first=False`` (the default, as in torch) ``input`` is ``(T, N, D)``;
with ``batch_first=True`` it is ``(N, T, D)``. The states ``h_0``/``c_0`` are
always ``(n_layers, N, H)``. A 2-D ``input`` ``(T, D)`` is an unbatched sequence.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqnotes._checks import check_shape
from seqnotes.nn._checks import check_input

__all__ = ["RNN", "LSTM", "GRU", "check_input"]


class _RNNBase(nn.Module):
    r"""Plumbing shared by RNN, LSTM and GRU: parameters, checks, the layer stack.

    A subclass sets ``n_gates`` ($n_g$, how many ``H``-blocks are stacked in $W_{xh}$)
    and ``n_states`` (1 for ``h``, 2 for ``(h, c)``), and writes ``_layer``: one
    layer run over all time steps. That method is where the equations live.

    Two speed tricks keep the Python loop within a small factor of torch's fused
    kernels: the input projection $W_{xh} x_t$ (``x @ W_ih.T``) of all T steps is one matmul
    before the loop, and the loop walks ``xW.unbind(0)`` rather than indexing
    ``xW[t]`` (each ``xW[t]`` would make autograd build a full ``(T, N, GH)``
    zero gradient per step in the backward pass).
    """

    n_gates = 1
    n_states = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if input_size <= 0 or hidden_size <= 0 or num_layers <= 0:
            raise ValueError(
                f"{name}: expected positive input_size, hidden_size and num_layers, got "
                f"{input_size}, {hidden_size}, {num_layers}"
            )
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: expected dropout in [0, 1], got {dropout}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        kw = {"device": device, "dtype": dtype}
        GH = self.n_gates * hidden_size
        # Registration order = torch's, so state_dict() lists keys in the same order.
        for layer in range(num_layers):
            D_in = input_size if layer == 0 else hidden_size
            setattr(self, f"weight_ih_l{layer}", nn.Parameter(torch.empty(GH, D_in, **kw)))
            setattr(self, f"weight_hh_l{layer}", nn.Parameter(torch.empty(GH, hidden_size, **kw)))
            if bias:
                setattr(self, f"bias_ih_l{layer}", nn.Parameter(torch.empty(GH, **kw)))
                setattr(self, f"bias_hh_l{layer}", nn.Parameter(torch.empty(GH, **kw)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        r"""Draw every weight and bias from $\mathcal U(-1/\sqrt H,\ 1/\sqrt H)$, as torch does."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def _params(self, layer: int) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        """``(W_ih, W_hh, b_ih, b_hh)`` of one layer; the biases are None when bias=False."""
        W_ih = getattr(self, f"weight_ih_l{layer}")
        W_hh = getattr(self, f"weight_hh_l{layer}")
        if not self.bias:
            return W_ih, W_hh, None, None
        return W_ih, W_hh, getattr(self, f"bias_ih_l{layer}"), getattr(self, f"bias_hh_l{layer}")

    def _layer(
        self, x: Tensor, state: tuple[Tensor, ...], layer: int
    ) -> tuple[Tensor, tuple[Tensor, ...]]:
        raise NotImplementedError

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        return s

    def _run(self, input: Tensor, hx: tuple[Tensor, ...] | None) -> tuple[Tensor, tuple]:
        """Check shapes, put time first, run the layer stack, restore the layout."""
        where = f"{type(self).__name__}.forward"
        D, H, L = self.input_size, self.hidden_size, self.num_layers
        W = self.weight_ih_l0
        if getattr(input, "ndim", None) == 2:  # unbatched (T, D)
            dims = check_shape(where, "input", input, ("T", D))
            state_spec: tuple = (L, H)
        else:
            spec = ("N", "T", D) if self.batch_first else ("T", "N", D)
            dims = check_shape(where, "input", input, spec)
            state_spec = (L, "N", H)
        check_input(where, "input", input, W)
        names = ("h_0", "c_0")[: self.n_states]
        if hx is not None:
            for name, s in zip(names, hx, strict=True):
                check_shape(where, name, s, state_spec, dims)
                check_input(where, name, s, W)

        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(1)  # (T, 1, D)
        if batched and self.batch_first:
            x = x.transpose(0, 1)  # (T, N, D): the loop runs over dim 0
        N = x.shape[1]
        if hx is None:
            zeros = x.new_zeros(L, N, H)
            hx = (zeros,) * self.n_states
        elif not batched:
            hx = tuple(s.unsqueeze(1) for s in hx)

        finals: list[tuple[Tensor, ...]] = []
        for layer in range(L):
            x, last = self._layer(x, tuple(s[layer] for s in hx), layer)
            finals.append(last)
            # torch applies dropout to every layer's output except the last one.
            if self.dropout and self.training and layer < L - 1:
                x = F.dropout(x, self.dropout, training=True)
        h_n = tuple(torch.stack(parts) for parts in zip(*finals, strict=True))  # each (L, N, H)

        if not batched:
            return x.squeeze(1), tuple(s.squeeze(1) for s in h_n)
        return (x.transpose(0, 1) if self.batch_first else x), h_n


class RNN(_RNNBase):
    r"""Elman RNN, a twin of :class:`torch.nn.RNN`.

    $$h_t = \phi(W_{xh} x_t + b_{xh} + W_{hh} h_{t-1} + b_{hh}),
    \qquad \phi = \tanh \text{ or ReLU}$$

    $W_{xh}$, $W_{hh}$, $b_{xh}$, $b_{hh}$ are ``weight_ih_l0``, ``weight_hh_l0``,
    ``bias_ih_l0``, ``bias_hh_l0``; with one example per row the code computes
    ``x @ W_ih.T``.

    Parameters
    ----------
    input_size, hidden_size : int
        D and H.
    num_layers : int
        $n_\text{layers}$ stacked layers; layer $l > 1$ reads the outputs
        $h_t^{(l-1)}$ of layer $l - 1$ (in the names, ``_l0`` is layer 1).
    nonlinearity : {"tanh", "relu"}
        $\phi$.
    bias, batch_first, dropout, device, dtype
        As in torch.nn.RNN (dropout acts between layers, in training mode).

    Shapes
    ------
    ``forward(input, hx=None) -> (output, h_n)``: input ``(T, N, D)`` (``(N, T, D)``
    if batch_first), hx ``(n_layers, N, H)`` (zeros if None), output ``(T, N, H)``
    (``(N, T, H)``) = the last layer's $h_t$ for every t, h_n ``(n_layers, N, H)``.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> rnn = RNN(8, 16, num_layers=2, batch_first=True)
    >>> out, h_n = rnn(torch.randn(4, 5, 8))
    >>> tuple(out.shape), tuple(h_n.shape)
    ((4, 5, 16), (2, 4, 16))
    >>> bool(torch.allclose(out[:, -1], h_n[-1]))
    True
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: expected nonlinearity 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, device, dtype
        )

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        output, (h_n,) = self._run(input, None if hx is None else (hx,))
        return output, h_n

    def _layer(self, x, state, layer):
        W_ih, W_hh, b_ih, b_hh = self._params(layer)
        phi = torch.tanh if self.nonlinearity == "tanh" else torch.relu
        (h,) = state
        # W_xh x_t does not depend on h, so do it for all T steps in one matmul;
        # both biases are constant too and can be folded in there.
        xW = x @ W_ih.T  # (T, N, H)
        if b_ih is not None:
            xW = xW + (b_ih + b_hh)
        W_hh_T = W_hh.T  # transpose once, outside the loop
        hs = []
        for xW_t in xW.unbind(0):  # one (N, GH) slice per step; see _RNNBase
            h = phi(xW_t + h @ W_hh_T)  # h_t = φ(W_xh x_t + b + W_hh h_{t-1})
            hs.append(h)
        return torch.stack(hs), (h,)


class LSTM(_RNNBase):
    r"""Long short-term memory, a twin of :class:`torch.nn.LSTM` (gate order i, f, g, o).

    $$\begin{aligned}
    a_t &= W_{xh} x_t + b_{xh} + W_{hh} h_{t-1} + b_{hh} = [a^i_t; a^f_t; a^g_t; a^o_t]
    \in \mathbb{R}^{4H}, \\
    i_t &= \sigma(a^i_t), \quad f_t = \sigma(a^f_t), \quad
    \tilde c_t = \tanh(a^g_t), \quad o_t = \sigma(a^o_t), \\
    c_t &= f_t \odot c_{t-1} + i_t \odot \tilde c_t, \quad
    h_t = o_t \odot \tanh(c_t).
    \end{aligned}$$

    ``weight_ih_l0`` is $W_{xh}$, of shape ``(4H, D)``, and ``weight_hh_l0`` is
    $W_{hh}$, ``(4H, H)``, each with the four blocks stacked in the order
    i, f, g, o (g is the candidate $\tilde c_t$). The two biases are only used as
    the sum $b_{xh} + b_{hh}$ (``bias_ih + bias_hh``; torch keeps both, so we do).

    Parameters
    ----------
    input_size, hidden_size, num_layers, bias, batch_first, dropout, device, dtype
        As in torch.nn.LSTM (no ``bidirectional`` / ``proj_size``).

    Shapes
    ------
    ``forward(input, hx=None) -> (output, (h_n, c_n))``: input ``(T, N, D)``
    (``(N, T, D)`` if batch_first), hx = ``(h_0, c_0)`` each ``(n_layers, N, H)``,
    output ``(T, N, H)`` (``(N, T, H)``), h_n and c_n ``(n_layers, N, H)``.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> lstm = LSTM(8, 16)
    >>> out, (h_n, c_n) = lstm(torch.randn(5, 4, 8))
    >>> tuple(out.shape), tuple(h_n.shape), tuple(c_n.shape)
    ((5, 4, 16), (1, 4, 16), (1, 4, 16))
    >>> [k for k in lstm.state_dict()]
    ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
    """

    n_gates = 4
    n_states = 2

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError("LSTM.forward: expected hx to be a tuple (h_0, c_0)")
        output, (h_n, c_n) = self._run(input, None if hx is None else tuple(hx))
        return output, (h_n, c_n)

    def _layer(self, x, state, layer):
        W_ih, W_hh, b_ih, b_hh = self._params(layer)
        h, c = state
        xW = x @ W_ih.T  # (T, N, 4H): input part of all four gates, all steps at once
        if b_ih is not None:
            xW = xW + (b_ih + b_hh)
        W_hh_T = W_hh.T  # transpose once, outside the loop
        hs = []
        for xW_t in xW.unbind(0):  # one (N, GH) slice per step; see _RNNBase
            gates = xW_t + h @ W_hh_T  # (N, 4H) = [i | f | g | o]
            i, f, g, o = gates.chunk(4, dim=1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g  # forget part of the old memory, write the new candidate
            h = o * torch.tanh(c)  # expose part of the memory as the hidden state
            hs.append(h)
        return torch.stack(hs), (h, c)


class GRU(_RNNBase):
    r"""Gated recurrent unit, a twin of :class:`torch.nn.GRU` (gate order r, z, n).

    $$\begin{aligned}
    r_t &= \sigma(W_{xr} x_t + b_{xr} + W_{hr} h_{t-1} + b_{hr}), \\
    z_t &= \sigma(W_{xz} x_t + b_{xz} + W_{hz} h_{t-1} + b_{hz}), \\
    n_t &= \tanh\big(W_{xn} x_t + b_{xn} + r_t \odot (W_{hn} h_{t-1} + b_{hn})\big), \\
    h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}.
    \end{aligned}$$

    ``weight_ih_l0`` is $W_{xh} = [W_{xr}; W_{xz}; W_{xn}]$ ``(3H, D)``,
    ``weight_hh_l0`` is $W_{hh} = [W_{hr}; W_{hz}; W_{hn}]$ ``(3H, H)``, and the
    biases are stacked the same way. Note that the reset gate multiplies
    $W_{hn} h_{t-1} + b_{hn}$, bias included: this is why $b_{hn}$ cannot be
    merged with $b_{xn}$.

    Parameters
    ----------
    input_size, hidden_size, num_layers, bias, batch_first, dropout, device, dtype
        As in torch.nn.GRU (no ``bidirectional``).

    Shapes
    ------
    ``forward(input, hx=None) -> (output, h_n)``, shapes as in :class:`RNN`.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> gru = GRU(8, 16, batch_first=True)
    >>> out, h_n = gru(torch.randn(4, 5, 8), torch.zeros(1, 4, 16))
    >>> tuple(out.shape), tuple(h_n.shape), tuple(gru.weight_hh_l0.shape)
    ((4, 5, 16), (1, 4, 16), (48, 16))
    """

    n_gates = 3

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        output, (h_n,) = self._run(input, None if hx is None else (hx,))
        return output, h_n

    def _layer(self, x, state, layer):
        W_ih, W_hh, b_ih, b_hh = self._params(layer)
        (h,) = state
        xW = x @ W_ih.T  # (T, N, 3H): input parts [r | z | n], all steps at once
        if b_ih is not None:
            xW = xW + b_ih
        W_hh_T = W_hh.T  # transpose once, outside the loop
        hs = []
        for xW_t in xW.unbind(0):  # one (N, GH) slice per step; see _RNNBase
            hW = h @ W_hh_T  # (N, 3H): hidden parts [r | z | n]
            if b_hh is not None:
                hW = hW + b_hh
            x_r, x_z, x_n = xW_t.chunk(3, dim=1)
            h_r, h_z, h_n = hW.chunk(3, dim=1)
            r = torch.sigmoid(x_r + h_r)  # reset: how much of h_{t-1} the candidate sees
            z = torch.sigmoid(x_z + h_z)  # update: how much of h_{t-1} to keep
            n = torch.tanh(x_n + r * h_n)  # candidate state
            h = (1 - z) * n + z * h
            hs.append(h)
        return torch.stack(hs), (h,)
