r"""The Transformer's building blocks in NumPy: positional encoding, feed-forward, layers, stacks.

Every layer keeps torch's parameter names (``self_attn.in_proj_weight``,
``linear1.weight``, ``norm1.weight``, ...), so ``from_torch`` copies a
``torch.nn.TransformerEncoderLayer`` exactly, and ``backward`` returns a dict of
gradients under the same names plus the inputs (``src``; ``tgt``, ``memory``).
Inputs are batch-first (N, T, d_model) throughout.

One encoder layer maps $X^{(l-1)}$ to $X^{(l)}$ (post-LN, as in "Attention Is
All You Need"):

$$
X' = \mathrm{LayerNorm}\big(X^{(l-1)} + \mathrm{MultiHead}(X^{(l-1)})\big), \qquad
X^{(l)} = \mathrm{LayerNorm}\big(X' + \mathrm{FFN}(X')\big).
$$

The residual ("skip") connection $X + f(X)$ means a sub-layer $f$ learns only
the change added to $X$; ``norm_first=True`` moves the LayerNorm inside the
branch (pre-LN, $X + f(\mathrm{LayerNorm}(X))$), which trains more stably in
deep stacks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqnotes._checks import check_divisible, check_float, check_shape
from seqnotes.scratch.attention import MultiheadAttention, check_attn_mask
from seqnotes.scratch.functional import relu, relu_backward
from seqnotes.scratch.layers import RNG, Layer, LayerNorm, Linear, as_rng

__all__ = [
    "positional_encoding",
    "PositionalEncoding",
    "FeedForward",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerDecoder",
]

_INPUTS = ("x", "query", "key", "value", "src", "tgt", "memory")


def _named(prefix: str, grads: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Parameter gradients of a sub-layer under ``prefix.``; input gradients dropped."""
    dot = "." if prefix else ""
    return {f"{prefix}{dot}{k}": g for k, g in grads.items() if k not in _INPUTS}


def _qkv(g: dict[str, np.ndarray]) -> np.ndarray:
    """Self-attention used its input three times (as Q, K and V): the gradients add."""
    return g["query"] + g["key"] + g["value"]


def _check_dropout_relu(where: str, module: Any) -> None:
    """A torch layer can be copied only if it has no dropout and uses ReLU."""
    ps = [m.p for m in module.modules() if type(m).__name__ == "Dropout"]
    ps += [m.dropout for m in module.modules() if type(m).__name__ == "MultiheadAttention"]
    if any(p != 0 for p in ps):
        raise ValueError(f"{where}: expected dropout=0 (no dropout in NumPy), got {max(ps)}")
    act = getattr(module, "activation", None)
    if getattr(act, "__name__", type(act).__name__).lower() != "relu":
        raise ValueError(f"{where}: expected activation relu, got {act}")


# ----------------------------------------------------------- positional encoding


def positional_encoding(T: int, d_model: int, layout: str = "interleaved") -> np.ndarray:
    r"""Sinusoidal positional encoding, one row per position.

    Row $pos = 0, \dots, T - 1$ is the code of position $pos$. With
    $\omega_k = 10000^{-2k/d_\text{model}}$ for the column pairs
    $k = 0, \dots, d_\text{model}/2 - 1$:

    * ``"interleaved"`` (the paper): $\mathrm{PE}_{pos, 2k} = \sin(pos\,\omega_k)$,
      $\mathrm{PE}_{pos, 2k+1} = \cos(pos\,\omega_k)$;
    * ``"concat"``: $[\sin(pos\,\omega_0) \dots \sin(pos\,\omega_{d_\text{model}/2-1}) \mid
      \cos(pos\,\omega_0) \dots]$ (the same numbers, columns reordered).

    Each pair of columns is a clock with its own speed $\omega_k$, so every
    position gets a different code, and for a shift $\Delta$ the code
    $\mathrm{PE}_{pos+\Delta}$ is a fixed linear map of $\mathrm{PE}_{pos}$ (a
    rotation of each pair, the same for every $pos$).

    Parameters
    ----------
    T : int
        Number of positions.
    d_model : int
        Even embedding size $d_\text{model}$.
    layout : {"interleaved", "concat"}

    Returns
    -------
    ndarray, shape (T, d_model)

    Examples
    --------
    >>> pe = positional_encoding(50, 8)
    >>> print(pe.shape, np.round(pe[1, :4], 4).tolist())
    (50, 8) [0.8415, 0.5403, 0.0998, 0.995]
    >>> print(np.round(positional_encoding(50, 8, "concat")[1, :4], 4).tolist())
    [0.8415, 0.0998, 0.01, 0.001]
    """
    where = "positional_encoding"
    if layout not in ("interleaved", "concat"):
        raise ValueError(f"{where}: expected layout 'interleaved' or 'concat', got {layout!r}")
    check_divisible(where, "d_model", d_model, "2", 2)
    if T < 0:
        raise ValueError(f"{where}: expected T >= 0, got {T}")
    omega = 1.0 / 10000.0 ** (np.arange(0, d_model, 2) / d_model)  # omega_k, (d_model/2,)
    angle = np.arange(T)[:, None] * omega[None, :]  # pos * omega_k, (T, d_model/2)
    if layout == "concat":
        return np.concatenate([np.sin(angle), np.cos(angle)], axis=1)
    pe = np.empty((T, d_model))
    pe[:, 0::2], pe[:, 1::2] = np.sin(angle), np.cos(angle)
    return pe


