r"""Seeded synthetic tasks, toy corpora and a small :class:`Vocab`.

Every data set here is generated in memory from a ``seed`` (an ``int`` or a
``numpy.random.Generator``): the same seed gives the same data, a different
seed different data, and nothing is downloaded.

**Return types.** Every function returns NumPy arrays (``float64`` for real
values, ``int64`` for token ids and labels) or plain Python strings. The NumPy
chapters use them as they are; the PyTorch chapters convert them once with
:func:`seqnotes.train.as_tensors` (``float64`` becomes ``float32``). Keeping
this module NumPy-only means it works without PyTorch installed.

**Token ids.** Every vocabulary starts with the same four special tokens:
``<pad>`` = 0, ``<bos>`` = 1, ``<eos>`` = 2, ``<unk>`` = 3 (captioning's
``<start>``/``<end>`` are accepted as aliases of ``<bos>``/``<eos>``). Tasks
that return ids directly (:func:`copy_task`, :func:`reverse_task`) use the
symbols ``4, 5, ...``, which :func:`symbol_vocab` turns back into letters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np

from seqnotes._checks import check_tokens

Seed = int | np.random.Generator
"""A seed: an ``int`` or a ready ``numpy.random.Generator``."""

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)
ALIASES = {"<start>": BOS, "<end>": EOS}
PAD_ID, BOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3
N_SPECIALS = len(SPECIALS)


def _rng(seed: Seed) -> np.random.Generator:
    """Turn a seed into a generator (a generator is used as it is)."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


# --------------------------------------------------------------------------- Vocab


class Vocab:
    r"""Map tokens (words or characters) to integer ids and back.

    Ids 0–3 are always ``<pad>``, ``<bos>``, ``<eos>``, ``<unk>``; the other
    tokens follow in order of first appearance, so ``"hello"`` gives the
    lecture's vocabulary ``[h, e, l, o]`` at ids 4–7.

    Parameters
    ----------
    tokens : iterable of str
        Tokens to add after the specials (duplicates are skipped).
    level : {"word", "char"}
        How :meth:`encode` splits a string: at whitespace or into characters.

    Examples
    --------
    >>> v = Vocab.from_texts(["hello"], level="char")
    >>> len(v), v.itos[4:]
    (8, ['h', 'e', 'l', 'o'])
    >>> v.encode("hello", bos=True, eos=True)
    [1, 4, 5, 6, 6, 7, 2]
    >>> v.decode([1, 4, 5, 6, 6, 7, 2, 0])
    'hello'
    >>> w = Vocab.from_texts(["<start> square left <end>"])
    >>> w.encode("<start> square up <end>")  # 'up' is unknown
    [1, 4, 3, 2]
    """

    def __init__(self, tokens: Iterable[str] = (), *, level: Literal["word", "char"] = "word"):
        if level not in ("word", "char"):
            raise ValueError(f"Vocab: expected level 'word' or 'char', got {level!r}")
        self.level = level
        self.itos: list[str] = list(SPECIALS)
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(SPECIALS)}
        for token in tokens:
            if token not in self.stoi and token not in ALIASES:
                self.stoi[token] = len(self.itos)
                self.itos.append(token)

    @classmethod
    def from_texts(cls, texts: Iterable[str], *, level: Literal["word", "char"] = "word") -> Vocab:
        """Build a vocabulary from every token of ``texts``."""
        split = str.split if level == "word" else list
        return cls((t for text in texts for t in split(text)), level=level)

    pad_id, bos_id, eos_id, unk_id = PAD_ID, BOS_ID, EOS_ID, UNK_ID

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return ALIASES.get(token, token) in self.stoi

    def __getitem__(self, token: str) -> int:
        """The id of ``token`` (``<unk>``'s id if unknown)."""
        return self.stoi.get(ALIASES.get(token, token), UNK_ID)

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens, level={self.level!r})"

    def tokenize(self, text: str) -> list[str]:
        """Split ``text`` into tokens: at whitespace (word level) or into characters."""
        return text.split() if self.level == "word" else list(text)

    def encode(
        self, text: str | Sequence[str], *, bos: bool = False, eos: bool = False
    ) -> list[int]:
        """Ids of a string (or a ready list of tokens), optionally wrapped in <bos>/<eos>."""
        tokens = self.tokenize(text) if isinstance(text, str) else list(text)
        ids = [self[t] for t in tokens]
        return [BOS_ID] * bos + ids + [EOS_ID] * eos

    def encode_batch(
        self,
        texts: Sequence[str],
        *,
        bos: bool = False,
        eos: bool = False,
        length: int | None = None,
    ) -> np.ndarray:
        """Encode several texts into one ``(N, T)`` int64 array, right-padded with ``<pad>`` = 0.

        ``T`` is the longest encoding, or ``length`` if given (longer ones are cut).

        >>> v = Vocab.from_texts(["a b c"])
        >>> v.encode_batch(["a b c", "c"], eos=True).tolist()
        [[4, 5, 6, 2], [6, 2, 0, 0]]
        """
        rows = [self.encode(t, bos=bos, eos=eos) for t in texts]
        T = max((len(r) for r in rows), default=0) if length is None else length
        out = np.full((len(rows), T), PAD_ID, dtype=np.int64)
        for i, r in enumerate(rows):
            out[i, : min(T, len(r))] = r[:T]
        return out

    def decode(self, ids: Any, *, strip: bool = True) -> str:
        """Turn ids (list, array or tensor, shape ``(T,)``) back into text.

        With ``strip=True`` (default) ``<pad>`` and ``<bos>`` are dropped and
        decoding stops at the first ``<eos>``, which is what greedy decoders need.
        """
        ids = np.asarray(ids.tolist() if hasattr(ids, "tolist") else list(ids), dtype=np.int64)
        check_tokens("Vocab.decode", "ids", ids.reshape(-1), len(self))
        tokens = []
        for i in ids.reshape(-1).tolist():
            if strip and i == EOS_ID:
                break
            if strip and i in (PAD_ID, BOS_ID):
                continue
            tokens.append(self.itos[i])
        return (" " if self.level == "word" else "").join(tokens)


