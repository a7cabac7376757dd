r"""Scaled dot-product and multi-head attention written from matmuls and softmax.

:class:`MultiheadAttention` is a twin of :class:`torch.nn.MultiheadAttention`:
same parameters (``in_proj_weight``, ``in_proj_bias``, ``out_proj``), same
init, same ``forward`` signature and outputs. Masks follow torch's convention:
a **bool** mask is True where attention is *not allowed*; a **float** mask is
added to the scores (use ``-inf`` to forbid).

Shapes: N batch, L query length, S key length, $d_\text{model}$ embedding
size, $n_h$ heads, $d_k = d_v = d_\text{model} / n_h$.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqnotes._checks import check_divisible, check_shape
from seqnotes.nn._checks import check_input

__all__ = [
    "causal_mask",
    "generate_square_subsequent_mask",
    "scaled_dot_product_attention",
    "MultiheadAttention",
]


def causal_mask(T: int, device: torch.device | str | None = None) -> Tensor:
    r"""Bool mask ``(T, T)`` that forbids looking ahead: True (not allowed) where $j > i$.

    It is the causal mask $B$ of the notes in boolean form: True exactly where
    $B_{ij} = -\infty$ (row $i$ is the query, column $j$ the key).

    >>> causal_mask(3).int().tolist()
    [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
    """
    return torch.ones(T, T, dtype=torch.bool, device=device).triu(1)


def generate_square_subsequent_mask(sz: int, device: torch.device | str | None = None) -> Tensor:
    """Alias of :func:`causal_mask` under torch's name.

    Unlike ``torch.nn.Transformer.generate_square_subsequent_mask``, which returns
    a float mask of 0 / ``-inf``, this returns the equivalent **bool** mask
    (True = not allowed); every layer here and in torch.nn treats both the same.

    >>> bool((generate_square_subsequent_mask(4) == causal_mask(4)).all())
    True
    """
    return causal_mask(sz, device=device)


def _additive(mask: Tensor, dtype: torch.dtype) -> Tensor:
    """Bool mask (True = forbid) -> float mask with ``-inf`` there; a float mask passes through."""
    if mask.dtype == torch.bool:
        return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill_(
            mask, float("-inf")
        )
    return mask.to(dtype)


def _check_mask(where: str, name: str, mask: object) -> None:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{where}: expected {name} to be a torch.Tensor, got {type(mask).__name__}")
    if not (mask.dtype == torch.bool or mask.dtype.is_floating_point):
        raise TypeError(f"{where}: expected {name} of dtype bool or float, got {mask.dtype}")


def scaled_dot_product_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    training: bool = False,
) -> tuple[Tensor, Tensor]:
    r"""Attention of queries on keys/values; returns the output and the weights.

    $$A = \operatorname{softmax}\!\Big(\frac{Q K^\top}{\sqrt{d_k}} + B\Big), \qquad
    Z = A V$$

    with $B$ = ``attn_mask`` as an additive mask (0 allowed, $-\infty$ not).

    Parameters
    ----------
    q : Tensor ``(..., L, d_k)``
    k : Tensor ``(..., S, d_k)``
    v : Tensor ``(..., S, d_v)``
    attn_mask : Tensor broadcastable to ``(..., L, S)``, optional
        Bool (True = not allowed) or float (added to the scores).
    dropout_p, training
        Dropout on the weights $A$, applied only when ``training``.

    Returns
    -------
    out : Tensor ``(..., L, d_v)``
        $Z$.
    weights : Tensor ``(..., L, S)`` — each row sums to 1, except that a row
        whose keys are all masked is all zeros (so its output is 0, not NaN).

    Examples
    --------
    >>> q, k, v = torch.ones(1, 2, 4), torch.ones(1, 3, 4), torch.arange(6.0).view(1, 3, 2)
    >>> out, A = scaled_dot_product_attention(q, k, v, causal_mask(3)[:2])
    >>> A[0].tolist()
    [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]
    >>> out[0].tolist()
    [[0.0, 1.0], [1.0, 2.0]]
    """
    d_k = q.shape[-1]
    # Divide by sqrt(d_k): for independent q, k entries of mean 0 and variance 1 the
    # dot product has variance d_k,
    # and large scores would saturate the softmax (tiny gradients).
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(d_k)  # (..., L, S)
    dead = None
    if attn_mask is not None:
        scores = scores + _additive(attn_mask, scores.dtype)
        # A query whose keys are all masked has nothing to attend to: give it zero
        # weights (as torch's layers do) instead of softmax's 0/0 = NaN.
        dead = torch.isneginf(scores).all(dim=-1, keepdim=True)
        scores = scores.masked_fill(dead, 0.0)
    weights = torch.softmax(scores, dim=-1)
    if dead is not None:
        weights = weights.masked_fill(dead, 0.0)
    if training and dropout_p > 0.0:
        weights = F.dropout(weights, dropout_p, training=True)
    return weights @ v, weights


class MultiheadAttention(nn.Module):
    r"""Multi-head attention, a twin of :class:`torch.nn.MultiheadAttention`.

    With the rows of ``query`` stacked in $X$ and those of ``key`` and
    ``value`` in $X_K$ and $X_V$ (all $X$ in self-attention), head
    $i = 1, \dots, n_h$ computes

    $$Q_i = X W_i^{Q\top} + b^Q_i, \quad K_i = X_K W_i^{K\top} + b^K_i, \quad
    V_i = X_V W_i^{V\top} + b^V_i, \quad
    \operatorname{head}_i = \operatorname{softmax}\!\Big(\frac{Q_i K_i^\top}{\sqrt{d_k}}
    + B\Big) V_i$$

    and the output is $[\operatorname{head}_1, \dots, \operatorname{head}_{n_h}]\, W^{O\top} + b^O$
    (heads side by side). For one position this is the column form of the
    notes, $q = W_i^Q x + b_i^Q$, and so on.

    ``in_proj_weight`` ``(3 d_model, d_model)`` stacks $[W^Q; W^K; W^V]$ (head $i$
    owns the $i$-th block of $d_k$ rows of each, so
    $W_i^Q \in \mathbb{R}^{d_k \times d_\text{model}}$), ``in_proj_bias``
    ``(3 d_model,)`` likewise, and ``out_proj`` is an
    ``nn.Linear(d_model, d_model)`` holding
    $W^O \in \mathbb{R}^{d_\text{model} \times n_h d_v}$ and $b^O$.

    Parameters
    ----------
    embed_dim : int
        $d_\text{model}$ (query, key and value all have $d_\text{model}$
        features; no ``kdim``/``vdim``).
    num_heads : int
        $n_h$; $d_\text{model}$ must be divisible by $n_h$.
    dropout : float
        Dropout on the attention weights (training mode only).
    bias, batch_first, device, dtype
        As in torch.nn.MultiheadAttention.

    Shapes
    ------
    ``forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)``:
    query ``(L, N, d_model)``, key/value ``(S, N, d_model)`` (``(N, L, d_model)``/
    ``(N, S, d_model)`` if batch_first; ``(L, d_model)``/``(S, d_model)``
    unbatched); key_padding_mask ``(N, S)`` (True = padding); attn_mask
    ``(L, S)`` or ``(N*n_h, L, S)``. Returns ``(out, weights)``: out shaped like
    query; weights ``(N, L, S)`` averaged over heads, ``(N, n_h, L, S)`` if
    ``average_attn_weights=False``, or None if
    ``need_weights=False``. ``is_causal=True`` without an ``attn_mask`` applies
    :func:`causal_mask` (torch raises instead). A query whose keys are all masked
    gets zero weights and output ``out_proj.bias`` (torch: the same when
    ``need_weights=False``, NaN when it returns the weights).

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> mha = MultiheadAttention(16, 4, batch_first=True)
    >>> x = torch.randn(2, 5, 16)
    >>> out, A = mha(x, x, x, attn_mask=causal_mask(5))
    >>> tuple(out.shape), tuple(A.shape)
    ((2, 5, 16), (2, 5, 5))
    >>> bool(torch.allclose(A.sum(-1), torch.ones(2, 5))), bool((A.triu(1) == 0).all())
    (True, True)
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        batch_first: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_divisible("MultiheadAttention", "embed_dim", embed_dim, "num_heads", num_heads)
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = float(dropout)
        self.batch_first = batch_first
        kw = {"device": device, "dtype": dtype}
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim, **kw))
        if bias:
            self.in_proj_bias = nn.Parameter(torch.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias, **kw)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's init: Xavier-uniform ``in_proj_weight``, zero biases (``out_proj.weight``
        keeps nn.Linear's own init)."""
        nn.init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            nn.init.zeros_(self.in_proj_bias)
            nn.init.zeros_(self.out_proj.bias)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        where = "MultiheadAttention.forward"
        E, h, d_k = self.embed_dim, self.num_heads, self.head_dim
        self_attention = query is key and key is value  # one fused projection below

        # --- checks, then everything in (N, L, d_model) layout -----------------
        batched = getattr(query, "ndim", None) != 2
        if batched:
            q_spec, kv_spec = (
                (("N", "L", E), ("N", "S", E))
                if self.batch_first
                else (("L", "N", E), ("S", "N", E))
            )
        else:
            q_spec, kv_spec = ("L", E), ("S", E)
        dims = check_shape(where, "query", query, q_spec)
        check_shape(where, "key", key, kv_spec, dims)
        check_shape(where, "value", value, kv_spec, dims)
        for name, t in (("query", query), ("key", key), ("value", value)):
            check_input(where, name, t, self.in_proj_weight)
        N = dims.get("N", 1)  # unbatched: a batch of one
        L, S = dims["L"], dims["S"]

        def to_nle(t: Tensor) -> Tensor:
            if not batched:
                return t.unsqueeze(0)
            return t if self.batch_first else t.transpose(0, 1)

        query, key, value = to_nle(query), to_nle(key), to_nle(value)

        # --- masks -> one additive float mask broadcastable to (N, n_h, L, S) ---
        mask = None
        if attn_mask is None and is_causal:
            if L != S:
                raise ValueError(f"{where}: is_causal needs L == S, got L={L}, S={S}")
            attn_mask = causal_mask(L, device=query.device)
        if attn_mask is not None:
            _check_mask(where, "attn_mask", attn_mask)
            if attn_mask.ndim == 3:
                check_shape(where, "attn_mask", attn_mask, (N * h, "L", "S"), dims)
                mask = _additive(attn_mask, query.dtype).view(N, h, L, S)
            else:
                check_shape(where, "attn_mask", attn_mask, ("L", "S"), dims)
                mask = _additive(attn_mask, query.dtype)  # broadcasts over N and the heads
        if key_padding_mask is not None:
            _check_mask(where, "key_padding_mask", key_padding_mask)
            check_shape(
                where, "key_padding_mask", key_padding_mask, ("N", "S") if batched else ("S",), dims
            )
            pad = _additive(key_padding_mask, query.dtype).view(N, 1, 1, S)
            mask = pad if mask is None else mask + pad

        # --- projections: Q = query W_Q^T + b_Q, ... ---------------------------
        b = self.in_proj_bias
        if self_attention:  # one (3 d_model, d_model) matmul instead of three square ones
            qkv = query @ self.in_proj_weight.T
            if b is not None:
                qkv = qkv + b
            q, k, v = qkv.chunk(3, dim=-1)
        else:
            W_Q, W_K, W_V = self.in_proj_weight.chunk(3)
            b_Q, b_K, b_V = (None, None, None) if b is None else b.chunk(3)
            q, k, v = query @ W_Q.T, key @ W_K.T, value @ W_V.T
            if b is not None:
                q, k, v = q + b_Q, k + b_K, v + b_V

        # --- split d_model into n_h heads of d_k: (N, L, d_model) -> (N, n_h, L, d_k)
        q = q.view(N, L, h, d_k).transpose(1, 2)
        k = k.view(N, S, h, d_k).transpose(1, 2)
        v = v.view(N, S, h, d_k).transpose(1, 2)
        out, weights = scaled_dot_product_attention(q, k, v, mask, self.dropout, self.training)

        # --- concatenate heads and mix them: (N, n_h, L, d_k) -> (N, L, d_model) --
        out = self.out_proj(out.transpose(1, 2).reshape(N, L, E))

        if not batched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(dim=1)  # (N, L, S)
        return out, (weights if batched else weights.squeeze(0))
