r"""Whole Transformer models in NumPy (forward only): encoder-decoder, ViT, decoder-only LM.

The pieces come from :mod:`seqnotes.scratch.transformer`; these classes only wire
them together, so each model fits on one screen. They have no backward pass:
the PyTorch versions in :mod:`seqnotes.nn` are the ones that train.

* :class:`Transformer` - "Attention Is All You Need": source and target token
  embeddings $\times\sqrt{d_\text{model}}$ plus positional encoding, an encoder
  stack, a decoder stack with a causal mask, an output layer $W_\text{head}$ to
  the vocabulary; :meth:`Transformer.greedy_decode` generates until ``<eos>``.
* :class:`ViT` - an image as a sequence of patches, a class token, the encoder
  only, classification from the first output vector.
* :class:`DecoderOnlyLM` - GPT / DALL-E: one causal stack over a single token
  sequence (for DALL-E: text tokens followed by image tokens).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqnotes._checks import check_float, check_shape, check_token_range, check_tokens
from seqnotes.scratch.functional import causal_mask, softmax
from seqnotes.scratch.layers import RNG, Embedding, Layer, Linear, as_rng
from seqnotes.scratch.rnn_models import _load_torch
from seqnotes.scratch.transformer import PositionalEncoding, TransformerDecoder, TransformerEncoder

__all__ = ["Transformer", "patchify", "ViT", "DecoderOnlyLM"]


def _small_embedding(vocab: int, d_model: int, std: float, rng: np.random.Generator) -> Embedding:
    """An Embedding whose rows have standard deviation ``std`` (torch's default is 1)."""
    emb = Embedding(vocab, d_model, rng=rng)
    emb.weight *= std
    return emb


# -------------------------------------------------------------- encoder-decoder


class Transformer(Layer):
    r"""The encoder-decoder Transformer of "Attention Is All You Need" (forward only).

    $$
    \begin{aligned}
    M &= \mathrm{Encoder}\big(\sqrt{d_\text{model}}\,E_\text{src}[x] + \mathrm{PE}\big), \\
    X^{(n_\text{layers})} &= \mathrm{Decoder}\big(\sqrt{d_\text{model}}\,E_\text{tgt}[y]
      + \mathrm{PE},\ M\big), \qquad
    u_t = W_\text{head}\, x_t^{(n_\text{layers})} + b_\text{head}
    \end{aligned}
    $$

    with $E_\text{src}[x]$ the rows of the source embedding table for the tokens
    $x$ (likewise for the target), $M$ the memory and $W_\text{head}$,
    $b_\text{head}$ the layer ``out``. The decoder reads $y_0$ = ``<bos>``,
    $y_1, \dots$ and its self-attention is causal: the logits $u_t$ at
    position $t$ depend on $y_0, \dots, y_{t-1}$ only, so training on a whole
    target sequence at once ("teacher forcing") matches generating it one
    token at a time. As in the paper, a
    post-LN model (the default) has no LayerNorm after its stacks; a pre-LN
    one (``norm_first=True``) ends each stack with one, since its residual
    stream is never normalised otherwise.

    Parameters
    ----------
    src_vocab, tgt_vocab : int
    d_model, nhead, num_encoder_layers, num_decoder_layers, dim_feedforward : int
        $d_\text{model}$, $n_h$, $n_\text{layers}$ of each stack and $d_\text{ff}$.
    max_len : int
        Longest source or target sequence (size of the positional-encoding table).
    norm_first : bool
    pad_id : int, optional
        If given, positions holding ``pad_id`` are masked as keys.
    rng : numpy.random.Generator or int seed
    final_norm : bool, optional
        End both stacks with a LayerNorm. Default: only when ``norm_first``
        (the paper's post-LN model and :class:`seqnotes.nn.Seq2SeqTransformer`
        have none; ``torch.nn.Transformer`` always adds one, so pass ``True`` to
        match it).
    mask_tgt_padding : bool
        With ``pad_id``, also mask the target's pads as keys of the decoder's
        self-attention (the nn twin masks the source only; with pads only at the
        end of a target, only the logits at pad positions differ).

    Examples
    --------
    >>> model = Transformer(src_vocab=10, tgt_vocab=12, d_model=16, nhead=2, rng=0)
    >>> src = np.array([[3, 4, 5, 6]])
    >>> print(model.forward(src, np.array([[1, 7, 8]])).shape)
    (1, 3, 12)
    >>> out = model.greedy_decode(src, bos_id=1, eos_id=2, max_len=5)
    >>> print(out.shape[0], int(out[0, 0]), out.shape[1] <= 6)
    1 1 True
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
        max_len: int = 128,
        norm_first: bool = False,
        pad_id: int | None = None,
        rng: RNG = None,
        final_norm: bool | None = None,
        mask_tgt_padding: bool = True,
    ) -> None:
        rng = as_rng(rng)
        final_norm = norm_first if final_norm is None else final_norm
        self.d_model, self.pad_id = d_model, pad_id
        self.mask_tgt_padding = mask_tgt_padding
        self.src_vocab, self.tgt_vocab = src_vocab, tgt_vocab
        # Entries of std 1/sqrt(d_model): after the x sqrt(d_model) below they have std 1,
        # the scale of PE's entries.
        self.src_embed = _small_embedding(src_vocab, d_model, d_model**-0.5, rng)
        self.tgt_embed = _small_embedding(tgt_vocab, d_model, d_model**-0.5, rng)
        self.pos = PositionalEncoding(d_model, max_len)
        args = (d_model, nhead, dim_feedforward, norm_first)
        self.encoder = TransformerEncoder(num_encoder_layers, *args, final_norm=final_norm, rng=rng)
        self.decoder = TransformerDecoder(num_decoder_layers, *args, final_norm=final_norm, rng=rng)
        self.out = Linear(d_model, tgt_vocab, rng=rng)

    def _pad(self, ids: np.ndarray) -> np.ndarray | None:
        return None if self.pad_id is None else ids == self.pad_id

    def encode(self, src_ids: np.ndarray) -> np.ndarray:
        """src_ids: (N, S) int -> memory (N, S, d_model)."""
        where = "Transformer.encode"
        check_shape(where, "src_ids", src_ids, ("N", "S"))
        check_tokens(where, "src_ids", src_ids, self.src_vocab)
        # x sqrt(d_model), as in the paper: with the small init above, the embeddings
        # then have the scale of PE's entries instead of being drowned by them.
        x = self.pos.forward(self.src_embed.forward(src_ids) * np.sqrt(self.d_model))
        return self.encoder.forward(x, src_key_padding_mask=self._pad(src_ids))

    def decode(self, tgt_ids: np.ndarray, memory: np.ndarray, src_ids: np.ndarray) -> np.ndarray:
        """tgt_ids: (N, L) int, memory: (N, S, d_model) -> logits (N, L, tgt_vocab)."""
        where = "Transformer.decode"
        check_shape(where, "tgt_ids", tgt_ids, (memory.shape[0], "T"))
        check_tokens(where, "tgt_ids", tgt_ids, self.tgt_vocab)
        y = self.pos.forward(self.tgt_embed.forward(tgt_ids) * np.sqrt(self.d_model))
        h = self.decoder.forward(
            y,
            memory,
            tgt_mask=causal_mask(tgt_ids.shape[1]),  # position t sees positions <= t only
            tgt_key_padding_mask=self._pad(tgt_ids) if self.mask_tgt_padding else None,
            memory_key_padding_mask=self._pad(src_ids),
        )
        return self.out.forward(h)

    def forward(self, src_ids: np.ndarray, tgt_ids: np.ndarray) -> np.ndarray:
        """Logits for every target position (teacher forcing).

        Parameters
        ----------
        src_ids : ndarray of int, shape (N, S)
        tgt_ids : ndarray of int, shape (N, L)
            The target shifted right (starting with ``<bos>``).

        Returns
        -------
        ndarray, shape (N, L, tgt_vocab)
        """
        return self.decode(tgt_ids, self.encode(src_ids), src_ids)

    def greedy_decode(
        self, src_ids: np.ndarray, bos_id: int, eos_id: int, max_len: int
    ) -> np.ndarray:
        r"""Generate autoregressively, always taking the most likely next token.

        The source is encoded once; each step re-runs the decoder on the prefix
        so far and appends the argmax of the last position's logits, until every
        sequence has produced ``eos_id`` or ``max_len`` tokens were generated.

        Parameters
        ----------
        src_ids : ndarray of int, shape (N, S)
        bos_id, eos_id : int
        max_len : int
            Most tokens to generate (not counting ``<bos>``).

        Returns
        -------
        ndarray of int, shape (N, 1 + n)
            ``<bos>`` then the generated tokens, $n \le$ ``max_len``; after a
            sequence's ``<eos>`` the rest of its row is ``pad_id`` (or ``eos_id``
            when there is no ``pad_id``).
        """
        if max_len > self.pos.max_len:
            raise ValueError(
                f"Transformer.greedy_decode: max_len {max_len} exceeds the model's "
                f"max_len {self.pos.max_len}"
            )
        memory = self.encode(src_ids)
        fill = eos_id if self.pad_id is None else self.pad_id
        ys = np.full((src_ids.shape[0], 1), bos_id)
        done = np.zeros(src_ids.shape[0], dtype=bool)
        for _ in range(max_len):
            next_id = self.decode(ys, memory, src_ids)[:, -1].argmax(axis=-1)
            next_id = np.where(done, fill, next_id)
            ys = np.concatenate([ys, next_id[:, None]], axis=1)
            done |= next_id == eos_id
            if done.all():
                break
        return ys

    def params(self) -> dict[str, np.ndarray]:
        """The parameter arrays, keyed by :class:`seqnotes.nn.Seq2SeqTransformer`'s names."""
        parts = {"src_embed": self.src_embed, "tgt_embed": self.tgt_embed}
        parts |= {"encoder": self.encoder, "decoder": self.decoder, "out": self.out}
        return {f"{n}.{k}": v for n, part in parts.items() for k, v in part.params().items()}

    @classmethod
    def from_torch(cls, module: Any) -> Transformer:
        """Copy a :class:`seqnotes.nn.Seq2SeqTransformer` (dropout 0), in float64.

        Its choices are taken over: ``<pad>`` = 0 masked in the source only
        (``pad_id=0, mask_tgt_padding=False``), no final LayerNorms, its
        ``norm_first`` and positional-encoding layout.

        Examples
        --------
        >>> import torch
        >>> from seqnotes import nn as snn
        >>> _ = torch.manual_seed(0)
        >>> net = snn.Seq2SeqTransformer(9, 9, d_model=8, nhead=2, dim_feedforward=16).double()
        >>> model = Transformer.from_torch(net)
        >>> src, tgt_in = np.array([[3, 4, 5, 0]]), np.array([[1, 6, 7]])
        >>> ref = net(torch.from_numpy(src), torch.from_numpy(tgt_in)).detach().numpy()
        >>> # 1e-7: .double() leaves net's positional table rounded to float32
        >>> print(bool(np.abs(model.forward(src, tgt_in) - ref).max() < 1e-7))
        True
        """
        where = "Transformer.from_torch"
        encoder = TransformerEncoder.from_torch(module.encoder)  # checks dropout 0 and ReLU
        decoder = TransformerDecoder.from_torch(module.decoder)
        if (encoder.norm is None) != (decoder.norm is None):
            raise ValueError(f"{where}: expected a final norm on both stacks or on neither")
        first = encoder.layers[0]
        model = cls(
            module.src_vocab,
            module.tgt_vocab,
            module.d_model,
            first.nhead,
            len(encoder.layers),
            len(decoder.layers),
            first.ff.linear1.out_features,
            module.pos.max_len,
            first.norm_first,
            pad_id=0,
            final_norm=encoder.norm is not None,
            mask_tgt_padding=False,
        )
        model.encoder, model.decoder = encoder, decoder
        model.pos = PositionalEncoding(module.d_model, module.pos.max_len, module.pos.layout)
        _load_torch(where, model.params(), module, {})
        return model