def symbol_vocab(n_symbols: int = 10) -> Vocab:
    """The vocabulary of :func:`copy_task`: specials, then letters ``a, b, c, ...`` at ids 4, 5, ...

    >>> v = symbol_vocab(5)
    >>> v.decode([1, 4, 6, 8, 2])
    'a c e'
    """
    if not 1 <= n_symbols <= 26:
        raise ValueError(f"symbol_vocab: expected n_symbols in [1, 26], got {n_symbols}")
    return Vocab([chr(ord("a") + i) for i in range(n_symbols)])


# --------------------------------------------------------------------------- number tasks


def adding_problem(n: int, T: int, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    r"""The adding problem (Hochreiter & Schmidhuber, 1997): a long-term dependency test.

    Each sequence has two channels: values $v_t \sim U(0, 1)$ and a marker
    $m_t \in \{0, 1\}$ with exactly two ones, the first in the first half
    (array index below ``T // 2``, counting from 0) and the second in the rest. The target is

    $$y = \sum_t m_t v_t,$$

    the sum of the two marked values. Predicting the mean $y = 1$ gives a mean
    squared error of $\operatorname{Var}(v_a + v_b) = 2 \cdot \tfrac{1}{12} = \tfrac16
    \approx 0.167$, the baseline a model must beat.

    Parameters
    ----------
    n : int
        Number of sequences N.
    T : int
        Sequence length (at least 2).
    seed : int or numpy.random.Generator

    Returns
    -------
    x : ndarray, shape (N, T, 2), float64
        ``x[..., 0]`` values, ``x[..., 1]`` markers.
    y : ndarray, shape (N,), float64
        Sum of the two marked values.

    Examples
    --------
    >>> x, y = adding_problem(4, 10, seed=0)
    >>> x.shape, y.shape
    ((4, 10, 2), (4,))
    >>> bool((x[..., 1].sum(axis=1) == 2).all())
    True
    >>> bool(np.allclose(y, (x[..., 0] * x[..., 1]).sum(axis=1)))
    True
    """
    if T < 2:
        raise ValueError(f"adding_problem: expected T >= 2, got {T}")
    rng = _rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, T))
    first = rng.integers(0, T // 2, size=n)
    second = rng.integers(T // 2, T, size=n)
    rows = np.arange(n)
    markers = np.zeros((n, T))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]
    return np.stack([values, markers], axis=-1), y


def binary_counting(n: int, T: int, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    r"""Random binary sequences and how many ones each holds.

    The classic exercise for a linear RNN $h_t = w_\text{rec}\, h_{t-1} + w_x\, x_t$,
    $h_0 = 0$: with $w_\text{rec} = w_x = 1$ the final state $h_T = \sum_t x_t$ is
    the count.

    Returns
    -------
    x : ndarray, shape (N, T), float64 of 0.0/1.0
    y : ndarray, shape (N,), float64, ``y = x.sum(axis=1)``

    Examples
    --------
    >>> x, y = binary_counting(3, 6, seed=1)
    >>> x.shape, bool((y == x.sum(axis=1)).all())
    ((3, 6), True)
    """
    x = _rng(seed).integers(0, 2, size=(n, T)).astype(np.float64)
    return x, x.sum(axis=1)


def copy_task(
    n: int, length: int = 10, n_symbols: int = 10, seed: Seed = 0, *, reverse: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    r"""Random symbol sequences and their copy (or reversal), ready for a seq2seq model.

    Symbols are the ids ``4 .. 4 + n_symbols - 1`` (see :func:`symbol_vocab`).
    The target is wrapped in ``<bos>`` ... ``<eos>``: the decoder reads
    ``tgt[:, :-1]`` (teacher forcing) and predicts ``tgt[:, 1:]``.

    Parameters
    ----------
    n : int
        Number of pairs N.
    length : int
        Source length S.
    n_symbols : int
        Number of distinct symbols.
    seed : int or numpy.random.Generator
    reverse : bool
        Reverse instead of copy (see :func:`reverse_task`).

    Returns
    -------
    src : ndarray, shape (N, S), int64
    tgt : ndarray, shape (N, S + 2), int64: ``<bos>``, the S target symbols, ``<eos>``

    Examples
    --------
    >>> src, tgt = copy_task(2, length=4, seed=0)
    >>> src.shape, tgt.shape
    ((2, 4), (2, 6))
    >>> tgt[0].tolist()[0], tgt[0].tolist()[-1], bool((tgt[:, 1:-1] == src).all())
    (1, 2, True)
    """
    src = _rng(seed).integers(N_SPECIALS, N_SPECIALS + n_symbols, size=(n, length))
    body = src[:, ::-1] if reverse else src
    tgt = np.concatenate([np.full((n, 1), BOS_ID), body, np.full((n, 1), EOS_ID)], axis=1).astype(
        np.int64
    )
    return src.astype(np.int64), tgt


def reverse_task(
    n: int, length: int = 10, n_symbols: int = 10, seed: Seed = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`copy_task`, but the target is the source reversed.

    >>> src, tgt = reverse_task(1, length=4, seed=0)
    >>> bool((tgt[0, 1:-1] == src[0, ::-1]).all())
    True
    """
    return copy_task(n, length, n_symbols, seed, reverse=True)


# --------------------------------------------------------------------------- text

HELLO = "hello"
"""The lecture's first character-level corpus."""

TINY_CORPUS = (
    "the cat sat on a warm mat.\n"
    "a small dog ran after the red ball.\n"
    "we read a short book by the sea.\n"
    "the old tree lost its last leaf.\n"
    "rain fell on the quiet town at night.\n"
    "she drew a map of the long river.\n"
)
"""A few short English sentences for a slightly larger character-level model."""

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def number_translation_pairs(
    n: int, length: int | tuple[int, int] = 3, seed: Seed = 0, *, reverse: bool = False
) -> list[tuple[str, str]]:
    """Toy translation pairs: number words to digits, e.g. ``"three one four" -> "3 1 4"``.

    Parameters
    ----------
    n : int
        Number of pairs.
    length : int or (int, int)
        Digits per pair, or an inclusive range to draw each length from.
    seed : int or numpy.random.Generator
    reverse : bool
        Write the digits in reverse order, so the alignment is not monotone.

    Examples
    --------
    >>> number_translation_pairs(2, length=3, seed=0)
    [('eight six five', '8 6 5'), ('two three zero', '2 3 0')]
    """
    rng = _rng(seed)
    lo, hi = (length, length) if isinstance(length, int) else length
    pairs = []
    for _ in range(n):
        digits = rng.integers(0, 10, size=int(rng.integers(lo, hi + 1))).tolist()
        out = digits[::-1] if reverse else digits
        pairs.append((" ".join(NUMBER_WORDS[d] for d in digits), " ".join(map(str, out))))
    return pairs


# --------------------------------------------------------------------------- images

SHAPES = ("horizontal bar", "vertical bar", "square", "cross")
"""Class names of :func:`shape_images`; the label is the index into this tuple."""
ROW_WORDS = ("top", "middle", "bottom")
COL_WORDS = ("left", "center", "right")


def shape_images(
    n: int, size: int = 12, seed: Seed = 0, *, noise: float = 0.0
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    r"""Small grey images of bars, squares and crosses, with labels and captions.

    The image is split into three zones per axis. A horizontal bar (random
    length, random row) is described by its row zone (top/middle/bottom), the
    others by their column zone (left/center/right); square (filled 3×3) and
    cross (3×3 plus sign) have a random row. Captions read
    ``"<start> square left <end>"``.

    Parameters
    ----------
    n : int
        Number of images N.
    size : int
        Height = width, a multiple of 3 and at least 6.
    seed : int or numpy.random.Generator
    noise : float
        Standard deviation of Gaussian pixel noise added on top.

    Returns
    -------
    images : ndarray, shape (N, 1, size, size), float64 (shape pixels 1, background 0)
    labels : ndarray, shape (N,), int64, index into :data:`SHAPES`
    captions : list of N str

    Examples
    --------
    >>> x, y, caps = shape_images(5, seed=0)
    >>> x.shape, y.shape, len(caps)
    ((5, 1, 12, 12), (5,), 5)
    >>> caps[0].split()[0], caps[0].split()[-1]
    ('<start>', '<end>')
    """
    if size % 3 or size < 6:
        raise ValueError(f"shape_images: expected size a multiple of 3 and >= 6, got {size}")
    rng = _rng(seed)
    zone = size // 3
    images = np.zeros((n, 1, size, size))
    labels = rng.integers(0, len(SHAPES), size=n)
    captions = []
    for i, label in enumerate(labels):
        z = int(rng.integers(0, 3))  # which zone the caption names
        pos = int(rng.integers(z * zone, (z + 1) * zone))  # row or column inside that zone
        img = images[i, 0]
        if label in (0, 1):  # a bar of random length and start
            bar_len = int(rng.integers(size // 2, size + 1))
            start = int(rng.integers(0, size - bar_len + 1))
            if label == 0:
                img[pos, start : start + bar_len] = 1.0
            else:
                img[start : start + bar_len, pos] = 1.0
        else:  # a 3×3 shape centred at column `pos` (kept inside) and a random row
            c = min(max(pos, 1), size - 2)
            r = int(rng.integers(1, size - 1))
            if label == 2:
                img[r - 1 : r + 2, c - 1 : c + 2] = 1.0
            else:
                img[r - 1 : r + 2, c] = 1.0
                img[r, c - 1 : c + 2] = 1.0
        where = ROW_WORDS[z] if label == 0 else COL_WORDS[z]
        captions.append(f"<start> {SHAPES[label]} {where} <end>")
    if noise:
        images += noise * rng.standard_normal(images.shape)
    return images, labels.astype(np.int64), captions


# --------------------------------------------------------------------------- text -> image tokens

COLOURS = ("red", "green", "blue", "yellow")
"""Image-token colours: token ``k + 1`` is ``COLOURS[k]``; token 0 is the background."""
PATTERNS = {
    "square": ((1, 1), (1, 1)),
    "bar": ((1, 1), (0, 0)),
    "diagonal": ((1, 0), (0, 1)),
    "dot": ((1, 0), (0, 0)),
}
"""Shapes drawn inside one 2×2 quadrant of the 4×4 token grid."""
QUADRANTS = ("top left", "top right", "bottom left", "bottom right")


def all_text_image_prompts() -> list[str]:
    """Every prompt of the text-to-image task, in a fixed order (4 × 4 × 4 = 64).

    >>> prompts = all_text_image_prompts()
    >>> len(prompts), prompts[0]
    (64, 'red square top left')
    """
    return [f"{c} {p} {q}" for c in COLOURS for p in PATTERNS for q in QUADRANTS]


def render_prompt(prompt: str) -> np.ndarray:
    """Draw a prompt like ``"red square top left"`` as a 4×4 grid of image tokens.

    Token 0 is the background and ``k + 1`` the colour ``COLOURS[k]``; the shape
    fills one 2×2 quadrant. A DALL·E-style model reads the prompt and writes
    these 16 tokens one by one, row by row.

    >>> render_prompt("blue diagonal bottom right").tolist()
    [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 3, 0], [0, 0, 0, 3]]
    """
    words = prompt.split()
    if (
        len(words) != 4
        or words[0] not in COLOURS
        or words[1] not in PATTERNS
        or " ".join(words[2:]) not in QUADRANTS
    ):
        raise ValueError(
            f"render_prompt: expected '<colour> <shape> <top|bottom> <left|right>', got {prompt!r}"
        )
    grid = np.zeros((4, 4), dtype=np.int64)
    r0, c0 = 2 * (words[2] == "bottom"), 2 * (words[3] == "right")
    grid[r0 : r0 + 2, c0 : c0 + 2] = np.array(PATTERNS[words[1]]) * (COLOURS.index(words[0]) + 1)
    return grid


def text_image_pairs(n: int, seed: Seed = 0) -> tuple[list[str], np.ndarray]:
    """Random prompts and their 4×4 image-token grids (see :func:`render_prompt`).

    Returns
    -------
    prompts : list of N str
    images : ndarray, shape (N, 4, 4), int64 in [0, 4]

    >>> prompts, images = text_image_pairs(3, seed=0)
    >>> len(prompts), images.shape
    (3, (3, 4, 4))
    """
    everything = all_text_image_prompts()
    prompts = [everything[i] for i in _rng(seed).integers(0, len(everything), size=n)]
    images = np.stack([render_prompt(p) for p in prompts]) if n else np.zeros((0, 4, 4), np.int64)
    return prompts, images
