r"""Models built from recurrent layers (S5): char-level LM, seq2seq, image captioner.

The character LM has a full backward pass and trains with :mod:`.optim`. The
seq2seq model and the captioner are forward-only here (they are trained in
PyTorch, :mod:`seqnotes.nn`); they share one :class:`Decoder` that can attend
(additive attention) over a memory: the encoder states or a grid of image
features.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqnotes._checks import check_float, check_shape, check_tokens
from seqnotes.scratch.attention import AdditiveAttention
from seqnotes.scratch.functional import cross_entropy, softmax
from seqnotes.scratch.layers import RNG, Embedding, Linear, as_rng
from seqnotes.scratch.recurrent import GRU, LSTM, RNN, Recurrent

__all__ = ["make_recurrent", "CharRNNLM", "Decoder", "Seq2Seq", "Captioner"]

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


def make_recurrent(cell: str, input_size: int, hidden_size: int, rng: RNG = None) -> Recurrent:
    """One-layer ``RNN``/``LSTM``/``GRU`` by name (``"rnn"``, ``"lstm"``, ``"gru"``)."""
    if cell not in CELLS:
        raise ValueError(f"expected cell in {sorted(CELLS)}, got {cell!r}")
    return CELLS[cell](input_size, hidden_size, rng=rng)


def _prefixed(**parts: Any) -> dict[str, np.ndarray]:
    return {f"{name}.{k}": v for name, part in parts.items() for k, v in part.params().items()}


def _load_torch(
    where: str, params: dict[str, np.ndarray], module: Any, rename: dict[str, str]
) -> None:
    """Copy ``module.state_dict()`` into ``params`` (the arrays themselves), in float64.

    A name of ours becomes torch's by renaming each dotted part through ``rename``
    (``"head"`` → ``"out"``, ...). Both sides must hold exactly the same names and
    shapes, so a parameter left behind (an architecture mismatch) is an error.
    """
    state = module.state_dict()
    ours = {".".join(rename.get(p, p) for p in k.split(".")): v for k, v in params.items()}
    if set(ours) != set(state):
        raise ValueError(
            f"{where}: parameters differ; only in torch: {sorted(set(state) - set(ours))}, "
            f"only here: {sorted(set(ours) - set(state))}"
        )
    for name, arr in ours.items():
        value = state[name].detach().cpu().double().numpy()
        if value.shape != arr.shape:
            raise ValueError(f"{where}: {name} has shape {value.shape}, expected {arr.shape}")
        arr[...] = value


def _cell_name(where: str, rnn: Any) -> str:
    """``"rnn"``/``"lstm"``/``"gru"`` of a one-layer ``seqnotes.nn`` (or torch) recurrent layer."""
    name = type(rnn).__name__.lower()
    if name not in CELLS or getattr(rnn, "num_layers", 1) != 1:
        raise ValueError(f"{where}: expected a one-layer RNN/LSTM/GRU, got {rnn!r}")
    return name


def _top_h(state: Any) -> np.ndarray:
    """h of the last layer, (N, H), from a state (n_layers, N, H) or (h, c)."""
    return (state[0] if isinstance(state, tuple) else state)[-1]


class CharRNNLM:
    r"""Character-level language model: embedding → RNN/LSTM/GRU → Linear to the vocabulary.

    $$
    h_t = \mathrm{RNN}(E_{x_t}, h_{t-1}), \qquad u_t = W_{hy} h_t + b_y, \qquad
    p(x_{t+1} \mid x_1, \dots, x_t) = \mathrm{softmax}(u_t)
    $$

    trained with the cross-entropy of the next character at every step;
    $E$ is ``embedding.weight`` and $W_{hy}$, $b_y$ are ``head``.
    With ``embedding_dim=None`` the input is one-hot ($E_{x_t}$ = the one-hot
    vector of $x_t$, of size $\lvert\mathcal{V}\rvert$).

    Examples
    --------
    >>> from seqnotes.scratch.optim import Adam
    >>> ids = np.array([[0, 1, 2, 2, 3]])  # "hello" with h, e, l, o = 0, 1, 2, 3
    >>> lm = CharRNNLM(vocab_size=4, hidden_size=16, rng=0)
    >>> opt = Adam(lm.params(), lr=0.05)
    >>> for step in range(100):
    ...     loss = lm.loss(ids)
    ...     opt.step(lm.backward())
    >>> print(loss < 0.01, lm.sample([0], 4, temperature=0))
    True [0, 1, 2, 2, 3]
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        embedding_dim: int | None = 8,
        cell: str = "rnn",
        rng: RNG = None,
    ):
        rng = as_rng(rng)
        self.vocab_size = vocab_size
        self.embedding = Embedding(vocab_size, embedding_dim, rng=rng) if embedding_dim else None
        self.rnn = make_recurrent(cell, embedding_dim or vocab_size, hidden_size, rng=rng)
        self.head = Linear(hidden_size, vocab_size, rng=rng)
        self._cache: Any = None

    def params(self) -> dict[str, np.ndarray]:
        parts = {"rnn": self.rnn, "head": self.head}
        return _prefixed(**({"embedding": self.embedding} if self.embedding else {}), **parts)

    def _embed(self, ids: np.ndarray) -> np.ndarray:
        if self.embedding is None:
            return np.eye(self.vocab_size)[ids]  # one-hot
        return self.embedding(ids)

    def forward(self, ids: np.ndarray, state: Any = None) -> tuple[np.ndarray, Any]:
        """ids: int (N, T) → logits (N, T, |V|) and the recurrent state."""
        check_shape("CharRNNLM.forward", "ids", ids, ("N", "T"))
        check_tokens("CharRNNLM.forward", "ids", ids, self.vocab_size)
        out, state = self.rnn(self._embed(ids), state)
        return self.head(out), state

    def loss(self, ids: np.ndarray) -> float:
        """Mean next-character cross-entropy of ids (N, T) (or (T,)): inputs ``ids[:, :-1]``."""
        ids = np.atleast_2d(ids)
        check_tokens("CharRNNLM.loss", "ids", ids, self.vocab_size)
        logits, _ = self.forward(ids[:, :-1])
        loss, d_logits = cross_entropy(logits, ids[:, 1:])
        self._cache = d_logits
        return loss

    def backward(self) -> dict[str, np.ndarray]:
        """Gradients of the last :meth:`loss`, keyed like :meth:`params`."""
        if self._cache is None:
            raise RuntimeError("CharRNNLM.backward: call loss before backward")
        g_head = self.head.backward(self._cache)
        g_rnn = self.rnn.backward(g_head["x"])
        grads = {f"head.{k}": v for k, v in g_head.items() if k != "x"}
        grads.update({f"rnn.{k}": g_rnn[k] for k in self.rnn.params()})
        if self.embedding is not None:
            grads["embedding.weight"] = self.embedding.backward(g_rnn["x"])["weight"]
        return grads

    def sample(
        self,
        start_ids: list[int] | np.ndarray,
        length: int,
        temperature: float = 1.0,
        rng: RNG = None,
    ) -> list[int]:
        r"""Generate ``length`` more ids after ``start_ids``, feeding each sample back in.

        Draws from $\mathrm{softmax}(u_t / \kappa)$ with the temperature
        $\kappa$ = ``temperature`` (other texts write $\tau$ or $T$): $\kappa < 1$
        sharpens, $\kappa > 1$ flattens; ``temperature=0`` (or below) takes the
        argmax (greedy).
        """
        rng = as_rng(rng)
        ids = [int(i) for i in start_ids]
        logits, state = self.forward(np.array([ids]))
        for _ in range(length):
            z = logits[0, -1]
            if temperature <= 0:
                nxt = int(np.argmax(z))
            else:
                nxt = int(rng.choice(self.vocab_size, p=softmax(z / temperature)))
            ids.append(nxt)
            logits, state = self.forward(np.array([[nxt]]), state)
        return ids

    @classmethod
    def from_torch(cls, module: Any) -> CharRNNLM:
        """Copy a :class:`seqnotes.nn.CharLM`: the same function, weights in float64.

        ``embed``/``rnn``/``out`` there are ``embedding``/``rnn``/``head`` here.

        Examples
        --------
        >>> import torch
        >>> from seqnotes.nn import CharLM
        >>> _ = torch.manual_seed(0)
        >>> net = CharLM(5, 8, cell="gru", embed_dim=4).double()
        >>> lm = CharRNNLM.from_torch(net)
        >>> ids = np.array([[1, 2, 3, 4]])
        >>> ref = net(torch.from_numpy(ids))[0].detach().numpy()
        >>> print(bool(np.abs(lm.forward(ids)[0] - ref).max() < 1e-12))
        True
        """
        where = "CharRNNLM.from_torch"
        cell = _cell_name(where, module.rnn)
        embed_dim = None if module.embed is None else module.embed.embedding_dim
        lm = cls(module.vocab_size, module.rnn.hidden_size, embed_dim, cell)
        if cell == "rnn":
            lm.rnn.nonlinearity = getattr(module.rnn, "nonlinearity", "tanh")
        _load_torch(where, lm.params(), module, {"embedding": "embed", "head": "out"})
        return lm