# --------------------------------------------------------------------------- ViT


def patchify(images: np.ndarray, patch_size: int) -> np.ndarray:
    r"""Cut images into non-overlapping $P \times P$ patches, each flattened to a vector.

    $$
    (N, C, H_\text{in}, W_\text{in}) \to (N, n_p, C P^2), \qquad
    n_p = \tfrac{H_\text{in}}{P}\cdot\tfrac{W_\text{in}}{P},
    $$

    patches in row-major order (left to right, then top to bottom), each
    flattened in (C, P, P) order, so that a ``Linear`` on the result equals a
    ``Conv2d`` with kernel size and stride $P$.

    Parameters
    ----------
    images : ndarray, shape (N, C, H_in, W_in)
    patch_size : int
        $P$; must divide $H_\text{in}$ and $W_\text{in}$.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> patches = patchify(x, 2)
    >>> print(patches.shape, patches[0, 1].tolist())
    (1, 4, 4) [2.0, 3.0, 6.0, 7.0]
    """
    where = "patchify"
    check_float(where, "images", images)
    N, C, H, W = check_shape(where, "images", images, ("N", "C", "H", "W")).values()
    if patch_size <= 0 or H % patch_size or W % patch_size:
        raise ValueError(f"{where}: expected patch_size dividing H={H} and W={W}, got {patch_size}")
    p = patch_size
    x = images.reshape(N, C, H // p, p, W // p, p)
    return x.transpose(0, 2, 4, 1, 3, 5).reshape(N, (H // p) * (W // p), C * p * p)


class ViT(Layer):
    r"""Vision Transformer: patches as tokens, a class token, the encoder only.

    $$
    X^{(0)} = \begin{bmatrix} x_\text{cls}^\top \\ (W_\text{patch}\, x_1 + b_\text{patch})^\top \\
    \vdots \\ (W_\text{patch}\, x_{n_p} + b_\text{patch})^\top \end{bmatrix} + E_\text{pos},
    \qquad
    \mathrm{logits} = W_\text{head} \operatorname{LayerNorm}\big(x_0^{(n_\text{layers})}\big)
      + b_\text{head}
    $$

    with $x_i$ the flattened patches (:func:`patchify`), $W_\text{patch}$,
    $b_\text{patch}$ the layer ``patch_embed``, $x_\text{cls}$ = ``cls_token``,
    $E_\text{pos}$ = ``pos_embed`` and $W_\text{head}$, $b_\text{head}$ the layer
    ``head``. $x_0^{(n_\text{layers})}$ is row 0, the class token's position, of
    the output of $n_\text{layers}$ pre-LN layers; the final LayerNorm belongs to
    ``encoder``.

    The class token is a learned vector with no image content; after the
    encoder it has attended to every patch, so its output summarises the image.

    Parameters
    ----------
    image_size : int
        $H_\text{in} = W_\text{in}$.
    patch_size, in_channels, num_classes : int
        $P$, $C$ and $n_\text{cls}$.
    d_model, nhead, num_layers, dim_feedforward : int
        $d_\text{model}$, $n_h$, $n_\text{layers}$ and $d_\text{ff}$.
    rng : numpy.random.Generator or int seed

    Examples
    --------
    >>> vit = ViT(image_size=8, patch_size=4, in_channels=3, num_classes=5,
    ...           d_model=16, nhead=2, num_layers=1, dim_feedforward=32, rng=0)
    >>> x = np.random.default_rng(1).normal(size=(2, 3, 8, 8))
    >>> print(vit.forward(x).shape, vit.pos_embed.shape)
    (2, 5) (1, 5, 16)
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
        rng: RNG = None,
    ) -> None:
        rng = as_rng(rng)
        if image_size % patch_size:
            raise ValueError(
                f"ViT: expected patch_size dividing image_size {image_size}, got {patch_size}"
            )
        self.image_size, self.patch_size, self.in_channels = image_size, patch_size, in_channels
        P = (image_size // patch_size) ** 2
        self.patch_embed = Linear(in_channels * patch_size**2, d_model, rng=rng)
        self.cls_token = 0.02 * rng.standard_normal((1, 1, d_model))
        self.pos_embed = 0.02 * rng.standard_normal((1, P + 1, d_model))  # learned, not sinusoidal
        self.encoder = TransformerEncoder(
            num_layers, d_model, nhead, dim_feedforward, norm_first=True, final_norm=True, rng=rng
        )
        self.head = Linear(d_model, num_classes, rng=rng)

    def forward(self, images: np.ndarray) -> np.ndarray:
        """images: (N, C, H_in, W_in) -> class logits (N, n_cls)."""
        where = "ViT.forward"
        s = self.image_size
        check_shape(where, "images", images, ("N", self.in_channels, s, s))
        tokens = self.patch_embed.forward(patchify(images, self.patch_size))  # (N, n_p, d_model)
        cls = np.broadcast_to(self.cls_token, (tokens.shape[0], 1, tokens.shape[2]))
        z = np.concatenate([cls, tokens], axis=1) + self.pos_embed
        return self.head.forward(self.encoder.forward(z)[:, 0])  # the class token's output

    def params(self) -> dict[str, np.ndarray]:
        """The parameter arrays, keyed by :class:`seqnotes.nn.ViT`'s names."""
        p = {"cls_token": self.cls_token, "pos_embed": self.pos_embed}
        parts = {"patch_embed": self.patch_embed, "encoder": self.encoder, "head": self.head}
        return p | {f"{n}.{k}": v for n, part in parts.items() for k, v in part.params().items()}

    @classmethod
    def from_torch(cls, module: Any) -> ViT:
        """Copy a :class:`seqnotes.nn.ViT` (dropout 0), in float64: the same function.

        Examples
        --------
        >>> import torch
        >>> from seqnotes import nn as snn
        >>> _ = torch.manual_seed(0)
        >>> net = snn.ViT(8, 4, 1, num_classes=3, d_model=8, nhead=2, num_layers=1).double()
        >>> vit = ViT.from_torch(net)
        >>> x = np.random.default_rng(0).normal(size=(2, 1, 8, 8))
        >>> ref = net(torch.from_numpy(x)).detach().numpy()
        >>> print(bool(np.abs(vit.forward(x) - ref).max() < 1e-12))
        True
        """
        encoder = TransformerEncoder.from_torch(module.encoder)  # checks dropout 0 and ReLU
        first = encoder.layers[0]
        vit = cls(
            module.image_size,
            module.patch_size,
            module.in_channels,
            module.head.out_features,
            first.d_model,
            first.nhead,
            len(encoder.layers),
            first.ff.linear1.out_features,
        )
        vit.encoder = encoder
        _load_torch("ViT.from_torch", vit.params(), module, {})
        return vit


# ------------------------------------------------------------------ decoder-only


class DecoderOnlyLM(Layer):
    r"""A GPT-style decoder-only language model (DALL-E's layout: text then image tokens).

    $$
    u_t = W_\text{head}\, \mathrm{LayerNorm}\big(x_t^{(n_\text{layers})}\big)
      \; (+\, b_\text{head}),
    \qquad p(x_{t+1} \mid x_1, \dots, x_t) = \mathrm{softmax}(u_t)
    $$

    where $X^{(n_\text{layers})}$ is the output of $n_\text{layers}$ pre-LN
    layers with the causal mask $B$, whose input $X^{(0)}$ has row $t$ equal to
    $E_{x_t}$ plus the learned position embedding of position $t$. $E$ is
    ``tok_embed.weight``, $W_\text{head}$ (and $b_\text{head}$ with
    ``head_bias``) the layer ``lm_head``; the final LayerNorm belongs to
    ``blocks``.

    "Decoder-only" means encoder-style layers (no cross-attention) with a causal
    mask. For text-to-image generation the vocabulary holds both kinds of token
    (e.g. text ids $0, \dots, \lvert\mathcal{V}_\text{txt}\rvert - 1$, then image
    ids up to $\lvert\mathcal{V}_\text{txt}\rvert + \lvert\mathcal{V}_\text{img}\rvert - 1$);
    the text is the prefix and the image tokens are generated after it with
    ``token_range`` = $(\lvert\mathcal{V}_\text{txt}\rvert,
    \lvert\mathcal{V}_\text{txt}\rvert + \lvert\mathcal{V}_\text{img}\rvert)$.

    Parameters
    ----------
    vocab_size, d_model, nhead, num_layers, dim_feedforward : int
        $\lvert\mathcal{V}\rvert$, $d_\text{model}$, $n_h$, $n_\text{layers}$ and $d_\text{ff}$.
    max_len : int
        Context length (size of the learned position table).
    rng : numpy.random.Generator or int seed
    head_bias : bool
        Give the output layer a bias (:class:`seqnotes.nn.DecoderOnlyTransformer`
        has one; GPT-2 has none).

    Examples
    --------
    >>> lm = DecoderOnlyLM(vocab_size=20, d_model=16, nhead=2, max_len=32, rng=0)
    >>> text = np.array([[1, 2, 3]])
    >>> out = lm.generate(text, n_new=4, rng=0, token_range=(10, 20))  # 4 "image" tokens
    >>> print(out.shape, out[0, :3].tolist(), bool((out[0, 3:] >= 10).all()))
    (1, 7) [1, 2, 3] True
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int = 32,
        nhead: int = 4,
        num_layers: int = 2,
        dim_feedforward: int = 64,
        max_len: int = 128,
        rng: RNG = None,
        head_bias: bool = False,
    ) -> None:
        rng = as_rng(rng)
        self.vocab_size, self.max_len = vocab_size, max_len
        self.tok_embed = _small_embedding(vocab_size, d_model, 0.02, rng)  # GPT-2's init
        self.pos_embed = 0.02 * rng.standard_normal((max_len, d_model))
        self.blocks = TransformerEncoder(
            num_layers, d_model, nhead, dim_feedforward, norm_first=True, final_norm=True, rng=rng
        )
        self.lm_head = Linear(d_model, vocab_size, bias=head_bias, rng=rng)

    def forward(self, ids: np.ndarray) -> np.ndarray:
        """Next-token logits at every position.

        Parameters
        ----------
        ids : ndarray of int, shape (N, T), T <= max_len

        Returns
        -------
        ndarray, shape (N, T, vocab_size)
            Row t (counting from 0) depends on ``ids[:, :t+1]`` only (causal mask).
        """
        where = "DecoderOnlyLM.forward"
        dims = check_shape(where, "ids", ids, ("N", "T"))
        check_tokens(where, "ids", ids, self.vocab_size)
        if dims["T"] > self.max_len:
            raise ValueError(f"{where}: sequence length {dims['T']} exceeds max_len {self.max_len}")
        x = self.tok_embed.forward(ids) + self.pos_embed[: dims["T"]]
        return self.lm_head.forward(self.blocks.forward(x, mask=causal_mask(dims["T"])))

    def generate(
        self,
        prefix_ids: np.ndarray,
        n_new: int,
        temperature: float = 1.0,
        rng: RNG = None,
        greedy: bool = False,
        token_range: tuple[int, int] | None = None,
    ) -> np.ndarray:
        r"""Extend ``prefix_ids`` by ``n_new`` tokens, one at a time.

        Each step samples from $\mathrm{softmax}(u_t / \kappa)$ of the last
        position's logits $u_t$, with the temperature $\kappa$ = ``temperature``
        (or takes the argmax when ``greedy``). A low temperature sharpens the
        distribution towards the argmax. Only
        the last ``max_len`` tokens are fed back (the context window).

        Parameters
        ----------
        prefix_ids : ndarray of int, shape (N, T0)
        n_new : int
        temperature : float > 0
        rng : numpy.random.Generator or int seed
        greedy : bool
        token_range : (lo, hi), optional
            Only ids in ``[lo, hi)`` may be generated (e.g. image tokens).

        Returns
        -------
        ndarray of int, shape (N, T0 + n_new)
        """
        where = "DecoderOnlyLM.generate"
        check_shape(where, "prefix_ids", prefix_ids, ("N", "T0"))
        if not greedy and temperature <= 0:
            raise ValueError(f"{where}: expected temperature > 0, got {temperature}")
        check_token_range(where, token_range, self.vocab_size)
        rng = as_rng(rng)
        blocked = np.zeros(self.vocab_size, dtype=bool)
        if token_range is not None:
            lo, hi = token_range
            blocked[:lo], blocked[hi:] = True, True
        ids = np.asarray(prefix_ids)
        for _ in range(n_new):
            z = self.forward(ids[:, -self.max_len :])[:, -1]  # (N, |V|)
            z = np.where(blocked, -np.inf, z)
            if greedy:
                next_id = z.argmax(axis=-1)
            else:
                probs = softmax(z / temperature, axis=-1)
                # Inverse-CDF sampling, one uniform draw per row: the first id whose
                # cumulative probability exceeds u (never a zero-probability id).
                cdf = probs.cumsum(axis=-1)
                u = rng.random((ids.shape[0], 1)) * cdf[:, -1:]
                next_id = (cdf <= u).sum(axis=-1)
            ids = np.concatenate([ids, next_id[:, None]], axis=1)
        return ids

    def params(self) -> dict[str, np.ndarray]:
        """The parameter arrays, keyed by :class:`seqnotes.nn.DecoderOnlyTransformer`'s names.

        (There ``lm_head`` is ``head`` and ``pos_embed`` has a leading axis of 1.)
        """
        parts = {"tok_embed": self.tok_embed, "blocks": self.blocks, "lm_head": self.lm_head}
        p = {f"{n}.{k}": v for n, part in parts.items() for k, v in part.params().items()}
        return p | {"pos_embed": self.pos_embed}

    @classmethod
    def from_torch(cls, module: Any) -> DecoderOnlyLM:
        """Copy a :class:`seqnotes.nn.DecoderOnlyTransformer` (dropout 0), in float64.

        The copy has ``head_bias=True``, like the nn model; otherwise the two agree as built.

        Examples
        --------
        >>> import torch
        >>> from seqnotes import nn as snn
        >>> _ = torch.manual_seed(0)
        >>> net = snn.DecoderOnlyTransformer(10, d_model=8, nhead=2, num_layers=1).double()
        >>> lm = DecoderOnlyLM.from_torch(net)
        >>> ids = np.array([[1, 5, 6, 2]])
        >>> ref = net(torch.from_numpy(ids)).detach().numpy()
        >>> print(bool(np.abs(lm.forward(ids) - ref).max() < 1e-12))
        True
        """
        blocks = TransformerEncoder.from_torch(module.blocks)  # checks dropout 0 and ReLU
        first = blocks.layers[0]
        lm = cls(
            module.vocab_size,
            first.d_model,
            first.nhead,
            len(blocks.layers),
            first.ff.linear1.out_features,
            module.max_len,
            head_bias=module.head.bias is not None,
        )
        lm.blocks = blocks
        lm.pos_embed = lm.pos_embed[None]  # (1, max_len, d_model), as stored in torch
        _load_torch("DecoderOnlyLM.from_torch", lm.params(), module, {"lm_head": "head"})
        lm.pos_embed = lm.pos_embed[0]
        return lm
