r"""Small recurrent models for the demos, built on :mod:`seqnotes.nn.recurrent`.

The recurrent layers are this package's own :class:`~seqnotes.nn.RNN`,
:class:`~seqnotes.nn.LSTM` and :class:`~seqnotes.nn.GRU` (never the ones in
``torch.nn``), so the equations read in the notes are exactly the ones trained
here. ``nn.Linear`` / ``nn.Embedding`` / ``nn.Conv2d`` come from torch.

Shapes: N batch, T/S/L lengths (S source, L target), D input features, H hidden,
|V| vocabulary size, n_p cells of a feature grid, F features per cell.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqnotes._checks import check_shape
from seqnotes.nn._checks import check_ids, check_input
from seqnotes.nn.recurrent import GRU, LSTM, RNN

__all__ = [
    "CELLS",
    "check_ids",
    "SequenceRegressor",
    "CharLM",
    "AdditiveAttention",
    "RNNDecoder",
    "Seq2Seq",
    "TinyCNN",
    "Captioner",
]

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
"""The recurrent layers a model can be built with, by name."""

Device = torch.device | str | None


def _cell(where: str, cell: str) -> type[nn.Module]:
    if cell not in CELLS:
        raise ValueError(f"{where}: expected cell in {sorted(CELLS)}, got {cell!r}")
    return CELLS[cell]


class SequenceRegressor(nn.Module):
    r"""Many-to-one regression: run a recurrent layer, read out the last hidden state.

    $$\hat y = W_{hy} h_T + b_y$$

    Used for the adding problem, where $h_T$ must still remember two values
    seen up to $T$ steps earlier.

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    cell : {"rnn", "lstm", "gru"}
        ``"rnn"`` is the vanilla tanh RNN. An LSTM starts with the forget block of
        ``bias_ih_l0`` set to 1, so its forget-gate bias $b_f$ is about 1 (Gers et
        al., 2000): it remembers by default until it learns to forget.
    output_size : int
        $D_\text{out}$.
    device : torch device, optional

    Shapes
    ------
    ``forward(x)``: x ``(N, T, D)`` float → ``(N, D_out)``.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> model = SequenceRegressor(2, 8, cell="gru")
    >>> tuple(model(torch.zeros(4, 10, 2)).shape)
    (4, 1)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        cell: str = "lstm",
        output_size: int = 1,
        device: Device = None,
    ) -> None:
        super().__init__()
        self.rnn = _cell("SequenceRegressor", cell)(
            input_size, hidden_size, batch_first=True, device=device
        )
        if cell == "lstm":  # gate order i, f, g, o: the second block is the forget gate
            with torch.no_grad():
                self.rnn.bias_ih_l0[hidden_size : 2 * hidden_size].fill_(1.0)
        self.out = nn.Linear(hidden_size, output_size, device=device)

    def forward(self, x: Tensor) -> Tensor:
        where = "SequenceRegressor.forward"
        check_input(where, "x", x, self.out.weight)
        check_shape(where, "x", x, ("N", "T", self.rnn.input_size))
        output, _ = self.rnn(x)  # (N, T, H)
        return self.out(output[:, -1])  # only h_T is read out


