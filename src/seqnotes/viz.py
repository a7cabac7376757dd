r"""The figures of the notes, drawn with matplotlib from seqnotes code.

Each ``plot_*`` function takes plain arrays and returns a
:class:`matplotlib.figure.Figure`; :data:`FIGURES` says which seeded seqnotes
computation feeds which figure of the notes, and :func:`write_figures` saves
them all as SVG, each with the data it was drawn from (``make figures``
writes them to ``docs/assets/figures``).

**Language-neutral.** The same file serves the Korean and the English page, so
figures carry only symbols, numbers and code (``T − t``, ``ρ = 3``,
``layout="concat"``); the words are in each page's alt text.

**Deterministic.** Saving the same figure twice gives the same bytes: fixed
figure sizes, a fixed hash salt for the SVG ids, no date and text kept as text
(``svg.fonttype = "none"``, no embedded glyph outlines). A test recomputes
every figure's data and compares it with the data stored in the checked-in
file, and draws that stored data again to compare the bytes.

matplotlib is imported inside the functions, so ``import seqnotes`` never needs
it. Figures are built with :class:`~matplotlib.figure.Figure` directly, not
with ``pyplot``: no GUI backend, no global list of open figures.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "STYLE",
    "FIGURES",
    "NotesFigure",
    "plot_gradient_norms",
    "plot_attention",
    "plot_positional_encoding",
    "save_svg",
    "stored_data",
    "write_figures",
]

STYLE: dict[str, object] = {
    "svg.hashsalt": "seqnotes",  # stable ids for clip paths and images
    "svg.fonttype": "none",  # text stays text: small files, no glyph outlines
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # ships with matplotlib: the same layout everywhere
    "font.monospace": ["DejaVu Sans Mono"],
    "mathtext.fontset": "dejavusans",
    "font.size": 10,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.spines.top": False,
    "axes.spines.right": False,
}
"""rcParams used for every figure (matplotlib's own defaults are left untouched)."""

# Okabe–Ito colours: distinguishable with colour-blindness, readable on white.
_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")
_MARKERS = ("o", "s", "^", "D", "v")


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib as mpl

    with mpl.rc_context(STYLE):
        yield


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _freeze(fig: Figure) -> Figure:
    """Lay ``fig`` out once and keep that layout, so that every save gives the same bytes.

    (Constrained layout starts from the current positions, so each draw would
    shift the axes a little.)
    """
    with _style():
        fig.draw_without_rendering()
    fig.set_layout_engine("none")
    return fig


# --------------------------------------------------------------------------- plots


def plot_gradient_norms(curves: Mapping[str, np.ndarray]) -> Figure:
    r"""$\|\partial h_T/\partial h_t\|$ against the distance $T - t$, log scale.

    ``curves`` maps a legend entry to the output of
    :func:`seqnotes.scratch.gradient_norms_vs_distance` (entry $j$ = distance $j$).
    """
    with _style():
        fig = _figure(6.4, 3.6)
        ax = fig.add_subplot()
        for k, (label, norms) in enumerate(curves.items()):
            j = np.arange(len(norms))
            ax.semilogy(
                j,
                norms,
                color=_COLOURS[k % len(_COLOURS)],
                marker=_MARKERS[k % len(_MARKERS)],
                markersize=3.5,
                linewidth=1.6,
                label=label,
            )
        ax.set_xlabel(r"$T - t$")
        ax.set_ylabel(r"$\|\partial h_T \,/\, \partial h_t\|_F$")
        ax.grid(True, which="major", color="#dddddd", linewidth=0.6)
        ax.set_xlim(0, max(len(n) for n in curves.values()) - 1)
        ax.legend(frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return _freeze(fig)


def plot_attention(
    weights: np.ndarray,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    *,
    xlabel: str = "j",
    ylabel: str = "i",
    annotate: bool = False,
) -> Figure:
    """Heatmap of attention weights: row ``i`` is one query, column ``j`` one key.

    The colour scale is fixed to [0, 1] (white = 0). With ``annotate`` each cell
    also shows its weight with two decimals.
    """
    weights = np.asarray(weights, dtype=float)
    if weights.shape != (len(row_labels), len(col_labels)):
        raise ValueError(
            f"plot_attention: expected weights of shape ({len(row_labels)}, {len(col_labels)}),"
            f" got {weights.shape}"
        )
    with _style():
        L, S = weights.shape
        fig = _figure(1.6 + 0.36 * S, 0.8 + 0.36 * L)
        ax = fig.add_subplot()
        # one vector square per weight: crisp at any zoom, in any SVG viewer
        im = ax.pcolormesh(
            weights, cmap="Blues", vmin=0.0, vmax=1.0, edgecolors="white", linewidth=0.5
        )
        ax.set_aspect("equal")
        ax.invert_yaxis()
        ax.set_xticks(np.arange(S) + 0.5, list(col_labels))
        ax.set_yticks(np.arange(L) + 0.5, list(row_labels))
        ax.tick_params(length=0)
        ax.xaxis.tick_top()
        ax.xaxis.set_label_position("top")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel, rotation=0, labelpad=10, va="center")
        for spine in ax.spines.values():
            spine.set_visible(False)
        if annotate:
            for (i, j), w in np.ndenumerate(weights):
                colour = "white" if w > 0.6 else "#222222"
                ax.text(
                    j + 0.5, i + 0.5, f"{w:.2f}", ha="center", va="center", fontsize=8, color=colour
                )
        fig.colorbar(im, ax=ax, shrink=0.8, ticks=[0, 0.5, 1])
    return _freeze(fig)


def plot_positional_encoding(
    T: int, d_model: int, layout: str | Sequence[str] = "interleaved"
) -> Figure:
    """Heatmap of :func:`seqnotes.scratch.positional_encoding`, one panel per layout.

    ``layout`` is one layout or several (drawn side by side). Rows are the
    positions ``pos``, columns the columns of the encoding (numbered on the
    axis, unnamed: the notes' $k$ counts sine–cosine pairs); colours run from
    −1 (blue) through 0 (white) to +1 (red).
    """
    from seqnotes.scratch import positional_encoding

    layouts = [layout] if isinstance(layout, str) else list(layout)
    with _style():
        fig = _figure(0.9 + 3.4 * len(layouts), 3.6)
        axes = fig.subplots(1, len(layouts), sharey=True, squeeze=False)[0]
        for ax, name in zip(axes, layouts, strict=True):
            pe = positional_encoding(T, d_model, name)
            # "nearest" resamples to the saving dpi: sharp cells even where a viewer smooths
            im = ax.imshow(
                pe, cmap="RdBu_r", vmin=-1.0, vmax=1.0, aspect="auto", interpolation="nearest"
            )
            ax.set_title(f'layout="{name}"', fontsize=9, family="monospace")
            ax.set_xticks([*range(0, d_model - 1, max(1, d_model // 4)), d_model - 1])
        axes[0].set_ylabel(r"$pos$")
        bar = fig.colorbar(im, ax=list(axes), shrink=0.8, ticks=[-1, 0, 1])
        bar.set_label(r"$\mathrm{PE}$")
    return _freeze(fig)


# --------------------------------------------------------------------------- the notes' figures
#
# A figure of the notes is two steps: ``data()`` runs the seeded seqnotes computation (and
# may train a model), ``plot(**data)`` only draws. The SVG keeps the data it was drawn from,
# so a test can check both steps on any machine: the recomputed data must match the stored
# data within the figure's tolerance (training on another CPU rounds differently), and the
# stored data must draw exactly the stored picture.


def gradient_norms_data() -> dict:
    """tanh RNN (ρ = 0.8), ReLU RNN (ρ = 3), default LSTM and LSTM with forget bias 3.

    The settings of the RNN and LSTM chapters: D = 3, H = 8, T = 30, 4 samples.
    """
    from seqnotes.scratch import LSTM, RNN, gradient_norms_vs_distance

    D, H, T = 3, 8, 30
    x = np.random.default_rng(0).normal(size=(4, T, D))
    tanh_rnn = RNN(D, H, rng=0)
    tanh_rnn.set_spectral_norm(0.8)
    relu_rnn = RNN(D, H, nonlinearity="relu", rng=0)
    relu_rnn.set_spectral_norm(3.0)
    lstm = LSTM(D, H, rng=0)
    lstm_keep = LSTM(D, H, rng=0)
    lstm_keep.bias_ih_l0[H : 2 * H] = 3.0  # forget block
    lstm_keep.bias_hh_l0[H : 2 * H] = 0.0
    models = {
        "ReLU, ρ = 3": relu_rnn,
        r"LSTM, $b_f = 3$": lstm_keep,
        "LSTM": lstm,
        "tanh, ρ = 0.8": tanh_rnn,
    }
    return {"curves": {k: gradient_norms_vs_distance(m, x) for k, m in models.items()}}


def seq2seq_alignment_data() -> dict:
    """Attention weights of the GRU encoder–decoder trained by ``attention_helps_demo``.

    The first held-out sequence of the reversal task; rows are the output
    steps (the reversed source, then ``<eos>``), columns the source symbols.
    """
    from seqnotes import data
    from seqnotes.demos import attention_helps_demo

    length, seed = 12, 0  # the demo's defaults
    weights = attention_helps_demo(length=length, seed=seed)["attention_weights"]
    src, tgt = data.reverse_task(500, length, 10, seed=seed + 1000 + length)
    vocab = data.symbol_vocab(10)
    return {
        "weights": weights,
        "row_labels": [vocab.itos[t] for t in tgt[0, 1:]],
        "col_labels": [vocab.itos[t] for t in src[0]],
        "xlabel": r"$x_j$",
        "ylabel": r"$y_t$",
    }


def self_attention_data() -> dict:
    r"""$\mathrm{softmax}(QK^\top/\sqrt{d_k})$ for 6 random words.

    $d_\text{model} = 4$, $d_k = 3$.
    """
    from seqnotes.scratch import scaled_dot_product_attention

    rng = np.random.default_rng(0)
    n_words, d_model, d_k = 6, 4, 3
    X = rng.normal(size=(n_words, d_model))
    W_Q = rng.normal(size=(d_model, d_k))
    W_K = rng.normal(size=(d_model, d_k))
    Q, K = X @ W_Q, X @ W_K
    _, A = scaled_dot_product_attention(Q, K, K)
    labels = [str(i) for i in range(1, n_words + 1)]
    return {"weights": A, "row_labels": labels, "col_labels": labels, "annotate": True}


def positional_encoding_data() -> dict:
    """Sinusoidal positional encoding, T = 50, d_model = 64, both layouts side by side."""
    return {"T": 50, "d_model": 64, "layout": ["interleaved", "concat"]}


@dataclass(frozen=True)
class NotesFigure:
    """A figure of the notes: ``plot(**data())``, and how far ``data()`` may drift.

    Data recomputed on another machine may differ from the data stored in the
    SVG by ``atol + rtol * |stored|``: a relative 1e-6 for NumPy computations
    in float64 (other BLAS and SIMD kernels round differently, and the
    gradient-norm curves span fourteen orders of magnitude), an absolute
    amount for weights of a model trained in float32, whose training
    amplifies those rounding differences.
    """

    data: Callable[[], dict]
    plot: Callable[..., Figure]
    atol: float = 0.0
    rtol: float = 1e-6

    def figure(self, data: dict | None = None) -> Figure:
        return self.plot(**(self.data() if data is None else data))


FIGURES: dict[str, NotesFigure] = {
    "gradient-norms.svg": NotesFigure(gradient_norms_data, plot_gradient_norms),
    # Trained weights: across CPU kernel paths they differ by up to ~0.03 (seed 0).
    "seq2seq-alignment.svg": NotesFigure(seq2seq_alignment_data, plot_attention, atol=0.1, rtol=0),
    "self-attention-heatmap.svg": NotesFigure(self_attention_data, plot_attention),
    "positional-encoding.svg": NotesFigure(positional_encoding_data, plot_positional_encoding),
}
"""File name → the seeded computation behind a figure of the notes and how it is drawn."""


# --------------------------------------------------------------------------- saving

_DOCTYPE = re.compile(r"<!DOCTYPE[^>]*>\n")
# mathtext names its font without a generic fallback; give it the same one as other text
_BARE_FONT = re.compile(r"font-family: 'DejaVu Sans'(?=[;\"])")
_DATA = re.compile(r"<!-- seqnotes-data (.*?) -->\n", re.S)


def _jsonable(value: object) -> object:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def save_svg(fig: Figure, path: str | Path, data: dict | None = None) -> Path:
    """Save ``fig`` as a deterministic SVG at ``path`` and return the path.

    No date, no creator URL, no DOCTYPE (it names an external DTD); instead a
    comment records the matplotlib version, since another version may lay
    the same figure out differently, and another one the ``data`` the figure
    was drawn from (as JSON), if given.
    """
    import matplotlib as mpl

    buffer = io.StringIO()
    with _style():
        fig.savefig(
            buffer,
            format="svg",
            dpi=150,  # resolution of raster images (the positional-encoding heatmap)
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    note = f"<!-- made by seqnotes.viz (`make figures`), matplotlib {mpl.__version__} -->\n"
    if data is not None:
        text = json.dumps(_jsonable(data), ensure_ascii=False, separators=(",", ":"))
        text = text.replace("--", "-\\u002d")  # "--" may not appear inside an XML comment
        note += f"<!-- seqnotes-data {text} -->\n"
    svg = _DOCTYPE.sub(lambda _: note, buffer.getvalue(), count=1)
    svg = _BARE_FONT.sub("font-family: 'DejaVu Sans', sans-serif", svg)
    path = Path(path)
    path.write_bytes(svg.encode("utf-8"))
    return path


def stored_data(svg: str) -> dict | None:
    """The data a figure was drawn from, as :func:`save_svg` stored it (lists, not arrays)."""
    m = _DATA.search(svg)
    return json.loads(m.group(1)) if m else None


def write_figures(
    out_dir: str | Path, names: Sequence[str] | None = None, data: dict | None = None
) -> list[Path]:
    """Compute and draw the figures of :data:`FIGURES` (all, or ``names``) into ``out_dir``.

    ``data`` maps a name to data to draw instead of computing it (e.g. the
    data stored in a checked-in SVG).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names or FIGURES:
        spec = FIGURES[name]
        values = (data or {}).get(name) or spec.data()
        paths.append(save_svg(spec.figure(values), out_dir / name, values))
    return paths