class PositionalEncoding(Layer):
    r"""Add the sinusoidal code of each position to the embeddings: ``x + PE[:T]``.

    Row $pos$ of $\mathrm{PE}$ (see :func:`positional_encoding`) is added to
    the row of ``x`` at index $pos$, counting from 0.

    The table is computed once for ``max_len`` positions; a longer sequence is an
    error rather than a silent wrap-around.

    Parameters
    ----------
    d_model : int
    max_len : int
    layout : {"interleaved", "concat"}

    Examples
    --------
    >>> pos = PositionalEncoding(8, max_len=10)
    >>> print(pos.forward(np.zeros((2, 3, 8))).shape)
    (2, 3, 8)
    >>> pos.forward(np.zeros((1, 11, 8)))
    Traceback (most recent call last):
      ...
    ValueError: PositionalEncoding.forward: sequence length 11 exceeds max_len 10
    """

    def __init__(self, d_model: int, max_len: int = 512, layout: str = "interleaved") -> None:
        self.d_model, self.max_len = d_model, max_len
        self.pe = positional_encoding(max_len, d_model, layout)
        self._cache = None

    def params(self) -> dict[str, np.ndarray]:
        """No learned parameters (the table is fixed)."""
        return {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, T, d_model) -> x + PE[:T]."""
        where = "PositionalEncoding.forward"
        check_float(where, "x", x)
        dims = check_shape(where, "x", x, ("N", "T", self.d_model))
        if dims["T"] > self.max_len:
            raise ValueError(f"{where}: sequence length {dims['T']} exceeds max_len {self.max_len}")
        self._cache = True
        return x + self.pe[: dims["T"]]

    def backward(self, d_out: np.ndarray) -> dict[str, np.ndarray]:
        """Adding a constant passes the gradient through unchanged."""
        self._get_cache()
        return {"x": d_out}


# ------------------------------------------------------------------ feed-forward


class FeedForward(Layer):
    r"""Position-wise feed-forward network $\mathrm{FFN}(x) = W_2 \max(0, W_1 x + b_1) + b_2$.

    "Position-wise": the same two-layer MLP is applied to every position on its
    own (a ``Linear`` acts on the last axis only). ``linear1.weight`` is
    $W_1 \in \mathbb{R}^{d_\text{ff} \times d_\text{model}}$ itself,
    ``linear2.weight`` is $W_2 \in \mathbb{R}^{d_\text{model} \times d_\text{ff}}$;
    these are torch's names inside a Transformer layer.

    Parameters
    ----------
    d_model : int
    dim_feedforward : int
        Hidden width $d_\text{ff}$ (the paper: $4\,d_\text{model}$).
    rng : numpy.random.Generator or int seed

    Examples
    --------
    >>> ff = FeedForward(4, 16, rng=0)
    >>> x = np.random.default_rng(1).normal(size=(2, 3, 4))
    >>> y = ff.forward(x)
    >>> print(y.shape, bool(np.allclose(ff.forward(x[:, 1:2])[:, 0], y[:, 1])))
    (2, 3, 4) True
    """

    def __init__(self, d_model: int, dim_feedforward: int, rng: RNG = None) -> None:
        rng = as_rng(rng)
        self.linear1 = Linear(d_model, dim_feedforward, rng=rng)
        self.linear2 = Linear(dim_feedforward, d_model, rng=rng)
        self._cache = None

    def params(self) -> dict[str, np.ndarray]:
        """``linear1.weight``, ``linear1.bias``, ``linear2.weight``, ``linear2.bias``."""
        return {
            f"{n}.{k}": p
            for n in ("linear1", "linear2")
            for k, p in getattr(self, n).params().items()
        }

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (..., d_model) -> (..., d_model)."""
        h = self.linear1.forward(x)
        self._cache = h
        return self.linear2.forward(relu(h))

    def backward(self, d_out: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of ``linear1.*``, ``linear2.*`` and ``x``."""
        h = self._get_cache()
        g2 = self.linear2.backward(d_out)
        g1 = self.linear1.backward(relu_backward(g2["x"], h))
        return {**_named("linear1", g1), **_named("linear2", g2), "x": g1["x"]}

    @classmethod
    def from_linears(cls, linear1: Any, linear2: Any) -> FeedForward:
        """Build from two ``torch.nn.Linear`` (a torch layer's ``linear1`` and ``linear2``)."""
        self = cls(linear1.in_features, linear1.out_features)
        self.linear1, self.linear2 = Linear.from_torch(linear1), Linear.from_torch(linear2)
        return self


# ------------------------------------------------------------------------ layers


class TransformerEncoderLayer(Layer):
    r"""One encoder layer: self-attention and feed-forward, each with add & LayerNorm.

    It maps $X^{(l-1)}$ to $X^{(l)}$. Post-LN (``norm_first=False``, the
    paper, torch's default):

    $$
    X' = \mathrm{LayerNorm}_1\big(X^{(l-1)} + \mathrm{MultiHead}(X^{(l-1)})\big), \qquad
    X^{(l)} = \mathrm{LayerNorm}_2\big(X' + \mathrm{FFN}(X')\big).
    $$

    Pre-LN (``norm_first=True``):

    $$
    X' = X^{(l-1)} + \mathrm{MultiHead}\big(\mathrm{LayerNorm}_1(X^{(l-1)})\big), \qquad
    X^{(l)} = X' + \mathrm{FFN}\big(\mathrm{LayerNorm}_2(X')\big).
    $$

    Parameters
    ----------
    d_model, nhead, dim_feedforward : int
        $d_\text{model}$, $n_h$ and $d_\text{ff}$.
    norm_first : bool
    eps : float
        LayerNorm's $\epsilon$.
    rng : numpy.random.Generator or int seed

    Examples
    --------
    >>> layer = TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, rng=0)
    >>> src = np.random.default_rng(1).normal(size=(2, 5, 8))
    >>> y = layer.forward(src)
    >>> g = layer.backward(np.ones_like(y))
    >>> print(y.shape, g["src"].shape, g["self_attn.in_proj_weight"].shape)
    (2, 5, 8) (2, 5, 8) (24, 8)
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int,
        norm_first: bool = False,
        eps: float = 1e-5,
        rng: RNG = None,
    ) -> None:
        rng = as_rng(rng)
        self.d_model, self.nhead, self.norm_first = d_model, nhead, norm_first
        self.self_attn = MultiheadAttention(d_model, nhead, rng=rng)
        self.ff = FeedForward(d_model, dim_feedforward, rng=rng)  # names linear1.*, linear2.*
        self.norm1, self.norm2 = LayerNorm(d_model, eps), LayerNorm(d_model, eps)
        self._cache = None

    def params(self) -> dict[str, np.ndarray]:
        """Parameters under torch's names (``self_attn.*``, ``linear1.*``, ``norm1.*``, ...)."""
        p = {f"self_attn.{k}": v for k, v in self.self_attn.params().items()}
        p.update(self.ff.params())
        for n in ("norm1", "norm2"):
            p.update({f"{n}.{k}": v for k, v in getattr(self, n).params().items()})
        return p

    def forward(
        self,
        src: np.ndarray,
        src_mask: np.ndarray | None = None,
        src_key_padding_mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """Encode every position of ``src`` in parallel.

        Parameters
        ----------
        src : ndarray, shape (N, S, d_model)
        src_mask : ndarray, shape (S, S) or (N*n_h, S, S), optional
            Bool (``True`` = not allowed) or float, added to the attention scores.
        src_key_padding_mask : ndarray, shape (N, S), optional
            ``True`` at padded positions.

        Returns
        -------
        ndarray, shape (N, S, d_model)
        """
        where = f"{type(self).__name__}.forward"
        check_float(where, "src", src)
        dims = check_shape(where, "src", src, ("N", "S", self.d_model))
        check_attn_mask(where, "src_mask", src_mask, dims, self.nhead, "S", "S")
        if src_key_padding_mask is not None:
            check_shape(where, "src_key_padding_mask", src_key_padding_mask, ("N", "S"), dims)

        def sa(x: np.ndarray) -> np.ndarray:
            return self.self_attn.forward(x, x, x, src_key_padding_mask, src_mask)[0]

        x = src
        if self.norm_first:
            x = x + sa(self.norm1.forward(x))
            x = x + self.ff.forward(self.norm2.forward(x))
        else:
            x = self.norm1.forward(x + sa(x))
            x = self.norm2.forward(x + self.ff.forward(x))
        self._cache = True
        return x

    def backward(self, d_out: np.ndarray) -> dict[str, np.ndarray]:
        r"""Gradients of every parameter (torch's names) and of ``src``.

        A residual connection $X + f(X)$ sends the gradient $G$ of its output down
        both paths: $X$ receives $G$ itself plus what comes back through $f$.
        """
        self._get_cache()
        if self.norm_first:
            g_ff = self.ff.backward(d_out)
            g_n2 = self.norm2.backward(g_ff["x"])
            d_x1 = d_out + g_n2["x"]
            g_sa = self.self_attn.backward(d_x1)
            g_n1 = self.norm1.backward(_qkv(g_sa))
            d_src = d_x1 + g_n1["x"]
        else:
            g_n2 = self.norm2.backward(d_out)
            g_ff = self.ff.backward(g_n2["x"])
            g_n1 = self.norm1.backward(g_n2["x"] + g_ff["x"])
            g_sa = self.self_attn.backward(g_n1["x"])
            d_src = g_n1["x"] + _qkv(g_sa)
        return {
            **_named("self_attn", g_sa),
            **_named("", g_ff),
            **_named("norm1", g_n1),
            **_named("norm2", g_n2),
            "src": d_src,
        }

    @classmethod
    def from_torch(cls, module: Any) -> TransformerEncoderLayer:
        """Copy a ``torch.nn.TransformerEncoderLayer`` (dropout 0, ReLU; batch_first either way)."""
        _check_dropout_relu(f"{cls.__name__}.from_torch", module)
        self = cls.__new__(cls)
        self.self_attn = MultiheadAttention.from_torch(module.self_attn)
        self.d_model, self.nhead = self.self_attn.embed_dim, self.self_attn.num_heads
        self.norm_first = bool(module.norm_first)
        self.ff = FeedForward.from_linears(module.linear1, module.linear2)
        self.norm1, self.norm2 = (
            LayerNorm.from_torch(module.norm1),
            LayerNorm.from_torch(module.norm2),
        )
        self._cache = None
        return self


class TransformerDecoderLayer(Layer):
    r"""One decoder layer: masked self-attention, encoder-decoder attention, feed-forward.

    Post-LN (the paper), from $X^{(l-1)}$ to $X^{(l)}$:

    $$
    \begin{aligned}
    X' &= \mathrm{LayerNorm}_1\big(X^{(l-1)}
          + \mathrm{MultiHead}(X^{(l-1)}, X^{(l-1)}, X^{(l-1)})\big), \\
    X'' &= \mathrm{LayerNorm}_2\big(X' + \mathrm{MultiHead}(X', M, M)\big), \qquad
    X^{(l)} = \mathrm{LayerNorm}_3\big(X'' + \mathrm{FFN}(X'')\big),
    \end{aligned}
    $$

    with $M$ the encoder output (``memory``): the queries come from the
    decoder, the keys and values from the top encoder layer. Pass a causal
    ``tgt_mask`` (the mask $B$) so that position $t$ sees only positions $\le t$.
    ``norm_first=True`` gives the pre-LN variant, as in torch.

    Parameters
    ----------
    d_model, nhead, dim_feedforward : int
        $d_\text{model}$, $n_h$ and $d_\text{ff}$.
    norm_first : bool
    eps : float
    rng : numpy.random.Generator or int seed

    Examples
    --------
    >>> from seqnotes.scratch.functional import causal_mask
    >>> layer = TransformerDecoderLayer(8, 2, 16, rng=0)
    >>> rng = np.random.default_rng(1)
    >>> tgt, memory = rng.normal(size=(2, 4, 8)), rng.normal(size=(2, 6, 8))
    >>> y = layer.forward(tgt, memory, tgt_mask=causal_mask(4))
    >>> g = layer.backward(np.ones_like(y))
    >>> print(y.shape, g["tgt"].shape, g["memory"].shape)
    (2, 4, 8) (2, 4, 8) (2, 6, 8)
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int,
        norm_first: bool = False,
        eps: float = 1e-5,
        rng: RNG = None,
    ) -> None:
        rng = as_rng(rng)
        self.d_model, self.nhead, self.norm_first = d_model, nhead, norm_first
        self.self_attn = MultiheadAttention(d_model, nhead, rng=rng)
        self.multihead_attn = MultiheadAttention(d_model, nhead, rng=rng)
        self.ff = FeedForward(d_model, dim_feedforward, rng=rng)
        self.norm1, self.norm2, self.norm3 = (LayerNorm(d_model, eps) for _ in range(3))
        self._cache = None

    def params(self) -> dict[str, np.ndarray]:
        """Parameters under torch's names (``multihead_attn.*`` is the cross-attention)."""
        p: dict[str, np.ndarray] = {}
        for n in ("self_attn", "multihead_attn", "norm1", "norm2", "norm3"):
            p.update({f"{n}.{k}": v for k, v in getattr(self, n).params().items()})
        p.update(self.ff.params())
        return p

    def forward(
        self,
        tgt: np.ndarray,
        memory: np.ndarray,
        tgt_mask: np.ndarray | None = None,
        memory_mask: np.ndarray | None = None,
        tgt_key_padding_mask: np.ndarray | None = None,
        memory_key_padding_mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """Decode ``tgt`` while attending to ``memory``.

        Parameters
        ----------
        tgt : ndarray, shape (N, L, d_model)
        memory : ndarray, shape (N, S, d_model)
            Output of the encoder.
        tgt_mask : ndarray, shape (L, L) or (N*n_h, L, L), optional
            Usually ``causal_mask(L)``.
        memory_mask : ndarray, shape (L, S) or (N*n_h, L, S), optional
        tgt_key_padding_mask : ndarray, shape (N, L), optional
        memory_key_padding_mask : ndarray, shape (N, S), optional

        Returns
        -------
        ndarray, shape (N, L, d_model)
        """
        where = f"{type(self).__name__}.forward"
        check_float(where, "tgt", tgt)
        check_float(where, "memory", memory)
        dims = check_shape(where, "tgt", tgt, ("N", "T", self.d_model))
        check_shape(where, "memory", memory, ("N", "S", self.d_model), dims)
        check_attn_mask(where, "tgt_mask", tgt_mask, dims, self.nhead, "T", "T")
        check_attn_mask(where, "memory_mask", memory_mask, dims, self.nhead, "T", "S")
        for name, m, spec in (
            ("tgt_key_padding_mask", tgt_key_padding_mask, ("N", "T")),
            ("memory_key_padding_mask", memory_key_padding_mask, ("N", "S")),
        ):
            if m is not None:
                check_shape(where, name, m, spec, dims)

        def sa(x: np.ndarray) -> np.ndarray:  # masked self-attention
            return self.self_attn.forward(x, x, x, tgt_key_padding_mask, tgt_mask)[0]

        def ca(x: np.ndarray) -> np.ndarray:  # Q from the decoder, K and V from the encoder
            return self.multihead_attn.forward(
                x, memory, memory, memory_key_padding_mask, memory_mask
            )[0]

        x = tgt
        if self.norm_first:
            x = x + sa(self.norm1.forward(x))
            x = x + ca(self.norm2.forward(x))
            x = x + self.ff.forward(self.norm3.forward(x))
        else:
            x = self.norm1.forward(x + sa(x))
            x = self.norm2.forward(x + ca(x))
            x = self.norm3.forward(x + self.ff.forward(x))
        self._cache = True
        return x

    def backward(self, d_out: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of every parameter (torch's names), of ``tgt`` and of ``memory``."""
        self._get_cache()
        if self.norm_first:
            g_ff = self.ff.backward(d_out)
            g_n3 = self.norm3.backward(g_ff["x"])
            d_x2 = d_out + g_n3["x"]
            g_ca = self.multihead_attn.backward(d_x2)
            g_n2 = self.norm2.backward(g_ca["query"])
            d_x1 = d_x2 + g_n2["x"]
            g_sa = self.self_attn.backward(d_x1)
            g_n1 = self.norm1.backward(_qkv(g_sa))
            d_tgt = d_x1 + g_n1["x"]
        else:
            g_n3 = self.norm3.backward(d_out)
            g_ff = self.ff.backward(g_n3["x"])
            g_n2 = self.norm2.backward(g_n3["x"] + g_ff["x"])
            g_ca = self.multihead_attn.backward(g_n2["x"])
            g_n1 = self.norm1.backward(g_n2["x"] + g_ca["query"])
            g_sa = self.self_attn.backward(g_n1["x"])
            d_tgt = g_n1["x"] + _qkv(g_sa)
        return {
            **_named("self_attn", g_sa),
            **_named("multihead_attn", g_ca),
            **_named("", g_ff),
            **_named("norm1", g_n1),
            **_named("norm2", g_n2),
            **_named("norm3", g_n3),
            "tgt": d_tgt,
            "memory": g_ca["key"] + g_ca["value"],  # memory is both K and V
        }

    @classmethod
    def from_torch(cls, module: Any) -> TransformerDecoderLayer:
        """Copy a ``torch.nn.TransformerDecoderLayer`` (dropout 0, ReLU; batch_first either way)."""
        _check_dropout_relu(f"{cls.__name__}.from_torch", module)
        self = cls.__new__(cls)
        self.self_attn = MultiheadAttention.from_torch(module.self_attn)
        self.multihead_attn = MultiheadAttention.from_torch(module.multihead_attn)
        self.d_model, self.nhead = self.self_attn.embed_dim, self.self_attn.num_heads
        self.norm_first = bool(module.norm_first)
        self.ff = FeedForward.from_linears(module.linear1, module.linear2)
        self.norm1, self.norm2, self.norm3 = (
            LayerNorm.from_torch(getattr(module, f"norm{i}")) for i in (1, 2, 3)
        )
        self._cache = None
        return self


# ------------------------------------------------------------------------ stacks


class TransformerEncoder(Layer):
    r"""A stack of ``num_layers`` encoder layers, same structure, separate parameters.

    $$
    X^{(l)} = \mathrm{EncoderLayer}_l(X^{(l-1)}), \quad l = 1, \dots, n_\text{layers}; \qquad
    \text{output } \mathrm{LayerNorm}(X^{(n_\text{layers})}) \text{ if } \texttt{final\_norm}.
    $$

    Parameter names follow ``torch.nn.TransformerEncoder``, with the layers
    numbered from 0: ``layers.0.self_attn.in_proj_weight``, ..., ``norm.weight``.

    Parameters
    ----------
    num_layers, d_model, nhead, dim_feedforward : int
        $n_\text{layers}$, $d_\text{model}$, $n_h$ and $d_\text{ff}$.
    norm_first : bool
    final_norm : bool
        Add a LayerNorm after the last layer (needed with pre-LN layers).
    eps : float
    rng : numpy.random.Generator or int seed

    Examples
    --------
    >>> enc = TransformerEncoder(2, d_model=8, nhead=2, dim_feedforward=16, rng=0)
    >>> y = enc.forward(np.random.default_rng(1).normal(size=(2, 5, 8)))
    >>> print(y.shape, len(enc.layers), "layers.1.norm2.bias" in enc.params())
    (2, 5, 8) 2 True
    """

    _layer_cls: type = TransformerEncoderLayer

    def __init__(
        self,
        num_layers: int,
        d_model: int,
        nhead: int,
        dim_feedforward: int,
        norm_first: bool = False,
        final_norm: bool = False,
        eps: float = 1e-5,
        rng: RNG = None,
    ) -> None:
        rng = as_rng(rng)
        self.layers = [
            self._layer_cls(d_model, nhead, dim_feedforward, norm_first, eps, rng)
            for _ in range(num_layers)
        ]
        self.norm = LayerNorm(d_model, eps) if final_norm else None
        self._cache = None

    def params(self) -> dict[str, np.ndarray]:
        """All parameters, ``layers.{i}.<name>`` and ``norm.*``."""
        p = {
            f"layers.{i}.{k}": v
            for i, lay in enumerate(self.layers)
            for k, v in lay.params().items()
        }
        if self.norm is not None:
            p.update({f"norm.{k}": v for k, v in self.norm.params().items()})
        return p

    def forward(
        self,
        src: np.ndarray,
        mask: np.ndarray | None = None,
        src_key_padding_mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """src: (N, S, d_model) -> (N, S, d_model); masks as in :class:`TransformerEncoderLayer`."""
        x = src
        for layer in self.layers:
            x = layer.forward(x, mask, src_key_padding_mask)
        if self.norm is not None:
            x = self.norm.forward(x)
        self._cache = True
        return x

    def backward(self, d_out: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of all parameters and of ``src``, layer by layer from the top."""
        self._get_cache()
        grads: dict[str, np.ndarray] = {}
        if self.norm is not None:
            g = self.norm.backward(d_out)
            grads.update(_named("norm", g))
            d_out = g["x"]
        for i in reversed(range(len(self.layers))):
            g = self.layers[i].backward(d_out)
            grads.update(_named(f"layers.{i}", g))
            d_out = g["src"]
        grads["src"] = d_out
        return grads

    @classmethod
    def from_torch(cls, module: Any) -> TransformerEncoder:
        """Copy a ``torch.nn.TransformerEncoder`` (its layers and optional final norm)."""
        self = cls.__new__(cls)
        self.layers = [cls._layer_cls.from_torch(lay) for lay in module.layers]
        self.norm = None if module.norm is None else LayerNorm.from_torch(module.norm)
        self._cache = None
        return self


class TransformerDecoder(TransformerEncoder):
    r"""A stack of ``num_layers`` decoder layers; every layer attends to the same ``memory``.

    $$
    X^{(l)} = \mathrm{DecoderLayer}_l(X^{(l-1)}, M), \quad l = 1, \dots, n_\text{layers}; \qquad
    \text{output } \mathrm{LayerNorm}(X^{(n_\text{layers})}) \text{ if } \texttt{final\_norm}.
    $$

    Because ``memory`` feeds every layer, its gradient is the sum over layers.

    Examples
    --------
    >>> from seqnotes.scratch.functional import causal_mask
    >>> dec = TransformerDecoder(2, d_model=8, nhead=2, dim_feedforward=16, rng=0)
    >>> rng = np.random.default_rng(1)
    >>> y = dec.forward(rng.normal(size=(2, 4, 8)), rng.normal(size=(2, 6, 8)), causal_mask(4))
    >>> print(y.shape)
    (2, 4, 8)
    """

    _layer_cls = TransformerDecoderLayer

    def forward(  # type: ignore[override]
        self,
        tgt: np.ndarray,
        memory: np.ndarray,
        tgt_mask: np.ndarray | None = None,
        memory_mask: np.ndarray | None = None,
        tgt_key_padding_mask: np.ndarray | None = None,
        memory_key_padding_mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """tgt (N, L, d_model), memory (N, S, d_model) -> (N, L, d_model); masks as in the layer."""
        x = tgt
        for layer in self.layers:
            x = layer.forward(
                x, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask
            )
        if self.norm is not None:
            x = self.norm.forward(x)
        self._cache = True
        return x

    def backward(self, d_out: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of all parameters, of ``tgt`` and of ``memory`` (summed over layers)."""
        self._get_cache()
        grads: dict[str, np.ndarray] = {}
        if self.norm is not None:
            g = self.norm.backward(d_out)
            grads.update(_named("norm", g))
            d_out = g["x"]
        d_memory = 0.0
        for i in reversed(range(len(self.layers))):
            g = self.layers[i].backward(d_out)
            grads.update(_named(f"layers.{i}", g))
            d_out, d_memory = g["tgt"], d_memory + g["memory"]
        grads["tgt"], grads["memory"] = d_out, d_memory
        return grads