class CharLM(nn.Module):
    r"""Character-level language model: predict the next character at every step.

    $$h_t = \mathrm{cell}(E_{x_t}, h_{t-1}), \qquad u_t = W_{hy} h_t + b_y, \qquad
    p(x_{t+1} \mid x_1, \dots, x_t) = \operatorname{softmax}(u_t)$$

    $E$ is ``embed.weight`` and $W_{hy}$, $b_y$ are the layer ``out``.

    Parameters
    ----------
    vocab_size : int
        $\lvert\mathcal{V}\rvert$.
    hidden_size : int
        H.
    cell : {"rnn", "lstm", "gru"}
    embed_dim : int, optional
        The size D of $E_x$. ``None`` feeds one-hot vectors of size
        $\lvert\mathcal{V}\rvert$ (so $D = \lvert\mathcal{V}\rvert$), as in the
        lecture's ``[h, e, l, o]`` example; an int uses a learned ``nn.Embedding``.
    device : torch device, optional

    Shapes
    ------
    ``forward(ids, state=None) -> (logits, state)``: ids ``(N, T)`` int64,
    logits ``(N, T, |V|)``; ``state`` is the recurrent layer's ``h_n``
    (``(h_n, c_n)`` for an LSTM).

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> lm = CharLM(8, 16, cell="lstm")
    >>> logits, state = lm(torch.tensor([[4, 5, 6, 6]]))
    >>> tuple(logits.shape)
    (1, 4, 8)
    >>> len(lm.sample([4], length=5, generator=torch.Generator().manual_seed(0)))
    6
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        cell: str = "lstm",
        embed_dim: int | None = None,
        device: Device = None,
    ) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.embed = (
            None if embed_dim is None else nn.Embedding(vocab_size, embed_dim, device=device)
        )
        D = vocab_size if embed_dim is None else embed_dim
        self.rnn = _cell("CharLM", cell)(D, hidden_size, batch_first=True, device=device)
        self.out = nn.Linear(hidden_size, vocab_size, device=device)

    def forward(self, ids: Tensor, state: Tensor | tuple | None = None) -> tuple[Tensor, object]:
        check_ids("CharLM.forward", "ids", ids, self.vocab_size, self.out.weight)
        check_shape("CharLM.forward", "ids", ids, ("N", "T"))
        if self.embed is None:
            x = F.one_hot(ids, self.vocab_size).to(self.out.weight.dtype)  # (N, T, |V|)
        else:
            x = self.embed(ids)  # (N, T, D)
        output, state = self.rnn(x, state)
        return self.out(output), state

    @torch.no_grad()
    def sample(
        self,
        start: Sequence[int],
        length: int,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> list[int]:
        r"""Generate ``length`` ids after ``start``, feeding each sample back in.

        $$x_{t+1} \sim \operatorname{softmax}(u_t / \kappa)$$

        with the temperature $\kappa$ = ``temperature`` (other texts write $\tau$
        or $T$). $\kappa < 1$ sharpens the distribution; ``temperature=0``
        always takes the most likely character (greedy). Returns ``start`` plus
        the new ids, as a list.
        """
        if temperature < 0:
            raise ValueError(f"CharLM.sample: expected temperature >= 0, got {temperature}")
        ids = list(start)
        dev = self.out.weight.device
        logits, state = self(torch.tensor([ids], device=dev))  # read the whole prefix once
        for _ in range(length):
            z = logits[0, -1]
            if temperature == 0:
                nxt = int(z.argmax())
            else:
                p = torch.softmax(z / temperature, dim=-1)
                nxt = int(torch.multinomial(p.cpu(), 1, generator=generator))
            ids.append(nxt)
            logits, state = self(torch.tensor([[nxt]], device=dev), state)
        return ids


class AdditiveAttention(nn.Module):
    r"""Additive (Bahdanau) attention of one query over a set of keys.

    $$e_{tj} = w_a^\top \tanh(W_s s_{t-1} + W_m m_j + b_a), \qquad
    \alpha_{tj} = \operatorname{softmax}_j(e_{tj}), \qquad
    \mathrm{ctx}_t = \sum_j \alpha_{tj} m_j$$

    The query is the decoder state $s_{t-1}$, the keys (which are also the
    values) are the rows $m_j$ of the memory $M$: encoder states $h_j$ or image
    features. $W_s$, $W_m$ and $w_a$ are the layers ``W_q``, ``W_k`` and ``v``;
    the bias $b_a$ is held by ``W_k``. Bahdanau et al. (2015) write their score
    as $w_a^\top \tanh(W_s s_{t-1} + W_m m_j)$, leaving bias terms out of all their
    equations; with $b_a = 0$ the two coincide.

    Parameters
    ----------
    query_size : int
        Size of $s_{t-1}$ (the decoder state), $H_\text{dec}$.
    key_size : int
        Size $F$ of each $m_j$ (encoder state or image feature); also the size
        of $\mathrm{ctx}_t$.
    attn_size : int
        $d_a$, the size of the hidden layer inside the score.

    Shapes
    ------
    ``forward(query, keys, mask=None, keys_proj=None) -> (context, weights)``:
    query ``(N, H_dec)``, keys ``(N, S, F)``, mask ``(N, S)`` bool (True =
    ignore), keys_proj ``(N, S, d_a)`` = :meth:`project_keys` (pass it to avoid
    recomputing $W_m m_j + b_a$ at every decoder step); context ``(N, F)``,
    weights ``(N, S)``.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> att = AdditiveAttention(4, 6, 5)
    >>> c, a = att(torch.randn(2, 4), torch.randn(2, 3, 6))
    >>> tuple(c.shape), tuple(a.shape), bool(torch.allclose(a.sum(-1), torch.ones(2)))
    ((2, 6), (2, 3), True)
    """

    def __init__(self, query_size: int, key_size: int, attn_size: int, device: Device = None):
        super().__init__()
        self.W_q = nn.Linear(query_size, attn_size, bias=False, device=device)
        self.W_k = nn.Linear(key_size, attn_size, device=device)
        self.v = nn.Linear(attn_size, 1, bias=False, device=device)

    def project_keys(self, keys: Tensor) -> Tensor:
        """$W_m m_j + b_a$ for every key: ``(N, S, F) -> (N, S, d_a)``."""
        return self.W_k(keys)

    def forward(
        self,
        query: Tensor,
        keys: Tensor,
        mask: Tensor | None = None,
        keys_proj: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        keys_proj = self.project_keys(keys) if keys_proj is None else keys_proj
        scores = self.v(torch.tanh(self.W_q(query).unsqueeze(1) + keys_proj)).squeeze(-1)  # (N, S)
        if mask is not None:
            scores = scores.masked_fill(mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        context = (weights.unsqueeze(-1) * keys).sum(dim=1)  # weighted sum of the keys
        return context, weights


class RNNDecoder(nn.Module):
    r"""A GRU decoder (one-to-many), optionally attending over a memory at every step.

    Without attention the decoder sees the source (or the image) only through
    its initial state $s_0$, and $s_t = \mathrm{GRU}(E_{y_{t-1}}, s_{t-1})$,
    $u_t = W_\text{head}\, s_t + b_\text{head}$. With attention (Bahdanau et al.,
    2015) every step looks at all rows $m_j$ of the memory $M$ again:

    $$\mathrm{ctx}_t = \mathrm{Attn}(s_{t-1}, M), \quad
    s_t = \mathrm{GRU}([E_{y_{t-1}}; \mathrm{ctx}_t], s_{t-1}), \quad
    u_t = W_\text{head} [s_t; \mathrm{ctx}_t] + b_\text{head}$$

    and $p(y_t \mid y_0, \dots, y_{t-1}) = \operatorname{softmax}(u_t)$, with
    $\mathrm{Attn}$ the :class:`AdditiveAttention` ``attn`` ($d_a = H$) and
    $W_\text{head}$, $b_\text{head}$ the layer ``out``. Shared by
    :class:`Seq2Seq` (memory = encoder states) and :class:`Captioner`
    (memory = a grid of image features).

    Parameters
    ----------
    vocab_size : int
        $\lvert\mathcal{V}\rvert$ (output tokens).
    embed_dim : int
        Size of the token embeddings $E_y$.
    hidden_size : int
        H.
    memory_size : int
        $F$, features per memory row (ignored without attention).
    attention : bool
    device : torch device, optional
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int,
        hidden_size: int,
        memory_size: int,
        attention: bool,
        device: Device = None,
    ) -> None:
        super().__init__()
        self.vocab_size, self.use_attention = vocab_size, attention
        K = memory_size if attention else 0  # context size fed to the GRU and the output
        self.embed = nn.Embedding(vocab_size, embed_dim, device=device)
        self.gru = GRU(embed_dim + K, hidden_size, batch_first=True, device=device)
        self.attn = AdditiveAttention(hidden_size, K, hidden_size, device) if attention else None
        self.out = nn.Linear(hidden_size + K, vocab_size, device=device)

    def forward(
        self,
        y_in: Tensor,
        s0: Tensor,
        memory: Tensor | None = None,
        mask: Tensor | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """Teacher forcing: ``y_in (N, L)`` holds the previous true tokens.

        Returns logits ``(N, L, |V|)`` and attention weights ``(N, L, S)`` (or None).
        """
        emb = self.embed(y_in)  # (N, L, embed_dim)
        if self.attn is None:  # no attention: one call runs the whole sequence
            output, _ = self.gru(emb, s0.unsqueeze(0))
            return self.out(output), None
        keys_proj = self.attn.project_keys(memory)  # computed once, reused at every step
        s, logits, weights = s0, [], []
        for t in range(y_in.shape[1]):
            z, s, a = self._attend_step(emb[:, t], s, memory, mask, keys_proj)
            logits.append(z)
            weights.append(a)
        return torch.stack(logits, 1), torch.stack(weights, 1)

    def _attend_step(self, e_t, s_prev, memory, mask, keys_proj):
        c, a = self.attn(s_prev, memory, mask, keys_proj)  # look again at all of the memory
        _, s = self.gru(torch.cat([e_t, c], -1).unsqueeze(1), s_prev.unsqueeze(0))
        s = s[0]
        return self.out(torch.cat([s, c], -1)), s, a

    @torch.no_grad()
    def greedy(
        self,
        s0: Tensor,
        memory: Tensor | None,
        mask: Tensor | None,
        bos: int,
        eos: int,
        max_len: int,
    ) -> tuple[Tensor, Tensor | None]:
        """Feed back the most likely token until every row has produced ``eos``.

        Returns tokens ``(N, T_out)`` (no ``bos``; ``<pad>`` = 0 after ``eos``) and
        weights ``(N, T_out, S)`` (zeros after ``eos``) or None.
        """
        N = s0.shape[0]
        y = torch.full((N,), bos, dtype=torch.long, device=s0.device)
        done = torch.zeros(N, dtype=torch.bool, device=s0.device)
        keys_proj = None if self.attn is None else self.attn.project_keys(memory)
        s, tokens, weights = s0, [], []
        for _ in range(max_len):
            e = self.embed(y)
            if self.attn is None:
                _, h = self.gru(e.unsqueeze(1), s.unsqueeze(0))
                s, a = h[0], None
                z = self.out(s)
            else:
                z, s, a = self._attend_step(e, s, memory, mask, keys_proj)
                weights.append(a.masked_fill(done.unsqueeze(1), 0.0))
            y = z.argmax(-1).masked_fill(done, 0)
            tokens.append(y)
            done = done | (y == eos)
            if bool(done.all()):
                break
        return torch.stack(tokens, 1), (torch.stack(weights, 1) if weights else None)


class Seq2Seq(nn.Module):
    r"""GRU encoder–decoder for translation-like tasks, with optional additive attention.

    The encoder reads the source; its last state initialises the decoder
    ($s_0 = h_S$). Without attention $h_S$ is the *only* path from source to
    target — a fixed-size bottleneck; with attention the decoder also looks at
    all encoder states $h_1..h_S$ at every step (see :class:`RNNDecoder`).

    Parameters
    ----------
    src_vocab, tgt_vocab : int
        Source / target vocabulary sizes.
    hidden : int
        H (also the embedding size).
    attention : bool
    device : torch device, optional

    Shapes
    ------
    ``forward(src, tgt_in) -> logits``: src ``(N, S)``, tgt_in ``(N, L)``
    (teacher forcing: ``<bos> y_1 .. y_{L-1}``), logits ``(N, L, tgt_vocab)``.
    ``<pad>`` = 0 in src is masked out of the attention.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> model = Seq2Seq(14, 14, hidden=16, attention=True)
    >>> src = torch.randint(4, 14, (2, 7))
    >>> tuple(model(src, torch.ones(2, 5, dtype=torch.long)).shape)
    (2, 5, 14)
    >>> tokens, A = model.greedy_decode(src, bos=1, eos=2, max_len=9)
    >>> tokens.shape[0], tuple(A.shape[::2])
    (2, (2, 7))
    """

    def __init__(
        self, src_vocab: int, tgt_vocab: int, hidden: int, attention: bool, device: Device = None
    ) -> None:
        super().__init__()
        self.src_vocab, self.tgt_vocab = src_vocab, tgt_vocab
        self.src_embed = nn.Embedding(src_vocab, hidden, device=device)
        self.encoder = GRU(hidden, hidden, batch_first=True, device=device)
        self.decoder = RNNDecoder(tgt_vocab, hidden, hidden, hidden, attention, device)

    def encode(self, src: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Encoder states ``(N, S, H)``, last state ``(N, H)`` and padding mask ``(N, S)``."""
        where = f"{type(self).__name__}.forward"
        check_ids(where, "src", src, self.src_vocab, self.src_embed.weight)
        check_shape(where, "src", src, ("N", "S"))
        states, h_S = self.encoder(self.src_embed(src))
        return states, h_S[0], src == 0

    def forward(self, src: Tensor, tgt_in: Tensor) -> Tensor:
        check_ids("Seq2Seq.forward", "tgt_in", tgt_in, self.tgt_vocab, self.src_embed.weight)
        states, h_S, mask = self.encode(src)
        return self.decoder(tgt_in, h_S, states, mask)[0]

    def greedy_decode(
        self, src: Tensor, bos: int, eos: int, max_len: int
    ) -> tuple[Tensor, Tensor | None]:
        """Decode greedily: tokens ``(N, T_out)`` and attention weights ``(N, T_out, S)``.

        ``T_out <= max_len`` (it stops once every row has emitted ``eos``);
        the weights are None for a model without attention.
        """
        states, h_S, mask = self.encode(src)
        return self.decoder.greedy(h_S, states, mask, bos, eos, max_len)


class TinyCNN(nn.Module):
    r"""A two-block CNN that turns a small image into a grid of feature vectors.

    ``conv3×3 → ReLU → maxpool2`` twice, so a 12×12 image becomes a 3×3 grid:
    n_p = 9 cells with F features each. A captioner attends over these
    cells (or averages them).

    Shapes
    ------
    ``forward(images)``: ``(N, C, H_in, W_in)`` float → ``(N, n_p, F)``,
    n_p = (H_in//4)·(W_in//4).

    Examples
    --------
    >>> tuple(TinyCNN(1, 16)(torch.zeros(2, 1, 12, 12)).shape)
    (2, 9, 16)
    """

    def __init__(self, in_channels: int, feature_dim: int, device: Device = None) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, feature_dim, 3, padding=1, device=device),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(feature_dim, feature_dim, 3, padding=1, device=device),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )

    def forward(self, images: Tensor) -> Tensor:
        check_input("TinyCNN.forward", "images", images, self.net[0].weight)
        check_shape("TinyCNN.forward", "images", images, ("N", self.net[0].in_channels, "H", "W"))
        return self.net(images).flatten(2).transpose(1, 2)  # (N, F, h, w) -> (N, n_p, F)


class Captioner(nn.Module):
    r"""Image captioning: image features → a sentence, one word at a time.

    Plain (Karpathy-style): the features only initialise the decoder,
    $s_0 = \tanh\big(W_\text{init} \frac{1}{n_p}\sum_j m_j + b_\text{init}\big)$ with
    $m_1, \dots, m_{n_p}$ the rows of the feature grid $M$ (a single row $\mathrm{CNN}(I)$
    for a flat feature vector) and $W_\text{init}$, $b_\text{init}$ the layer
    ``init``. With attention (Show, Attend and Tell): also, at every word, the
    decoder attends over the $n_p$ grid cells (see :class:`RNNDecoder`).

    Parameters
    ----------
    feature_dim : int
        F.
    vocab_size : int
        $\lvert\mathcal{V}\rvert$ (captions use ``<start>`` = ``<bos>`` = 1,
        ``<end>`` = ``<eos>`` = 2).
    hidden : int
        H (also the word-embedding size).
    attention : bool
    device : torch device, optional

    Shapes
    ------
    ``forward(features, captions_in) -> logits``: features ``(N, n_p, F)`` (or
    ``(N, F)``, read as n_p = 1), captions_in ``(N, T)``, logits ``(N, T, |V|)``.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> cap = Captioner(16, 12, hidden=16, attention=True)
    >>> feats = torch.randn(2, 9, 16)
    >>> tuple(cap(feats, torch.ones(2, 4, dtype=torch.long)).shape)
    (2, 4, 12)
    >>> tokens, A = cap.greedy_decode(feats, bos=1, eos=2, max_len=5)
    >>> tokens.shape[0], A.shape[0], A.shape[2]
    (2, 2, 9)
    """

    def __init__(
        self, feature_dim: int, vocab_size: int, hidden: int, attention: bool, device: Device = None
    ) -> None:
        super().__init__()
        self.feature_dim, self.vocab_size = feature_dim, vocab_size
        self.init = nn.Linear(feature_dim, hidden, device=device)
        self.decoder = RNNDecoder(vocab_size, hidden, hidden, feature_dim, attention, device)

    def _start(self, features: Tensor) -> tuple[Tensor, Tensor]:
        where = f"{type(self).__name__}.forward"
        check_input(where, "features", features, self.init.weight)
        if features.ndim == 2:
            features = features.unsqueeze(1)
        check_shape(where, "features", features, ("N", "P", self.feature_dim))
        return torch.tanh(self.init(features.mean(dim=1))), features

    def forward(self, features: Tensor, captions_in: Tensor) -> Tensor:
        check_ids(
            "Captioner.forward", "captions_in", captions_in, self.vocab_size, self.init.weight
        )
        s0, grid = self._start(features)
        return self.decoder(captions_in, s0, grid)[0]

    def greedy_decode(
        self, features: Tensor, bos: int, eos: int, max_len: int
    ) -> tuple[Tensor, Tensor | None]:
        """Caption greedily: tokens ``(N, T_out)``, weights ``(N, T_out, n_p)`` (None if plain)."""
        s0, grid = self._start(features)
        return self.decoder.greedy(s0, grid, None, bos, eos, max_len)
