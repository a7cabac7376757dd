r"""Small Transformer models for the demos, built on :mod:`seqnotes.nn.transformer`.

* :class:`Seq2SeqTransformer` — the 2017 encoder–decoder, for copy/reverse tasks.
* :class:`ViT` — patches → linear projection → class token + positions → encoder.
* :class:`DecoderOnlyTransformer` — GPT / DALL·E style: one causal sequence.

The attention and the encoder/decoder layers are this package's own
(:class:`~seqnotes.nn.MultiheadAttention`, :class:`~seqnotes.nn.TransformerEncoderLayer`, …),
never ``torch.nn.Transformer*``.

Shapes: N batch, S source length, L target length, T sequence length, d_model the
width, |V| vocabulary size.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from seqnotes._checks import check_divisible, check_shape, check_token_range
from seqnotes.nn._checks import check_ids, check_input
from seqnotes.nn.attention import causal_mask
from seqnotes.nn.transformer import (
    PositionalEncoding,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ = ["Seq2SeqTransformer", "patchify", "ViT", "DecoderOnlyTransformer"]

Device = torch.device | str | None


class Seq2SeqTransformer(nn.Module):
    r"""Encoder–decoder Transformer ("Attention Is All You Need") for token sequences.

    $$M = \mathrm{Encoder}\big(\sqrt{d_\text{model}}\,E_\text{src}[x] + \mathrm{PE}\big), \quad
    u_t = W_\text{head}\, x_t^{(n_\text{layers})} + b_\text{head}, \quad
    p(y_t \mid y_0, \dots, y_{t-1}, x) = \operatorname{softmax}(u_t)$$

    with $E_\text{src}[x]$ the source embeddings (``src_embed``), $M$ the memory,
    $x_t^{(n_\text{layers})}$ row $t$ of the decoder output
    $\mathrm{Decoder}(\sqrt{d_\text{model}}\,E_\text{tgt}[y] + \mathrm{PE},\ M)$ for
    the inputs $y_0$ = ``<bos>``, $y_1, \dots$, and $W_\text{head}$,
    $b_\text{head}$ the layer ``out``. The embeddings start with entries of
    standard deviation $1/\sqrt{d_\text{model}}$, so after the scaling by
    $\sqrt{d_\text{model}}$ they have the scale of the positional code (entries
    between $-1$ and 1) and are not drowned by it. The decoder's self-attention
    is causal; ``<pad>`` = 0 in the source is masked out.

    Parameters
    ----------
    src_vocab, tgt_vocab : int
    d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward, dropout
        As in ``torch.nn.Transformer`` (post-LN layers).
    max_len : int
        Longest sequence the positional table covers.
    tie_embeddings : bool
        Share one matrix among the source embedding, the target embedding and
        the output layer, as the paper does for its shared source–target
        vocabulary (Press & Wolf, 2017): the output layer scores a token by the
        dot product of the decoder state with that token's embedding. Needs
        ``src_vocab == tgt_vocab``; saves two
        $\lvert\mathcal{V}\rvert \times d_\text{model}$ matrices.
    device : torch device, optional

    Shapes
    ------
    ``forward(src, tgt_in) -> logits``: src ``(N, S)``, tgt_in ``(N, L)``
    (``<bos> y_1 .. y_{L-1}``), logits ``(N, L, tgt_vocab)``.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> model = Seq2SeqTransformer(14, 14, d_model=16, nhead=2, dim_feedforward=32)
    >>> src = torch.randint(4, 14, (3, 6))
    >>> tuple(model(src, torch.ones(3, 4, dtype=torch.long)).shape)
    (3, 4, 14)
    >>> tokens = model.greedy_decode(src, bos=1, eos=2, max_len=8)
    >>> tokens.shape[0], tokens.shape[1] <= 8
    (3, True)
    """

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        d_model: int = 32,
        nhead: int = 4,
        num_encoder_layers: int = 2,
        num_decoder_layers: int = 2,
        dim_feedforward: int = 64,
        dropout: float = 0.0,
        max_len: int = 128,
        tie_embeddings: bool = False,
        device: Device = None,
    ) -> None:
        super().__init__()
        if tie_embeddings and src_vocab != tgt_vocab:
            raise ValueError(
                "Seq2SeqTransformer: tie_embeddings needs one shared vocabulary, "
                f"got src_vocab={src_vocab} and tgt_vocab={tgt_vocab}"
            )
        self.src_vocab, self.tgt_vocab, self.d_model = src_vocab, tgt_vocab, d_model
        kw = {"dropout": dropout, "batch_first": True, "device": device}
        self.src_embed = nn.Embedding(src_vocab, d_model, device=device)
        self.tgt_embed = nn.Embedding(tgt_vocab, d_model, device=device)
        for emb in (self.src_embed, self.tgt_embed):
            # std 1/sqrt(d_model), so that sqrt(d_model) * E_x has entries of std 1, like PE:
            # torch's default N(0, 1) would drown the positions after the scaling.
            nn.init.normal_(emb.weight, std=d_model**-0.5)
        self.pos = PositionalEncoding(d_model, max_len, batch_first=True, device=device)
        enc_layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, **kw)
        dec_layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, **kw)
        self.encoder = TransformerEncoder(enc_layer, num_encoder_layers)
        self.decoder = TransformerDecoder(dec_layer, num_decoder_layers)
        self.out = nn.Linear(d_model, tgt_vocab, device=device)
        if tie_embeddings:  # one Parameter object in three places: one matrix, one gradient
            self.tgt_embed.weight = self.src_embed.weight
            self.out.weight = self.src_embed.weight

    def encode(self, src: Tensor) -> tuple[Tensor, Tensor]:
        """Memory ``(N, S, d_model)`` and the source padding mask ``(N, S)`` (True = ``<pad>``)."""
        check_ids("Seq2SeqTransformer.forward", "src", src, self.src_vocab, self.out.weight)
        check_shape("Seq2SeqTransformer.forward", "src", src, ("N", "S"))
        pad = src == 0
        x = self.pos(self.src_embed(src) * math.sqrt(self.d_model))
        return self.encoder(x, src_key_padding_mask=pad), pad

    def decode(self, tgt_in: Tensor, memory: Tensor, src_pad: Tensor) -> Tensor:
        """Logits ``(N, L, tgt_vocab)`` for every target position, seeing only earlier ones."""
        check_ids("Seq2SeqTransformer.forward", "tgt_in", tgt_in, self.tgt_vocab, self.out.weight)
        y = self.pos(self.tgt_embed(tgt_in) * math.sqrt(self.d_model))
        mask = causal_mask(tgt_in.shape[1], device=tgt_in.device)  # no peeking at y_t, y_t+1, ...
        h = self.decoder(y, memory, tgt_mask=mask, memory_key_padding_mask=src_pad)
        return self.out(h)

    def forward(self, src: Tensor, tgt_in: Tensor) -> Tensor:
        memory, pad = self.encode(src)
        return self.decode(tgt_in, memory, pad)

    @torch.no_grad()
    def greedy_decode(self, src: Tensor, bos: int, eos: int, max_len: int) -> Tensor:
        """Generate greedily, re-reading the whole prefix at each step (no cache; short outputs).

        Returns tokens ``(N, T_out)``, ``T_out <= max_len``, without ``<bos>``;
        positions after a row's ``eos`` hold ``<pad>`` = 0.
        """
        memory, pad = self.encode(src)
        N = src.shape[0]
        ys = torch.full((N, 1), bos, dtype=torch.long, device=src.device)
        done = torch.zeros(N, dtype=torch.bool, device=src.device)
        for _ in range(max_len):
            nxt = self.decode(ys, memory, pad)[:, -1].argmax(-1).masked_fill(done, 0)
            ys = torch.cat([ys, nxt.unsqueeze(1)], dim=1)
            done = done | (nxt == eos)
            if bool(done.all()):
                break
        return ys[:, 1:]


def patchify(images: Tensor, patch_size: int) -> Tensor:
    r"""Cut images into non-overlapping square patches, each flattened to a vector.

    ``(N, C, H_in, W_in) -> (N, n_p, C·P·P)`` with $n_p = (H_\text{in}/P)(W_\text{in}/P)$
    and $P$ = ``patch_size``, patches in row-major order.

    >>> x = torch.arange(16.0).view(1, 1, 4, 4)
    >>> patchify(x, 2)[0, 1].tolist()  # the top-right 2×2 patch
    [2.0, 3.0, 6.0, 7.0]
    """
    N, C, H, W = images.shape
    p = patch_size
    x = images.reshape(N, C, H // p, p, W // p, p)
    return x.permute(0, 2, 4, 1, 3, 5).reshape(N, (H // p) * (W // p), C * p * p)


class ViT(nn.Module):
    r"""Vision Transformer: classify an image from its patches with an encoder only.

    $$X^{(0)} = \begin{bmatrix} x_\text{cls}^\top \\ (W_\text{patch}\, x_1 + b_\text{patch})^\top \\
    \vdots \\ (W_\text{patch}\, x_{n_p} + b_\text{patch})^\top \end{bmatrix} + E_\text{pos},
    \quad \mathrm{logits} = W_\text{head} \operatorname{LayerNorm}\big(x_0^{(n_\text{layers})}\big)
    + b_\text{head}$$

    with $x_i$ the flattened patches (:func:`patchify`), $W_\text{patch}$,
    $b_\text{patch}$ = ``patch_embed``, $x_\text{cls}$ = ``cls_token``,
    $E_\text{pos}$ = ``pos_embed``, $W_\text{head}$, $b_\text{head}$ = ``head``,
    and $x_0^{(n_\text{layers})}$ row 0 of the output of the $n_\text{layers}$
    encoder layers (the final LayerNorm is ``encoder.norm``). The learned class
    token gathers information from every patch through attention; only its
    output is classified. Layers are pre-LN (``norm_first=True``), as in the ViT
    paper.

    Parameters
    ----------
    image_size : int
        $H_\text{in} = W_\text{in}$.
    patch_size : int
        $P$; must divide ``image_size``.
    in_channels : int
        C.
    num_classes : int
        $n_\text{cls}$.
    d_model, nhead, num_layers, dim_feedforward : int
        $d_\text{model}$, $n_h$, $n_\text{layers}$ and $d_\text{ff}$.
    dropout : float
    device : torch device, optional

    Shapes
    ------
    ``forward(images)``: ``(N, C, H_in, W_in)`` → logits ``(N, n_cls)``.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> vit = ViT(12, 4, 1, num_classes=4, d_model=16, nhead=2, num_layers=1, dim_feedforward=32)
    >>> tuple(vit(torch.zeros(5, 1, 12, 12)).shape), tuple(vit.pos_embed.shape)
    ((5, 4), (1, 10, 16))
    """

    def __init__(
        self,
        image_size: int,
        patch_size: int,
        in_channels: int,
        num_classes: int,
        d_model: int = 32,
        nhead: int = 4,
        num_layers: int = 2,
        dim_feedforward: int = 64,
        dropout: float = 0.0,
        device: Device = None,
    ) -> None:
        super().__init__()
        check_divisible("ViT", "image_size", image_size, "patch_size", patch_size)
        self.image_size, self.patch_size, self.in_channels = image_size, patch_size, in_channels
        P = (image_size // patch_size) ** 2
        self.patch_embed = nn.Linear(in_channels * patch_size**2, d_model, device=device)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d_model, device=device))
        self.pos_embed = nn.Parameter(0.02 * torch.randn(1, P + 1, d_model, device=device))
        layer = TransformerEncoderLayer(
            d_model,
            nhead,
            dim_feedforward,
            dropout,
            batch_first=True,
            norm_first=True,
            device=device,
        )
        self.encoder = TransformerEncoder(
            layer, num_layers, norm=nn.LayerNorm(d_model, device=device)
        )
        self.head = nn.Linear(d_model, num_classes, device=device)

    def forward(self, images: Tensor) -> Tensor:
        where = "ViT.forward"
        check_input(where, "images", images, self.head.weight)
        s = self.image_size
        check_shape(where, "images", images, ("N", self.in_channels, s, s))
        x = self.patch_embed(patchify(images, self.patch_size))  # (N, n_p, d_model)
        cls = self.cls_token.expand(x.shape[0], -1, -1)  # one class token per image
        z = self.encoder(torch.cat([cls, x], dim=1) + self.pos_embed)  # (N, n_p + 1, d_model)
        return self.head(z[:, 0])


class DecoderOnlyTransformer(nn.Module):
    r"""A GPT-style decoder-only Transformer; DALL·E uses one over text + image tokens.

    $$u_t = W_\text{head} \operatorname{LayerNorm}\big(x_t^{(n_\text{layers})}\big) + b_\text{head},
    \qquad p(x_{t+1} \mid x_1, \dots, x_t) = \operatorname{softmax}(u_t)$$

    where $X^{(n_\text{layers})}$ is the output of the $n_\text{layers}$ layers
    (``blocks``, whose final LayerNorm is ``blocks.norm``), their input
    $X^{(0)}$ has row $t$ equal to $E_{x_t}$ (``tok_embed``) plus the learned
    position embedding of position $t$ (``pos_embed``), and $W_\text{head}$,
    $b_\text{head}$ are the layer ``head``.

    There is no encoder and no cross-attention: each block is an encoder layer
    (pre-LN) whose self-attention is causal (the mask $B$), so position $t$
    sees only $x_1, \dots, x_t$. For text-to-image generation the sequence is the prompt's
    tokens followed by the image tokens, and :meth:`generate` continues a
    prompt with image tokens one at a time.

    Parameters
    ----------
    vocab_size : int
        $\lvert\mathcal{V}\rvert$ (text and image tokens share one vocabulary).
    d_model, nhead, num_layers, dim_feedforward : int
        $d_\text{model}$, $n_h$, $n_\text{layers}$ and $d_\text{ff}$.
    max_len : int
        Longest sequence (learned position embeddings).
    dropout : float
    device : torch device, optional

    Shapes
    ------
    ``forward(ids)``: ``(N, T)`` int64 → logits ``(N, T, |V|)``.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> gpt = DecoderOnlyTransformer(20, d_model=16, nhead=2, num_layers=1, max_len=12)
    >>> tuple(gpt(torch.randint(0, 20, (2, 5))).shape)
    (2, 5, 20)
    >>> tuple(gpt.generate(torch.tensor([[1, 5, 6]]), n_new=4, greedy=True).shape)
    (1, 7)
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int = 32,
        nhead: int = 4,
        num_layers: int = 2,
        dim_feedforward: int = 64,
        max_len: int = 64,
        dropout: float = 0.0,
        device: Device = None,
    ) -> None:
        super().__init__()
        self.vocab_size, self.max_len = vocab_size, max_len
        self.tok_embed = nn.Embedding(vocab_size, d_model, device=device)
        self.pos_embed = nn.Parameter(0.02 * torch.randn(1, max_len, d_model, device=device))
        layer = TransformerEncoderLayer(
            d_model,
            nhead,
            dim_feedforward,
            dropout,
            batch_first=True,
            norm_first=True,
            device=device,
        )
        self.blocks = TransformerEncoder(
            layer, num_layers, norm=nn.LayerNorm(d_model, device=device)
        )
        self.head = nn.Linear(d_model, vocab_size, device=device)

    def forward(self, ids: Tensor) -> Tensor:
        where = "DecoderOnlyTransformer.forward"
        check_ids(where, "ids", ids, self.vocab_size, self.head.weight)
        dims = check_shape(where, "ids", ids, ("N", "T"))
        if dims["T"] > self.max_len:
            raise ValueError(f"{where}: sequence length {dims['T']} exceeds max_len={self.max_len}")
        T = dims["T"]
        h = self.tok_embed(ids) + self.pos_embed[:, :T]
        h = self.blocks(h, mask=causal_mask(T, device=ids.device))  # position t sees x_1..x_t
        return self.head(h)

    @torch.no_grad()
    def generate(
        self,
        prefix: Tensor,
        n_new: int,
        temperature: float = 1.0,
        greedy: bool = False,
        generator: torch.Generator | None = None,
        token_range: tuple[int, int] | None = None,
    ) -> Tensor:
        r"""Append ``n_new`` tokens to ``prefix`` (N, T) one at a time; return (N, T + n_new).

        Each new token is drawn from $\operatorname{softmax}(u_t / \kappa)$, with
        $u_t$ the logits at the last position and $\kappa$ = ``temperature`` (or
        the argmax if ``greedy``), and fed back in. The whole sequence is fed
        back each time, with no sliding window, so ``T + n_new - 1`` must not
        exceed ``max_len`` (``forward`` raises otherwise). With ``token_range=(lo, hi)`` only
        ids in ``[lo, hi)`` can be drawn (e.g. image tokens after a text prompt):
        the other logits are set to $-\infty$ first.
        """
        where = "DecoderOnlyTransformer.generate"
        if not greedy and temperature <= 0:
            raise ValueError(f"{where}: expected temperature > 0, got {temperature}")
        check_token_range(where, token_range, self.vocab_size)
        ids = prefix
        for _ in range(n_new):
            z = self(ids)[:, -1]  # (N, |V|): logits of the next token
            if token_range is not None:
                allowed = torch.zeros_like(z, dtype=torch.bool)
                allowed[:, token_range[0] : token_range[1]] = True
                z = z.masked_fill(~allowed, float("-inf"))
            if greedy:
                nxt = z.argmax(-1, keepdim=True)
            else:
                p = torch.softmax(z / temperature, dim=-1).cpu()
                nxt = torch.multinomial(p, 1, generator=generator).to(ids.device)
            ids = torch.cat([ids, nxt], dim=1)
        return ids