class Decoder:
    r"""Recurrent decoder with optional additive attention over a memory $M$ (N, S, F).

    The decoder state is $s_t$; the input at step $t$ is the previous token
    $y_{t-1}$ ($y_0$ = ``<bos>``). Without attention
    $s_t = \mathrm{RNN}(E_{y_{t-1}}, s_{t-1})$. With attention the previous state
    queries the rows $m_j$ of the memory first,

    $$
    e_{tj} = w_a^\top \tanh(W_s s_{t-1} + W_m m_j), \qquad
    \alpha_{tj} = \mathrm{softmax}_j(e_{tj}), \qquad
    \mathrm{ctx}_t = \sum_j \alpha_{tj} m_j,
    $$

    and the RNN reads $[E_{y_{t-1}}; \mathrm{ctx}_t]$. The logits are
    $u_t = W_\text{head}\, s_t + b_\text{head}$ (``head``). $W_s$, $W_m$ and $w_a$
    are ``attention.W_s``, ``attention.W_h`` and ``attention.v``, with
    $d_a = H$ (see :class:`~seqnotes.scratch.AdditiveAttention`).

    Parameters
    ----------
    vocab_size, embedding_dim, hidden_size : int
    memory_dim : int or None
        $F$, the size of each memory row; ``None`` = no attention.
    cell : "rnn", "lstm" or "gru"
    attention_bias : bool
        Give the score one bias, $w_a^\top \tanh(W_s s_{t-1} + W_m m_j + b_a)$, held
        by ``W_h``, as :class:`seqnotes.nn.RNNDecoder` does (Bahdanau et al.
        write their score without bias terms).
    output_context : bool
        With attention, read the logits from $[s_t; \mathrm{ctx}_t]$,
        $u_t = W_\text{head} [s_t; \mathrm{ctx}_t] + b_\text{head}$, as
        :class:`seqnotes.nn.RNNDecoder` does (default: from $s_t$ alone).
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        hidden_size: int,
        memory_dim: int | None = None,
        cell: str = "gru",
        rng: RNG = None,
        attention_bias: bool = False,
        output_context: bool = False,
    ):
        rng = as_rng(rng)
        self.vocab_size, self.hidden_size = vocab_size, hidden_size
        self.embedding = Embedding(vocab_size, embedding_dim, rng=rng)
        self.attention = None
        if memory_dim:
            att = AdditiveAttention(hidden_size, memory_dim, hidden_size, attention_bias, rng=rng)
            if attention_bias:
                att.W_s.bias = None  # b_s + b_h act as one bias: keep it in W_h only
            self.attention = att
        self.output_context = bool(memory_dim) and output_context
        self.rnn = make_recurrent(cell, embedding_dim + (memory_dim or 0), hidden_size, rng=rng)
        head_in = hidden_size + (memory_dim if self.output_context else 0)
        self.head = Linear(head_in, vocab_size, rng=rng)

    def params(self) -> dict[str, np.ndarray]:
        parts = {"embedding": self.embedding, "rnn": self.rnn, "head": self.head}
        return _prefixed(**parts, **({"attention": self.attention} if self.attention else {}))

    def forward(
        self,
        y_in: np.ndarray,
        state: Any,
        memory: np.ndarray | None = None,
        memory_mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, Any, np.ndarray | None]:
        """Teacher forcing: y_in (N, L) → logits (N, L, |V|), final state, weights (N, L, S)."""
        check_shape("Decoder.forward", "y_in", y_in, ("N", "T"))
        check_tokens("Decoder.forward", "y_in", y_in, self.vocab_size)
        e = self.embedding(y_in)
        if self.attention is None:
            out, state = self.rnn(e, state)
            return self.head(out), state, None
        outs, weights = [], []
        for t in range(y_in.shape[1]):  # attention needs s_{t-1} first: one step at a time
            context, alpha = self.attention.forward(_top_h(state), memory, memory_mask)
            out, state = self.rnn(np.concatenate([e[:, t], context], axis=-1)[:, None], state)
            outs.append(np.concatenate([out, context[:, None]], -1) if self.output_context else out)
            weights.append(alpha)
        return self.head(np.concatenate(outs, axis=1)), state, np.stack(weights, axis=1)

    def greedy(
        self,
        state: Any,
        bos: int,
        eos: int,
        max_len: int,
        memory: np.ndarray | None = None,
        memory_mask: np.ndarray | None = None,
    ) -> list[list[int]]:
        """Feed back the argmax from ``bos`` until ``eos`` (kept) or ``max_len`` tokens."""
        N = _top_h(state).shape[0]
        y = np.full((N, 1), bos)
        result: list[list[int]] = [[] for _ in range(N)]
        done = np.zeros(N, dtype=bool)
        for _ in range(max_len):
            logits, state, _ = self.forward(y, state, memory, memory_mask)
            y = np.argmax(logits[:, -1], axis=-1)[:, None]
            for n in np.flatnonzero(~done):
                result[n].append(int(y[n, 0]))
            done |= y[:, 0] == eos
            if done.all():
                break
        return result


class Seq2Seq:
    r"""Encoder–decoder: a GRU reads the source, a GRU decoder writes the target.

    The encoder's final state $h_S$ summarises the source and starts the decoder
    ($s_0 = h_S$).
    With ``attention=True`` the decoder also looks at every encoder state at
    every step (Bahdanau). Forward-only (the PyTorch twin is trained).

    ``attention_bias`` and ``output_context`` are passed to :class:`Decoder`;
    with ``pad_id`` set, source positions holding it are masked out of the
    attention when no ``src_mask`` is given. :meth:`from_torch` turns all three
    on, to match :class:`seqnotes.nn.Seq2Seq`.

    Examples
    --------
    >>> model = Seq2Seq(src_vocab=6, tgt_vocab=7, embedding_dim=4, hidden_size=5, attention=True)
    >>> src, tgt_in = np.array([[1, 2, 3]]), np.array([[0, 4, 5, 6]])
    >>> logits = model.forward(src, tgt_in)
    >>> print(logits.shape, model.attention_weights.shape)
    (1, 4, 7) (1, 4, 3)
    """

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        embedding_dim: int,
        hidden_size: int,
        attention: bool = False,
        cell: str = "gru",
        rng: RNG = None,
        attention_bias: bool = False,
        output_context: bool = False,
        pad_id: int | None = None,
    ):
        rng = as_rng(rng)
        self.pad_id = pad_id
        self.src_embedding = Embedding(src_vocab, embedding_dim, rng=rng)
        self.encoder = make_recurrent(cell, embedding_dim, hidden_size, rng=rng)
        memory_dim = hidden_size if attention else None
        self.decoder = Decoder(
            tgt_vocab,
            embedding_dim,
            hidden_size,
            memory_dim,
            cell,
            rng=rng,
            attention_bias=attention_bias,
            output_context=output_context,
        )
        self.attention_weights: np.ndarray | None = None

    def params(self) -> dict[str, np.ndarray]:
        p = _prefixed(src_embedding=self.src_embedding, encoder=self.encoder)
        return p | {f"decoder.{k}": v for k, v in self.decoder.params().items()}

    def encode(self, src: np.ndarray) -> tuple[np.ndarray, Any]:
        r"""src: int (N, S) → encoder states $h_1, \dots, h_S$ (N, S, H) and final state."""
        check_shape("Seq2Seq.encode", "src", src, ("N", "S"))
        check_tokens("Seq2Seq.encode", "src", src, self.src_embedding.num_embeddings)
        return self.encoder(self.src_embedding(src))

    def forward(
        self, src: np.ndarray, tgt_in: np.ndarray, src_mask: np.ndarray | None = None
    ) -> np.ndarray:
        """Teacher forcing: src (N, S), tgt_in (N, L) (starts with <bos>) → logits (N, L, |V|).

        ``src_mask`` (N, S) is ``True`` at padded source positions (attention ignores them).
        """
        memory, state = self.encode(src)
        check_shape("Seq2Seq.forward", "tgt_in", tgt_in, (src.shape[0], "T"))
        memory = memory if self.decoder.attention else None
        src_mask = self._src_mask(src, src_mask)
        logits, _, self.attention_weights = self.decoder.forward(tgt_in, state, memory, src_mask)
        return logits

    def _src_mask(self, src: np.ndarray, src_mask: np.ndarray | None) -> np.ndarray | None:
        if src_mask is None and self.pad_id is not None:
            return src == self.pad_id
        return src_mask

    def greedy_decode(
        self,
        src: np.ndarray,
        bos: int,
        eos: int,
        max_len: int = 20,
        src_mask: np.ndarray | None = None,
    ) -> list[list[int]]:
        """Greedy decoding per sentence, stopping at ``eos`` (included) or ``max_len``."""
        memory, state = self.encode(src)
        memory = memory if self.decoder.attention else None
        src_mask = self._src_mask(src, src_mask)
        return self.decoder.greedy(state, bos, eos, max_len, memory, src_mask)

    @classmethod
    def from_torch(cls, module: Any) -> Seq2Seq:
        r"""Copy a :class:`seqnotes.nn.Seq2Seq` (with or without attention), in float64.

        Its choices are turned on here: one bias in the attention score, logits
        from $[s_t; \mathrm{ctx}_t]$, and ``<pad>`` = 0 masked in the source (``pad_id=0``).

        Examples
        --------
        >>> import torch
        >>> from seqnotes import nn as snn
        >>> _ = torch.manual_seed(0)
        >>> net = snn.Seq2Seq(7, 8, hidden=6, attention=True).double()
        >>> model = Seq2Seq.from_torch(net)
        >>> src, tgt_in = np.array([[3, 4, 5, 0]]), np.array([[1, 6, 7]])
        >>> ref = net(torch.from_numpy(src), torch.from_numpy(tgt_in)).detach().numpy()
        >>> print(bool(np.abs(model.forward(src, tgt_in) - ref).max() < 1e-12))
        True
        """
        where = "Seq2Seq.from_torch"
        cell = _cell_name(where, module.encoder)
        dec = module.decoder
        model = cls(
            module.src_vocab,
            module.tgt_vocab,
            module.src_embed.embedding_dim,
            module.encoder.hidden_size,
            attention=dec.attn is not None,
            cell=cell,
            attention_bias=True,
            output_context=True,
            pad_id=0,
        )
        rename = {"src_embedding": "src_embed", "embedding": "embed", "rnn": "gru"}
        rename |= {"head": "out", "attention": "attn", "W_s": "W_q", "W_h": "W_k"}
        _load_torch(where, model.params(), module, rename)
        return model


class Captioner:
    r"""Image captioning: CNN features → initial hidden state → decoder writes ``<start> … <end>``.

    $s_0 = W_\text{init}\, \mathrm{CNN}(I) + b_\text{init}$ with $\mathrm{CNN}(I)$
    the feature vector of image $I$ (N, F) and $W_\text{init}$, $b_\text{init}$
    the layer ``init_h``. With ``attention=True`` the features are a grid
    (N, n_p, F), the rows $m_j$ of $M$, one per cell; $s_0$ comes from their
    mean $\frac{1}{n_p}\sum_j m_j$ and at each word the decoder attends over the
    grid. Forward-only.

    ``init_tanh=True`` squashes the initial state,
    $s_0 = \tanh(W_\text{init} \cdots + b_\text{init})$;
    ``attention_bias`` and ``output_context`` are passed to :class:`Decoder`.
    :meth:`from_torch` turns all three on, to match :class:`seqnotes.nn.Captioner`.

    Examples
    --------
    >>> cap = Captioner(feature_dim=6, vocab_size=9, embedding_dim=4, hidden_size=5, attention=True)
    >>> logits = cap.forward(np.ones((2, 7, 6)), np.array([[0, 3], [0, 4]]))
    >>> w = cap.attention_weights
    >>> print(logits.shape, w.shape, bool(np.allclose(w.sum(-1), 1)))
    (2, 2, 9) (2, 2, 7) True
    """

    def __init__(
        self,
        feature_dim: int,
        vocab_size: int,
        embedding_dim: int,
        hidden_size: int,
        attention: bool = False,
        cell: str = "gru",
        rng: RNG = None,
        init_tanh: bool = False,
        attention_bias: bool = False,
        output_context: bool = False,
    ):
        rng = as_rng(rng)
        self.feature_dim, self.use_attention, self.init_tanh = feature_dim, attention, init_tanh
        self.init_h = Linear(feature_dim, hidden_size, rng=rng)
        memory_dim = feature_dim if attention else None
        self.decoder = Decoder(
            vocab_size,
            embedding_dim,
            hidden_size,
            memory_dim,
            cell,
            rng=rng,
            attention_bias=attention_bias,
            output_context=output_context,
        )
        self.attention_weights: np.ndarray | None = None

    def params(self) -> dict[str, np.ndarray]:
        p = _prefixed(init_h=self.init_h)
        return p | {f"decoder.{k}": v for k, v in self.decoder.params().items()}

    def _start(self, features: np.ndarray) -> tuple[Any, np.ndarray | None]:
        where = "Captioner.forward"
        check_float(where, "features", features)
        if self.use_attention:
            check_shape(where, "features", features, ("N", "P", self.feature_dim))
            summary, memory = features.mean(axis=1), features
        else:
            check_shape(where, "features", features, ("N", self.feature_dim))
            summary, memory = features, None
        h0 = self.init_h(summary)[None]  # s_0, (1, N, H)
        if self.init_tanh:
            h0 = np.tanh(h0)
        if isinstance(self.decoder.rnn, LSTM):
            return (h0, np.zeros_like(h0)), memory
        return h0, memory

    def forward(self, features: np.ndarray, captions_in: np.ndarray) -> np.ndarray:
        """Logits (N, T, |V|) for captions_in (N, T) starting with <start> (teacher forcing).

        ``features`` is (N, F), or with attention a grid (N, n_p, F).
        """
        state, memory = self._start(features)
        check_shape("Captioner.forward", "captions_in", captions_in, (features.shape[0], "T"))
        logits, _, self.attention_weights = self.decoder.forward(captions_in, state, memory)
        return logits

    def greedy_decode(
        self, features: np.ndarray, start: int, end: int, max_len: int = 16
    ) -> list[list[int]]:
        """Greedy caption per image, stopping at ``end`` (included) or ``max_len``."""
        state, memory = self._start(features)
        return self.decoder.greedy(state, start, end, max_len, memory)

    @classmethod
    def from_torch(cls, module: Any) -> Captioner:
        r"""Copy a :class:`seqnotes.nn.Captioner` (plain or attending), in float64.

        Its choices are turned on here:
        $s_0 = \tanh\big(W_\text{init} \frac{1}{n_p}\sum_j m_j + b_\text{init}\big)$, one
        bias in the attention score, logits from $[s_t; \mathrm{ctx}_t]$. The copy starts
        from the features, as the nn captioner does (its CNN is a separate module).

        Examples
        --------
        >>> import torch
        >>> from seqnotes import nn as snn
        >>> _ = torch.manual_seed(0)
        >>> net = snn.Captioner(6, 9, hidden=5, attention=True).double()
        >>> cap = Captioner.from_torch(net)
        >>> feats = np.random.default_rng(0).normal(size=(2, 4, 6))
        >>> words = np.array([[1, 3], [1, 4]])
        >>> ref = net(torch.from_numpy(feats), torch.from_numpy(words)).detach().numpy()
        >>> print(bool(np.abs(cap.forward(feats, words) - ref).max() < 1e-12))
        True
        """
        where = "Captioner.from_torch"
        dec = module.decoder
        cap = cls(
            module.feature_dim,
            module.vocab_size,
            dec.embed.embedding_dim,
            module.init.out_features,
            attention=dec.attn is not None,
            cell=_cell_name(where, dec.gru),
            init_tanh=True,
            attention_bias=True,
            output_context=True,
        )
        rename = {"init_h": "init", "embedding": "embed", "rnn": "gru", "head": "out"}
        rename |= {"attention": "attn", "W_s": "W_q", "W_h": "W_k"}
        _load_torch(where, cap.params(), module, rename)
        return cap
