r"""Attention in NumPy: additive (Bahdanau), scaled dot-product and multi-head.

Every function here is a forward/backward pair in float64, so each piece can be
gradient-checked on its own. Masks follow PyTorch's convention: a boolean mask
is ``True`` where attention is **not** allowed; a float mask is added to the
scores before the softmax (``-inf`` blocks a position).

The three ideas of the notes (S6, S7.2):

* additive attention: $e_{tj} = w_a^\top \tanh(W_s s_{t-1} + W_h h_j)$, used by seq2seq;
* scaled dot-product attention: $Z = \mathrm{softmax}(QK^\top/\sqrt{d_k} + B)\,V$;
* multi-head attention: $n_h$ scaled dot-product attentions on learned
  projections, concatenated and mapped back by $W^O$.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqnotes._checks import check_divisible, check_float, check_shape
from seqnotes.scratch.functional import softmax, softmax_backward, tanh, tanh_backward
from seqnotes.scratch.layers import RNG, Layer, Linear, as_rng

__all__ = [
    "scaled_dot_product_attention",
    "scaled_dot_product_attention_backward",
    "additive_mask",
    "check_attn_mask",
    "AdditiveAttention",
    "MultiheadAttention",
]


# --------------------------------------------------------------------------- masks


def additive_mask(mask: np.ndarray, where: str = "attention", name: str = "mask") -> np.ndarray:
    r"""Turn a boolean or float attention mask into an additive float mask.

    A boolean mask (``True`` = not allowed) becomes $0$ where allowed and
    $-\infty$ where blocked; a float mask is returned unchanged (as float64).
    Adding the result to the scores before the softmax gives the blocked
    positions a weight of exactly $e^{-\infty} = 0$.

    Parameters
    ----------
    mask : ndarray of bool or float, any shape
    where, name : str
        Used in the error message only.

    Examples
    --------
    >>> m = additive_mask(np.array([False, True]))
    >>> print(m.tolist())
    [0.0, -inf]
    """
    mask = np.asarray(mask)
    if mask.dtype == bool:
        return np.where(mask, -np.inf, 0.0)
    if mask.dtype.kind == "f":
        return mask.astype(np.float64)
    raise TypeError(
        f"{where}: expected {name} with a bool or floating-point dtype, got {mask.dtype}"
    )


def check_attn_mask(
    where: str,
    name: str,
    mask: Any,
    dims: dict[str, int],
    num_heads: int,
    L: str = "L",
    S: str = "S",
) -> None:
    """Check an ``attn_mask`` of shape (L, S), or torch's per-head (N*n_h, L, S).

    ``dims`` must already bind ``N`` and the symbols ``L`` and ``S``.

    Examples
    --------
    >>> check_attn_mask("f", "src_mask", np.zeros((4, 4), bool), {"N": 2, "S": 5}, 2, "S", "S")
    Traceback (most recent call last):
      ...
    ValueError: f: expected src_mask of shape (S=5, S=5), got (4, 4)
    """
    if mask is None:
        return
    if np.ndim(mask) == 3:
        check_shape(where, name, mask, (dims["N"] * num_heads, L, S), dims)
    else:
        check_shape(where, name, mask, (L, S), dims)


def _sum_to(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a broadcast gradient back to ``shape`` (the reverse of broadcasting)."""
    while x.ndim > len(shape):
        x = x.sum(axis=0)
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and x.shape[i] != 1)
    return x.sum(axis=axes, keepdims=True) if axes else x


# ------------------------------------------------------------- scaled dot-product


