r"""Transformer building blocks: positional encoding, encoder/decoder layers and stacks.

The layers are twins of ``torch.nn.TransformerEncoderLayer`` /
``TransformerDecoderLayer`` / ``TransformerEncoder`` / ``TransformerDecoder``:
the same sub-module names (``self_attn``, ``multihead_attn``, ``linear1``,
``linear2``, ``norm1..3``, ``dropout*``), hence the same state-dict keys, and
the same outputs. Attention is :class:`seqnotes.nn.MultiheadAttention`; the
residual + LayerNorm wiring is spelled out in each ``forward``.

Shapes: N batch, S source length, L target length, d_model the width.
With ``batch_first=False`` (torch's default) sequences are ``(S, N, d_model)``;
with ``batch_first=True`` they are ``(N, S, d_model)``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqnotes._checks import check_divisible, check_shape
from seqnotes.nn._checks import check_input
from seqnotes.nn.attention import MultiheadAttention, causal_mask  # noqa: F401 (doctests)

__all__ = [
    "PositionalEncoding",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerDecoder",
]


class PositionalEncoding(nn.Module):
    r"""Add sinusoidal position codes to a sequence of embeddings (then dropout).

    $$\mathrm{PE}_{pos,\,2k} = \sin(pos\,\omega_k), \qquad
    \mathrm{PE}_{pos,\,2k+1} = \cos(pos\,\omega_k), \qquad
    \omega_k = 10000^{-2k/d_\text{model}}$$

    for positions $pos = 0, 1, \dots$ and column pairs
    $k = 0, \dots, d_\text{model}/2 - 1$. ``layout="interleaved"`` stores the
    columns as above (sin, cos, sin, cos, ..., as in *Attention Is All You
    Need*); ``layout="concat"`` stores all sines first, then all cosines (the
    pair $k$ in columns $k$ and $d_\text{model}/2 + k$).

    Parameters
    ----------
    d_model : int
        $d_\text{model}$, even.
    max_len : int
        Longest sequence (plus ``offset``) accepted by ``forward``.
    dropout : float
        Dropout applied to the sum (training mode only).
    layout : {"interleaved", "concat"}
    batch_first : bool
        ``x`` is ``(N, T, d_model)`` if True (the default here), ``(T, N, d_model)``
        if False; a 2-D ``x`` is ``(T, d_model)``.
    device, dtype
        Of the table ``pe`` ``(max_len, d_model)``, a buffer that is *not* saved in the
        state dict (it is a fixed function of the arguments).

    Examples
    --------
    >>> pe = PositionalEncoding(4, max_len=10)
    >>> [round(v, 3) for v in pe.pe[1].tolist()]
    [0.841, 0.54, 0.01, 1.0]
    >>> tuple(pe(torch.zeros(2, 3, 4)).shape), list(pe.state_dict())
    ((2, 3, 4), [])
    """

    def __init__(
        self,
        d_model: int,
        max_len: int = 5000,
        dropout: float = 0.0,
        layout: str = "interleaved",
        batch_first: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        check_divisible("PositionalEncoding", "d_model", d_model, "2", 2)
        if layout not in ("interleaved", "concat"):
            raise ValueError(
                f"PositionalEncoding: expected layout 'interleaved' or 'concat', got {layout!r}"
            )
        self.d_model, self.max_len, self.layout = d_model, max_len, layout
        self.batch_first = batch_first
        self.dropout = nn.Dropout(dropout)
        t = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)  # (max_len, 1)
        # Speeds omega_k = 10000^(-2k/d_model) fall geometrically from 1 towards 1/10000.
        inv_freq = 10000.0 ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
        angle = t * inv_freq  # pos * omega_k, (max_len, d_model/2)
        if layout == "interleaved":
            pe = torch.stack([angle.sin(), angle.cos()], dim=-1).flatten(1)  # sin,cos,sin,cos
        else:
            pe = torch.cat([angle.sin(), angle.cos()], dim=-1)
        dtype = dtype or torch.get_default_dtype()
        self.register_buffer("pe", pe.to(device=device, dtype=dtype), persistent=False)

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        """Return ``dropout(x + PE[offset : offset + T])``, shaped like ``x``.

        ``offset`` is the position $pos$ of ``x``'s first step, counting from 0
        (for decoding step by step).
        """
        where = "PositionalEncoding.forward"
        E = self.d_model
        if getattr(x, "ndim", None) == 2:
            dims = check_shape(where, "x", x, ("T", E))
        else:
            dims = check_shape(where, "x", x, ("N", "T", E) if self.batch_first else ("T", "N", E))
        check_input(where, "x", x, self.pe)
        T = dims["T"]
        if offset < 0 or offset + T > self.max_len:
            raise ValueError(
                f"{where}: positions {offset}..{offset + T - 1} exceed max_len={self.max_len}; "
                f"build PositionalEncoding with max_len >= {offset + T}"
            )
        pe = self.pe[offset : offset + T]  # (T, d_model)
        if x.ndim == 3 and not self.batch_first:
            pe = pe.unsqueeze(1)  # (T, 1, d_model): broadcast over the batch
        return self.dropout(x + pe)


def _activation(name: str | Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    if callable(name):
        return name
    if name == "relu":
        return F.relu
    if name == "gelu":
        return F.gelu
    raise ValueError(f"expected activation 'relu', 'gelu' or a callable, got {name!r}")


def _check_seq(where: str, name: str, x: Tensor, E: int, batch_first: bool, like: Tensor, sym: str):
    """Check a sequence ``(sym, N, E)`` / ``(N, sym, E)`` / unbatched ``(sym, E)``; return dims."""
    if getattr(x, "ndim", None) == 2:
        dims = check_shape(where, name, x, (sym, E))
    else:
        dims = check_shape(where, name, x, ("N", sym, E) if batch_first else (sym, "N", E))
    check_input(where, name, x, like)
    return dims


def _check_masks(
    where: str,
    dims: dict[str, int],
    h: int,
    q: str,
    k: str,
    attn: tuple[str, Tensor | None],
    pad: tuple[str, Tensor | None],
) -> None:
    """Check an attention mask ``(q, k)`` / ``(N*h, q, k)`` and a padding mask ``(N, k)``."""
    name, m = attn
    if m is not None:
        spec = (dims.get("N", 1) * h, q, k) if getattr(m, "ndim", None) == 3 else (q, k)
        check_shape(where, name, m, spec, dims)
    name, m = pad
    if m is not None:
        check_shape(where, name, m, ("N", k) if "N" in dims else (k,), dims)


class TransformerEncoderLayer(nn.Module):
    r"""One encoder block: self-attention, then a position-wise MLP, each with residual + LayerNorm.

    From $X^{(l-1)}$ to $X^{(l)}$, with $\mathrm{SA}$ the multi-head
    self-attention ``self_attn``. Post-LN (``norm_first=False``, the 2017 paper
    and torch's default):

    $$X' = \mathrm{LayerNorm}_1\big(X^{(l-1)} + \mathrm{SA}(X^{(l-1)})\big), \qquad
    X^{(l)} = \mathrm{LayerNorm}_2\big(X' + \mathrm{FFN}(X')\big)$$

    Pre-LN (``norm_first=True``, easier to train deep):

    $$X' = X^{(l-1)} + \mathrm{SA}\big(\mathrm{LayerNorm}_1(X^{(l-1)})\big), \qquad
    X^{(l)} = X' + \mathrm{FFN}\big(\mathrm{LayerNorm}_2(X')\big)$$

    with $\mathrm{FFN}(x) = W_2\,\mathrm{act}(W_1 x + b_1) + b_2$ for each row $x$;
    $W_1$, $b_1$ are ``linear1`` ($W_1$ = ``linear1.weight``,
    $d_\text{ff} \times d_\text{model}$), $W_2$, $b_2$ are ``linear2``, and
    $\mathrm{act}$ is ``activation`` ($\max(0, \cdot)$ by default, as in the notes).

    Parameters
    ----------
    d_model, nhead : int
        $d_\text{model}$ and $n_h$ ($d_\text{model}$ divisible by $n_h$).
    dim_feedforward : int
        Hidden width $d_\text{ff}$ of the FFN.
    dropout : float
        On the attention weights, inside the FFN, and on each residual branch.
    activation : "relu" | "gelu" | callable
        $\mathrm{act}$.
    layer_norm_eps, batch_first, norm_first, bias, device, dtype
        As in torch.nn.TransformerEncoderLayer.

    Shapes
    ------
    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``:
    src ``(S, N, d_model)`` (``(N, S, d_model)`` if batch_first), src_mask ``(S, S)``
    or ``(N*n_h, S, S)``, src_key_padding_mask ``(N, S)``; returns src's shape.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> layer = TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0, batch_first=True)
    >>> y = layer(torch.randn(2, 5, 16), src_mask=causal_mask(5))
    >>> tuple(y.shape), round(abs(y.mean().item()), 4), round(y.std(-1).mean().item(), 2)
    ((2, 5, 16), 0.0, 1.03)
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        # Registration order = torch's, so state_dict() keys come in the same order.
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw
        )
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.activation = _activation(activation)
        self.batch_first = batch_first

    def forward(
        self,
        src: Tensor,
        src_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        where = "TransformerEncoderLayer.forward"
        sa = self.self_attn
        dims = _check_seq(where, "src", src, sa.embed_dim, self.batch_first, sa.in_proj_weight, "S")
        _check_masks(
            where, dims, sa.num_heads, "S", "S",
            ("src_mask", src_mask), ("src_key_padding_mask", src_key_padding_mask),
        )  # fmt: skip
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(
            x, x, x, key_padding_mask=key_padding_mask, attn_mask=attn_mask,
            need_weights=False, is_causal=is_causal,
        )[0]  # fmt: skip
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(nn.Module):
    r"""One decoder block: masked self-attention, cross-attention to the memory, then an MLP.

    Post-LN (``norm_first=False``), from $X^{(l-1)}$ to $X^{(l)}$:

    $$X' = \mathrm{LayerNorm}_1\big(X^{(l-1)} + \mathrm{SA}(X^{(l-1)})\big),\quad
    X'' = \mathrm{LayerNorm}_2\big(X' + \mathrm{CA}(X', M)\big),\quad
    X^{(l)} = \mathrm{LayerNorm}_3\big(X'' + \mathrm{FFN}(X'')\big)$$

    Pre-LN (``norm_first=True``):

    $$X' = X^{(l-1)} + \mathrm{SA}\big(\mathrm{LayerNorm}_1(X^{(l-1)})\big),\quad
    X'' = X' + \mathrm{CA}\big(\mathrm{LayerNorm}_2(X'), M\big),\quad
    X^{(l)} = X'' + \mathrm{FFN}\big(\mathrm{LayerNorm}_3(X'')\big)$$

    $\mathrm{SA}$ is the masked self-attention ``self_attn``;
    $\mathrm{CA}(X', M)$, ``multihead_attn``, takes queries from the target
    side and keys/values from the encoder output $M$ (``memory``).

    Parameters
    ----------
    d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
    batch_first, norm_first, bias, device, dtype
        As in :class:`TransformerEncoderLayer`.

    Shapes
    ------
    ``forward(tgt, memory, tgt_mask=None, memory_mask=None,
    tgt_key_padding_mask=None, memory_key_padding_mask=None,
    tgt_is_causal=False, memory_is_causal=False)``: tgt ``(L, N, d_model)``, memory
    ``(S, N, d_model)`` (batch first if batch_first), tgt_mask ``(L, L)``,
    memory_mask ``(L, S)`` (or ``(N*n_h, ., .)``), tgt_key_padding_mask ``(N, L)``,
    memory_key_padding_mask ``(N, S)``; returns tgt's shape.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> layer = TransformerDecoderLayer(16, 4, dim_feedforward=32, batch_first=True)
    >>> y = layer(torch.randn(2, 3, 16), torch.randn(2, 7, 16), tgt_mask=causal_mask(3))
    >>> tuple(y.shape), sorted(k for k in layer.state_dict() if "norm" in k)[:2]
    ((2, 3, 16), ['norm1.bias', 'norm1.weight'])
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        mha = {"dropout": dropout, "bias": bias, "batch_first": batch_first, **kw}
        self.self_attn = MultiheadAttention(d_model, nhead, **mha)
        self.multihead_attn = MultiheadAttention(d_model, nhead, **mha)
        self.linear1 = nn.Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.activation = _activation(activation)
        self.batch_first = batch_first

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        where = "TransformerDecoderLayer.forward"
        sa, E, h = self.self_attn, self.self_attn.embed_dim, self.self_attn.num_heads
        dims = _check_seq(where, "tgt", tgt, E, self.batch_first, sa.in_proj_weight, "T")
        # memory shares N (and the layout) with tgt, but has its own length S.
        bf = self.batch_first
        spec = ("S", E) if tgt.ndim == 2 else (("N", "S", E) if bf else ("S", "N", E))
        check_shape(where, "memory", memory, spec, dims)
        check_input(where, "memory", memory, sa.in_proj_weight)
        _check_masks(where, dims, h, "T", "T", ("tgt_mask", tgt_mask),
                     ("tgt_key_padding_mask", tgt_key_padding_mask))  # fmt: skip
        _check_masks(where, dims, h, "T", "S", ("memory_mask", memory_mask),
                     ("memory_key_padding_mask", memory_key_padding_mask))  # fmt: skip
        x, m = tgt, memory
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(
                self.norm2(x), m, memory_mask, memory_key_padding_mask, memory_is_causal
            )
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(
                x + self._mha_block(x, m, memory_mask, memory_key_padding_mask, memory_is_causal)
            )
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(
            x, x, x, key_padding_mask=key_padding_mask, attn_mask=attn_mask,
            need_weights=False, is_causal=is_causal,
        )[0]  # fmt: skip
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(
            x, mem, mem, key_padding_mask=key_padding_mask, attn_mask=attn_mask,
            need_weights=False, is_causal=is_causal,
        )[0]  # fmt: skip
        return self.dropout2(x)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoder(nn.Module):
    r"""A stack of ``num_layers`` deep copies of ``encoder_layer``, then an optional final norm.

    $$X^{(l)} = \mathrm{Layer}_l(X^{(l-1)}), \quad l = 1, \dots, n_\text{layers}; \qquad
    \mathrm{out} = \mathrm{norm}(X^{(n_\text{layers})})$$

    State-dict keys are ``layers.{i}.…`` (layer $l$ is ``layers.{l-1}``) and
    ``norm.…``, as in torch. (Pre-LN
    stacks need the final ``norm``: their residual stream is never normalised.)

    Parameters
    ----------
    encoder_layer : TransformerEncoderLayer
        Copied ``num_layers`` times (the copies do not share weights).
    num_layers : int
        $n_\text{layers}$.
    norm : nn.Module, optional

    Shapes
    ------
    ``forward(src, mask=None, src_key_padding_mask=None, is_causal=None)``:
    as :meth:`TransformerEncoderLayer.forward` (``mask`` is ``src_mask``).

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> layer = TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    >>> enc = TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(8))
    >>> tuple(enc(torch.randn(3, 4, 8)).shape), list(enc.state_dict())[0]
    ((3, 4, 8), 'layers.0.self_attn.in_proj_weight')
    """

    def __init__(
        self, encoder_layer: nn.Module, num_layers: int, norm: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList(copy.deepcopy(encoder_layer) for _ in range(num_layers))
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        src: Tensor,
        mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool | None = None,
    ) -> Tensor:
        x = src
        for layer in self.layers:
            x = layer(
                x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                is_causal=bool(is_causal),
            )  # fmt: skip
        return x if self.norm is None else self.norm(x)


class TransformerDecoder(nn.Module):
    r"""A stack of ``num_layers`` deep copies of ``decoder_layer``, then an optional final norm.

    $$X^{(l)} = \mathrm{Layer}_l(X^{(l-1)}, M), \quad l = 1, \dots, n_\text{layers}; \qquad
    \mathrm{out} = \mathrm{norm}(X^{(n_\text{layers})})$$

    Every layer attends to the same ``memory`` $M$ (the encoder output).

    Parameters
    ----------
    decoder_layer : TransformerDecoderLayer
    num_layers : int
    norm : nn.Module, optional

    Shapes
    ------
    ``forward(tgt, memory, tgt_mask=None, memory_mask=None,
    tgt_key_padding_mask=None, memory_key_padding_mask=None,
    tgt_is_causal=None, memory_is_causal=False)``: as
    :meth:`TransformerDecoderLayer.forward`.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> layer = TransformerDecoderLayer(8, 2, dim_feedforward=16)
    >>> dec = TransformerDecoder(layer, num_layers=2)
    >>> y = dec(torch.randn(5, 3, 8), torch.randn(6, 3, 8), tgt_mask=causal_mask(5))
    >>> tuple(y.shape), len(dec.layers)
    ((5, 3, 8), 2)
    """

    def __init__(
        self, decoder_layer: nn.Module, num_layers: int, norm: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList(copy.deepcopy(decoder_layer) for _ in range(num_layers))
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        x = tgt
        for layer in self.layers:
            x = layer(
                x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal,
            )  # fmt: skip
        return x if self.norm is None else self.norm(x)