def scaled_dot_product_attention(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Scaled dot-product attention $Z = \mathrm{softmax}(QK^\top/\sqrt{d_k} + B)\,V$.

    $B$ is the mask (0 where attention is allowed, $-\infty$ where it is not).
    Why divide by $\sqrt{d_k}$: if the entries of $q$ and $k$ are independent
    with mean 0 and variance 1, $q \cdot k$ is a sum of $d_k$ terms and has
    variance $d_k$; large scores push
    the softmax into a region where it is almost one-hot and its gradient
    vanishes. Dividing by $\sqrt{d_k}$ brings the variance back to 1.

    Parameters
    ----------
    q : ndarray, shape (..., L, d_k)
        Queries, one per output position.
    k : ndarray, shape (..., S, d_k)
        Keys; Q and K must share $d_k$.
    v : ndarray, shape (..., S, d_v)
        Values; the output has V's dimension $d_v$.
    mask : ndarray, broadcastable to (..., L, S), optional
        Boolean (``True`` = not allowed, as in PyTorch) or float (added to the
        scores). Leading dimensions of q, k, v and mask broadcast.

    Returns
    -------
    out : ndarray, shape (..., L, d_v)
    weights : ndarray, shape (..., L, S)
        The attention weights; each row is non-negative and sums to 1. A row
        whose positions are all blocked is all zeros (PyTorch gives NaN).

    Examples
    --------
    The "Thinking Machines" example: $q_1\cdot k_1 = 112$, $q_1\cdot k_2 = 96$,
    $d_k = 64$, so the scaled scores are 14 and 12.

    >>> q = np.ones((1, 64))
    >>> k = np.stack([np.full(64, 1.75), np.full(64, 1.5)])   # q.k = 112, 96
    >>> v = np.eye(2)
    >>> out, w = scaled_dot_product_attention(q, k, v)
    >>> print(np.round(w, 4).tolist())
    [[0.8808, 0.1192]]
    """
    where = "scaled_dot_product_attention"
    for name, x in (("q", q), ("k", k), ("v", v)):
        check_float(where, name, x)
    lead = (None,) * (q.ndim - 2)
    dims = check_shape(where, "q", q, (*lead, "L", "d_k"))
    check_shape(where, "k", k, ((None,) * (k.ndim - 2)) + ("S", "d_k"), dims)
    check_shape(where, "v", v, ((None,) * (v.ndim - 2)) + ("S", "d_v"), dims)
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(dims["d_k"])  # (..., L, S)
    if mask is not None:
        mask = additive_mask(mask, where)
        try:
            np.broadcast_shapes(mask.shape, scores.shape)
        except ValueError:
            raise ValueError(
                f"{where}: expected mask broadcastable to (..., L={dims['L']}, "
                f"S={dims['S']}), got {mask.shape}"
            ) from None
        scores = scores + mask
    weights = softmax(scores, axis=-1)
    return weights @ v, weights


def scaled_dot_product_attention_backward(
    d_out: np.ndarray, q: np.ndarray, k: np.ndarray, v: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Backward pass of :func:`scaled_dot_product_attention`.

    With $A = \mathrm{softmax}(QK^\top/\sqrt{d_k} + B)$ row by row and $Z = AV$,
    and $\delta$ marking the gradient of the loss ($\delta Z$ = ``d_out``):
    $\delta V = A^\top \delta Z$, $\delta A = \delta Z\, V^\top$; through the
    softmax, the scores get
    $\delta_\text{sc} = A \odot (\delta A - \mathrm{rowsum}(\delta A \odot A))$; then
    $\delta Q = \delta_\text{sc} K/\sqrt{d_k}$ and $\delta K = \delta_\text{sc}^\top Q/\sqrt{d_k}$.
    Blocked positions have $A = 0$, so no gradient flows through them.

    Parameters
    ----------
    d_out : ndarray, shape (..., L, d_v)
        Gradient of the loss with respect to ``out``.
    q, k, v : ndarray
        The forward inputs, shapes (..., L, d_k), (..., S, d_k), (..., S, d_v).
    weights : ndarray, shape (..., L, S)
        The weights returned by the forward pass.

    Returns
    -------
    dq, dk, dv : ndarray
        Same shapes as q, k, v (broadcast leading dimensions are summed back).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 6))
    >>> out, w = scaled_dot_product_attention(q, k, v)
    >>> dq, dk, dv = scaled_dot_product_attention_backward(np.ones_like(out), q, k, v, w)
    >>> dq.shape, dk.shape, dv.shape
    ((2, 3, 4), (2, 5, 4), (2, 5, 6))
    """
    scale = 1.0 / np.sqrt(q.shape[-1])
    dv = np.swapaxes(weights, -1, -2) @ d_out
    d_weights = d_out @ np.swapaxes(v, -1, -2)
    d_scores = softmax_backward(d_weights, weights, axis=-1) * scale
    dq = d_scores @ k
    dk = np.swapaxes(d_scores, -1, -2) @ q
    return _sum_to(dq, q.shape), _sum_to(dk, k.shape), _sum_to(dv, v.shape)


# ----------------------------------------------------------------------- additive


class AdditiveAttention(Layer):
    r"""Additive (Bahdanau) attention of one decoder state over encoder states.

    $$
    e_{tj} = w_a^\top \tanh(W_s s_{t-1} + W_h h_j), \qquad
    \alpha_{tj} = \mathrm{softmax}_j(e_{tj}), \qquad
    \mathrm{ctx}_t = \sum_j \alpha_{tj} h_j .
    $$

    The decoder state $s_{t-1}$ (the query) is compared with every encoder state
    $h_j$ (the keys, which are also the values); $w_a$ is the layer ``v``. With
    the default ``bias=False`` there is no bias in the score, as Bahdanau et
    al. (2015) write it (the paper leaves bias terms out of its equations).
    Image captioning uses the same layer with the rows $m_j$ of a grid of image
    features in place of $h_j$ (the notes then write $W_m$ for $W_h$).

    Parameters
    ----------
    dec_dim : int
        $H_\text{dec}$, size of the decoder state.
    enc_dim : int
        $H_\text{enc}$, size of each encoder state.
    attn_dim : int
        $d_a$, size of the hidden layer inside the score.
    bias : bool
        Whether $W_s$ and $W_h$ have biases (default: no). The score as Bahdanau
        et al. (2015) write it, $w_a^\top \tanh(W_s s_{t-1} + W_h h_j)$, has none;
        :class:`seqnotes.nn.AdditiveAttention` keeps one, in $W_h$.
    rng : numpy.random.Generator or int seed (default 0)

    Attributes
    ----------
    W_s : Linear
        $W_s$, weight of shape (d_a, H_dec).
    W_h : Linear
        $W_h$, weight of shape (d_a, H_enc).
    v : Linear
        $w_a^\top$, weight of shape (1, d_a), no bias.

    Examples
    --------
    >>> att = AdditiveAttention(dec_dim=3, enc_dim=4, attn_dim=5, rng=0)
    >>> rng = np.random.default_rng(1)
    >>> s, h = rng.normal(size=(2, 3)), rng.normal(size=(2, 6, 4))
    >>> mask = np.zeros((2, 6), dtype=bool); mask[1, 4:] = True   # two pads
    >>> c, w = att.forward(s, h, mask)
    >>> c.shape, w.shape, bool(np.allclose(w.sum(-1), 1)), bool((w[1, 4:] == 0).all())
    ((2, 4), (2, 6), True, True)
    """

    def __init__(
        self,
        dec_dim: int,
        enc_dim: int,
        attn_dim: int,
        bias: bool = False,
        rng: RNG = None,
    ) -> None:
        rng = as_rng(rng)
        self.dec_dim, self.enc_dim, self.attn_dim = dec_dim, enc_dim, attn_dim
        self.W_s = Linear(dec_dim, attn_dim, bias=bias, rng=rng)
        self.W_h = Linear(enc_dim, attn_dim, bias=bias, rng=rng)
        self.v = Linear(attn_dim, 1, bias=False, rng=rng)
        self._cache: tuple[Any, ...] | None = None

    def params(self) -> dict[str, np.ndarray]:
        """All parameters, keyed ``W_s.weight``, ``W_h.weight``, ``v.weight`` (and biases)."""
        return {
            f"{n}.{k}": p for n in ("W_s", "W_h", "v") for k, p in getattr(self, n).params().items()
        }

    def forward(
        self, query: np.ndarray, keys: np.ndarray, mask: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        r"""Context vector and attention weights.

        Parameters
        ----------
        query : ndarray, shape (N, H_dec)
            Decoder state $s_{t-1}$.
        keys : ndarray, shape (N, S, H_enc)
            Encoder states $h_1 \dots h_S$ (also the values).
        mask : ndarray of bool, shape (N, S), optional
            ``True`` at positions to ignore (padding).

        Returns
        -------
        context : ndarray, shape (N, H_enc)
            $\mathrm{ctx}_t$.
        weights : ndarray, shape (N, S)
            $\alpha_{t1}, \dots, \alpha_{tS}$.
        """
        where = "AdditiveAttention.forward"
        check_float(where, "query", query)
        check_float(where, "keys", keys)
        dims = check_shape(where, "query", query, ("N", self.dec_dim))
        check_shape(where, "keys", keys, ("N", "S", self.enc_dim), dims)
        if mask is not None:
            check_shape(where, "mask", mask, ("N", "S"), dims)
        # W_s s is the same for every j: compute it once and broadcast over S.
        a = tanh(self.W_s.forward(query)[:, None, :] + self.W_h.forward(keys))  # (N, S, d_a)
        e = self.v.forward(a)[..., 0]  # (N, S)
        if mask is not None:
            e = e + additive_mask(mask, where, "mask")
        weights = softmax(e, axis=-1)
        context = np.einsum("ns,nsh->nh", weights, keys)
        self._cache = (keys, a, weights)
        return context, weights

    def backward(self, d_context: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of all parameters and of ``query`` and ``keys``.

        Parameters
        ----------
        d_context : ndarray, shape (N, H_enc)

        Returns
        -------
        dict
            ``W_s.weight``, ``W_h.weight``, ``v.weight`` (and biases), ``query``
            (N, H_dec), ``keys`` (N, S, H_enc).
        """
        keys, a, weights = self._get_cache()
        d_keys = weights[:, :, None] * d_context[:, None, :]  # keys as values
        d_w = np.einsum("nh,nsh->ns", d_context, keys)
        d_e = softmax_backward(d_w, weights, axis=-1)
        g_v = self.v.backward(d_e[..., None])
        d_pre = tanh_backward(g_v["x"], a)  # (N, S, d_a)
        g_h = self.W_h.backward(d_pre)
        g_s = self.W_s.backward(d_pre.sum(axis=1))  # undo the broadcast over S
        grads = {
            f"{n}.{k}": g
            for n, gs in (("W_s", g_s), ("W_h", g_h), ("v", g_v))
            for k, g in gs.items()
            if k != "x"
        }
        grads["query"] = g_s["x"]
        grads["keys"] = d_keys + g_h["x"]
        return grads


# ---------------------------------------------------------------------- multi-head


class MultiheadAttention(Layer):
    r"""Multi-head attention with PyTorch's parameter names and layouts.

    For one query position $x$ (a column vector) and the key/value positions
    $x'_j$ (in self-attention and in cross-attention ``key`` and ``value`` are
    the same array), head $i = 1, \dots, n_h$ computes

    $$
    q = W_i^Q x + b_i^Q, \quad k_j = W_i^K x'_j + b_i^K, \quad v_j = W_i^V x'_j + b_i^V,
    \quad \mathrm{head}_i = \sum_j \mathrm{softmax}_j\Big(\frac{q \cdot k_j}{\sqrt{d_k}}\Big) v_j
    $$

    and the output is $W^O [\mathrm{head}_1; \dots; \mathrm{head}_{n_h}] + b^O$.
    In the code the positions are the rows of ``query``, ``key`` and ``value``,
    so $Q_i = X W_i^{Q\top} + b_i^Q$ (``query @ W_Q.T + b_Q``) and the heads are
    concatenated side by side, $[\mathrm{head}_1, \dots, \mathrm{head}_{n_h}]\, W^{O\top} + b^O$.

    $d_\text{model}$ = ``embed_dim`` is split across the heads, each of size
    $d_k = d_v = d_\text{model} / n_h$ (e.g. 100 = 10 heads x 10), so $n_h$ heads
    cost about as much as one full-width head. The three projections are stored
    stacked in ``in_proj_weight`` (3 d_model, d_model) = $[W^Q; W^K; W^V]$ (rows;
    head $i$ owns the $i$-th block of $d_k$ rows of each), their biases
    $b^Q, b^K, b^V$ likewise in ``in_proj_bias`` (3 d_model,), as in
    ``torch.nn.MultiheadAttention``; $W^O \in \mathbb{R}^{d_\text{model} \times n_h d_v}$
    and $b^O$ are ``out_proj``. All four biases exist when ``bias=True`` (the
    default) and start at zero, as in torch.

    Inputs are always batch-first (N, L, d_model), whatever the ``batch_first``
    of the torch module a copy was made from.

    Parameters
    ----------
    embed_dim : int
        $d_\text{model}$.
    num_heads : int
        $n_h$; must divide $d_\text{model}$.
    bias : bool
        Whether the projections have biases ($b^Q$, $b^K$, $b^V$, $b^O$).
    rng : numpy.random.Generator or int seed (default 0)

    Examples
    --------
    >>> mha = MultiheadAttention(embed_dim=8, num_heads=2, rng=0)
    >>> x = np.random.default_rng(1).normal(size=(3, 5, 8))
    >>> out, w = mha.forward(x, x, x)           # self-attention
    >>> out.shape, w.shape
    ((3, 5, 8), (3, 2, 5, 5))
    >>> print(bool(np.allclose(w.sum(-1), 1)), bool((w >= 0).all()))
    True True
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        bias: bool = True,
        rng: RNG = None,
    ) -> None:
        check_divisible("MultiheadAttention", "embed_dim", embed_dim, "num_heads", num_heads)
        rng = as_rng(rng)
        E = self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = E // num_heads
        # Xavier-uniform over the (3 d_model, d_model) matrix and zero biases, as torch does.
        bound = np.sqrt(6.0 / (E + 3 * E))
        self.in_proj_weight = rng.uniform(-bound, bound, size=(3 * E, E))
        self.in_proj_bias = np.zeros(3 * E) if bias else None
        self.out_proj = Linear(E, E, bias=bias, rng=rng)
        if bias:
            self.out_proj.bias[...] = 0.0
        self._cache: tuple[Any, ...] | None = None

    # -- parameters -------------------------------------------------------------
    def params(self) -> dict[str, np.ndarray]:
        """Parameters keyed by their torch names (``in_proj_weight``, ``out_proj.weight``, ...)."""
        p = {"in_proj_weight": self.in_proj_weight}
        if self.in_proj_bias is not None:
            p["in_proj_bias"] = self.in_proj_bias
        p.update({f"out_proj.{k}": v for k, v in self.out_proj.params().items()})
        return p

    @classmethod
    def from_torch(cls, module: Any) -> MultiheadAttention:
        """Copy a ``torch.nn.MultiheadAttention`` or ``seqnotes.nn.MultiheadAttention``.

        Needs dropout 0, kdim = vdim = embed_dim and no ``add_bias_kv`` /
        ``add_zero_attn``; the module's ``batch_first`` does not matter (the
        NumPy forward is always batch-first).
        """
        where = "MultiheadAttention.from_torch"
        if module.dropout != 0:
            raise ValueError(
                f"{where}: expected dropout=0 (no dropout in NumPy), got {module.dropout}"
            )
        if not getattr(module, "_qkv_same_embed_dim", True):
            raise NotImplementedError(
                f"{where}: kdim/vdim different from embed_dim are not supported"
            )
        if getattr(module, "bias_k", None) is not None or getattr(module, "add_zero_attn", False):
            raise NotImplementedError(f"{where}: add_bias_kv / add_zero_attn are not supported")
        bias = module.in_proj_bias is not None
        self = cls(module.embed_dim, module.num_heads, bias=bias)
        self.in_proj_weight = module.in_proj_weight.detach().double().numpy().copy()
        if bias:
            self.in_proj_bias = module.in_proj_bias.detach().double().numpy().copy()
        self.out_proj = Linear.from_torch(module.out_proj)
        return self

    # -- forward / backward -----------------------------------------------------
    def _split(self, x: np.ndarray) -> np.ndarray:
        """(N, T, d_model) -> (N, n_h, T, d_k): each head sees its own slice of d_model."""
        N, T, _ = x.shape
        return x.reshape(N, T, self.num_heads, self.head_dim).transpose(0, 2, 1, 3)

    @staticmethod
    def _merge(x: np.ndarray) -> np.ndarray:
        """(N, n_h, T, d_k) -> (N, T, d_model): concatenate the heads."""
        N, h, T, d = x.shape
        return x.transpose(0, 2, 1, 3).reshape(N, T, h * d)

    def _mask(self, dims: dict[str, int], key_padding_mask: Any, attn_mask: Any) -> Any:
        """Combine both masks into one additive mask broadcastable to (N, n_h, L, S)."""
        where = "MultiheadAttention.forward"
        mask = None
        if attn_mask is not None:
            check_attn_mask(where, "attn_mask", attn_mask, dims, self.num_heads)
            if np.ndim(attn_mask) == 3:  # torch's (N*n_h, L, S): one mask per batch and head
                attn_mask = np.reshape(attn_mask, (dims["N"], self.num_heads, dims["L"], dims["S"]))
            mask = additive_mask(attn_mask, where, "attn_mask")
        if key_padding_mask is not None:
            check_shape(where, "key_padding_mask", key_padding_mask, ("N", "S"), dims)
            kpm = additive_mask(key_padding_mask, where, "key_padding_mask")[:, None, None, :]
            mask = kpm if mask is None else mask + kpm
        return mask

    def forward(
        self,
        query: np.ndarray,
        key: np.ndarray,
        value: np.ndarray,
        key_padding_mask: np.ndarray | None = None,
        attn_mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        r"""Attend from every query position to every key position, in every head.

        Parameters
        ----------
        query : ndarray, shape (N, L, d_model)
        key : ndarray, shape (N, S, d_model)
        value : ndarray, shape (N, S, d_model)
            Self-attention passes the same array three times; cross-attention
            passes decoder states as query and encoder states as key and value.
        key_padding_mask : ndarray, shape (N, S), optional
            Bool (``True`` = pad, ignored) or float (added to the scores).
        attn_mask : ndarray, shape (L, S) or (N*n_h, L, S), optional
            Bool (``True`` = not allowed) or float, e.g. a causal mask.

        Returns
        -------
        output : ndarray, shape (N, L, d_model)
        weights : ndarray, shape (N, n_h, L, S)
            Per-head attention weights (torch's ``average_attn_weights=False``).
        """
        where = "MultiheadAttention.forward"
        E = self.embed_dim
        for name, x in (("query", query), ("key", key), ("value", value)):
            check_float(where, name, x)
        dims = check_shape(where, "query", query, ("N", "L", E))
        check_shape(where, "key", key, ("N", "S", E), dims)
        check_shape(where, "value", value, ("N", "S", E), dims)
        mask = self._mask(dims, key_padding_mask, attn_mask)

        W_q, W_k, W_v = np.split(self.in_proj_weight, 3)
        b_q, b_k, b_v = (
            np.split(self.in_proj_bias, 3) if self.in_proj_bias is not None else (0.0,) * 3
        )
        Q = self._split(query @ W_q.T + b_q)  # (N, n_h, L, d_k)
        K = self._split(key @ W_k.T + b_k)  # (N, n_h, S, d_k)
        V = self._split(value @ W_v.T + b_v)  # (N, n_h, S, d_v)
        Z, weights = scaled_dot_product_attention(Q, K, V, mask)
        out = self.out_proj.forward(self._merge(Z))
        self._cache = (query, key, value, Q, K, V, weights)
        return out, weights

    def backward(self, d_out: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of the parameters and of ``query``, ``key`` and ``value``.

        Parameters
        ----------
        d_out : ndarray, shape (N, L, d_model)

        Returns
        -------
        dict
            ``in_proj_weight``, ``in_proj_bias``, ``out_proj.weight``,
            ``out_proj.bias``, ``query`` (N, L, d_model), ``key`` and ``value``
            (N, S, d_model). For self-attention (query is key is value) the gradient
            of the one input is ``query + key + value``: the caller sums.
        """
        query, key, value, Q, K, V, weights = self._get_cache()
        check_shape("MultiheadAttention.backward", "d_out", d_out, query.shape)
        g_out = self.out_proj.backward(d_out)
        d_Z = self._split(g_out["x"])
        dQ, dK, dV = (
            self._merge(g) for g in scaled_dot_product_attention_backward(d_Z, Q, K, V, weights)
        )
        W_q, W_k, W_v = np.split(self.in_proj_weight, 3)
        # y = x W^T + b  =>  dW = dy^T x (summed over batch and time), dx = dy W.
        grads = {
            "in_proj_weight": np.concatenate(
                [np.einsum("nte,ntf->ef", d, x) for d, x in ((dQ, query), (dK, key), (dV, value))]
            )
        }
        if self.in_proj_bias is not None:
            grads["in_proj_bias"] = np.concatenate([d.sum(axis=(0, 1)) for d in (dQ, dK, dV)])
        grads.update({f"out_proj.{k}": g for k, g in g_out.items() if k != "x"})
        grads["query"], grads["key"], grads["value"] = dQ @ W_q, dK @ W_k, dV @ W_v
        return grads
