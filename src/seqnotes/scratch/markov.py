r"""Sequence models before neural networks: the chain rule, AR(τ) and Markov models.

Every model of a sequence $x_1, \dots, x_T$ starts from the chain rule of probability

$$
p(x_1, \dots, x_T) = \prod_{t=1}^{T} p(x_t \mid x_1, \dots, x_{t-1}).
$$

The models here differ only in how much of the past they keep in the condition:
:class:`CountAR` keeps the last $\tau$ symbols (a Markov model when $\tau = 1$),
:class:`LinearAR` does the same for real numbers, and :func:`latent_states` keeps
a fixed-size summary $h_t = g(h_{t-1}, x_{t-1})$ of everything seen so far.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

import numpy as np

from .._checks import check_shape

__all__ = ["CountAR", "MarkovModel", "LinearAR", "latent_states"]


class CountAR:
    r"""Count-based autoregressive model of order $\tau$ over discrete symbols.

    $$
    \hat p(x_t = v \mid (x_{t-\tau}, \dots, x_{t-1}) = a)
      = \frac{n(a, v) + \alpha}{n(a) + \alpha \lvert\mathcal{V}\rvert}
    $$

    where $n(a, v)$ counts how often context $a$ was followed by the symbol $v$
    in the training sequences, $n(a)$ how often $a$ occurred, $\mathcal{V}$ is the
    set of symbols seen in training (``eos`` included) and $\alpha \ge 0$ is
    add-$\alpha$ smoothing. At the start
    of a sequence the context is shorter: $x_1$ is conditioned on nothing,
    $x_2$ on $x_1$, and so on, exactly as in the chain rule.

    Parameters
    ----------
    tau : int
        How many previous symbols the model looks at ($\tau \ge 1$).
    alpha : float
        Smoothing added to every count (0 = maximum likelihood).
    eos : hashable, optional
        An end-of-sequence symbol. If given, ``fit`` appends it to every training
        sequence, ``log_prob`` includes the factor $p(\text{eos} \mid \dots)$ (so
        the probabilities of all sequences of every length sum to 1), and
        ``sample`` stops when it draws it.

    Examples
    --------
    >>> m = CountAR(tau=1).fit(["hello", "help"])
    >>> round(m.prob("l", "e"), 3)      # p(x_t = l | x_{t-1} = e)
    1.0
    >>> round(m.prob("o", "l"), 3)      # after "l": l, o, p once each
    0.333
    """

    def __init__(self, tau: int = 1, alpha: float = 0.0, eos: Hashable | None = None) -> None:
        if int(tau) != tau or tau < 1:
            raise ValueError(f"CountAR: expected tau >= 1 (an integer), got {tau!r}")
        if alpha < 0:
            raise ValueError(f"CountAR: expected alpha >= 0, got {alpha!r}")
        self.tau, self.alpha, self.eos = int(tau), float(alpha), eos
        self.counts: dict[tuple, Counter] = defaultdict(Counter)
        self.vocab: list[Hashable] = []

    def _context(self, seq: Sequence[Hashable], t: int) -> tuple:
        # Position t (0-based) sees at most tau symbols before it.
        return tuple(seq[max(0, t - self.tau) : t])

    def fit(self, sequences: Iterable[Sequence[Hashable]]) -> CountAR:
        """Count every (context, next symbol) pair in ``sequences``; returns ``self``."""
        seen: dict[Hashable, None] = {}
        for seq in sequences:
            if len(seq) == 0:
                raise ValueError("CountAR.fit: expected non-empty sequences, got an empty one")
            seq = self._with_eos(seq)
            for t, x in enumerate(seq):
                self.counts[self._context(seq, t)][x] += 1
                seen.setdefault(x, None)
        self.vocab = sorted(seen, key=str)
        return self

    def _with_eos(self, seq: Sequence[Hashable]) -> list[Hashable]:
        return list(seq) + ([] if self.eos is None else [self.eos])

    def _check_fitted(self, where: str) -> None:
        if not self.vocab:
            raise RuntimeError(f"CountAR.{where}: call fit(...) first")

    def prob(self, x: Hashable, context: Sequence[Hashable] = ()) -> float:
        r"""$\hat p(x \mid \text{context})$, using the last $\tau$ symbols of ``context``."""
        self._check_fitted("prob")
        ctx = tuple(context)[-self.tau :] if len(context) else ()
        row = self.counts.get(ctx, Counter())
        total = sum(row.values()) + self.alpha * len(self.vocab)
        if total == 0:
            raise ValueError(
                f"CountAR.prob: context {ctx!r} never occurs in the training data "
                "(use alpha > 0 to smooth)"
            )
        return (row[x] + self.alpha) / total

    def step_probs(self, seq: Sequence[Hashable]) -> list[float]:
        r"""The chain-rule factors $\hat p(x_t \mid x_{t-\tau}, \dots, x_{t-1})$, $t = 1..T$.

        With an ``eos`` symbol the last factor is the probability of ending there.
        """
        seq = self._with_eos(seq)
        return [self.prob(x, self._context(seq, t)) for t, x in enumerate(seq)]

    def log_prob(self, seq: Sequence[Hashable]) -> float:
        r"""$\log \hat p(x_1, \dots, x_T) = \sum_t \log \hat p(x_t \mid \dots)$ (natural log).

        Returns ``-inf`` when some factor is zero (a transition never seen).
        """
        probs = self.step_probs(seq)
        return -math.inf if min(probs) == 0 else float(sum(math.log(p) for p in probs))

    def sample(
        self, length: int, rng: np.random.Generator | int = 0, start: Sequence[Hashable] = ()
    ) -> list[Hashable]:
        """Draw up to ``length`` symbols, one at a time, feeding each back in.

        Stops early when the model draws its ``eos`` symbol (which is not returned).
        """
        self._check_fitted("sample")
        rng = np.random.default_rng(rng)
        out = list(start)
        while len(out) < length:
            ctx = self._context(out, len(out))
            p = np.array([self.prob(v, ctx) for v in self.vocab])
            x = self.vocab[rng.choice(len(self.vocab), p=p / p.sum())]
            if self.eos is not None and x == self.eos:
                break
            out.append(x)
        return out


class MarkovModel(CountAR):
    r"""First-order Markov model: $p(x_1..x_T) = p(x_1)\prod_{t\ge 2} p(x_t \mid x_{t-1})$.

    The special case $\tau = 1$ of :class:`CountAR`.

    Examples
    --------
    >>> m = MarkovModel().fit(["abab", "abba"])
    >>> round(m.prob("b", "a"), 2)
    1.0
    """

    def __init__(self, alpha: float = 0.0, eos: Hashable | None = None) -> None:
        super().__init__(tau=1, alpha=alpha, eos=eos)


class LinearAR:
    r"""Autoregressive model AR($\tau$) for a real-valued series, fitted by least squares.

    $$
    \hat x_t = b + \sum_{i=1}^{\tau} w_i \, x_{t-i}
    $$

    Parameters
    ----------
    tau : int
        Length of the fixed window of past values.

    Examples
    --------
    >>> x = 0.9 ** np.arange(20)             # x_t = 0.9 x_{t-1} exactly
    >>> m = LinearAR(tau=1).fit(x)
    >>> print(f"{m.w[0]:.3f}", abs(m.b) < 1e-9)  # b is 0 up to rounding, of either sign
    0.900 True
    """

    def __init__(self, tau: int) -> None:
        if int(tau) != tau or tau < 1:
            raise ValueError(f"LinearAR: expected tau >= 1 (an integer), got {tau!r}")
        self.tau = int(tau)
        self.w: np.ndarray | None = None
        self.b = 0.0

    def _windows(self, x: np.ndarray) -> np.ndarray:
        # Row t holds x_{t-1}, ..., x_{t-tau}: most recent first, matching w_1..w_tau.
        T = len(x)
        return np.stack([x[self.tau - i : T - i] for i in range(1, self.tau + 1)], axis=1)

    def _check_series(self, where: str, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        check_shape(f"LinearAR.{where}", "x", x, ("T",))
        if len(x) <= self.tau:
            raise ValueError(
                f"LinearAR.{where}: expected a series longer than tau={self.tau}, "
                f"got length {len(x)}"
            )
        return x

    def fit(self, x: Any) -> LinearAR:
        """Least-squares fit of $w, b$ on every window of the series $x$ of shape (T,)."""
        x = self._check_series("fit", x)
        A = np.hstack([self._windows(x), np.ones((len(x) - self.tau, 1))])
        coef, *_ = np.linalg.lstsq(A, x[self.tau :], rcond=None)
        self.w, self.b = coef[:-1], float(coef[-1])
        return self

    def predict(self, x: Any) -> np.ndarray:
        r"""One-step-ahead predictions $\hat x_t$ for $t = \tau+1..T$ from the true past."""
        if self.w is None:
            raise RuntimeError("LinearAR.predict: call fit(...) first")
        x = self._check_series("predict", x)
        return self._windows(x) @ self.w + self.b

    def forecast(self, history: Any, steps: int) -> np.ndarray:
        """Predict ``steps`` values ahead, feeding each prediction back in as input."""
        if self.w is None:
            raise RuntimeError("LinearAR.forecast: call fit(...) first")
        buf = list(np.asarray(history, dtype=np.float64)[-self.tau :])
        if len(buf) < self.tau:
            raise ValueError(
                f"LinearAR.forecast: expected at least tau={self.tau} past values, got {len(buf)}"
            )
        for _ in range(steps):
            buf.append(float(np.dot(self.w, buf[::-1][: self.tau]) + self.b))
        return np.array(buf[self.tau :])


def latent_states(x: Any, g: Callable[[np.ndarray, np.ndarray], np.ndarray], h0: Any) -> np.ndarray:
    r"""Run a latent autoregressive model: $h_t = g(h_{t-1}, x_{t-1})$ for $t = 2..T$.

    The first state $h_1$ is ``h0``, the state before anything is seen. The
    state $h_t$ has a fixed size however long the past is; the prediction of
    $x_t$ reads only $h_t$, $p(x_t \mid x_1, \dots, x_{t-1}) \approx p(x_t \mid h_t)$.
    An RNN is this model with $g$ learned.

    Parameters
    ----------
    x : array of shape (T, ...)
        The observed sequence.
    g : callable
        The update ``g(h_prev, x_prev) -> h``.
    h0 : array
        The state before anything is seen; it is returned as $h_1$, the first row.

    Returns
    -------
    array of shape (T, *h0.shape)
        ``h[t-1]`` is $h_t$, the summary of $x_1..x_{t-1}$ used to predict $x_t$.

    Examples
    --------
    >>> avg = lambda h, x: 0.5 * h + 0.5 * x          # an exponential moving average
    >>> h = latent_states(np.array([1.0, 1.0, 1.0, 1.0]), avg, h0=np.zeros(()))
    >>> print(np.round(h, 3))
    [0.    0.5   0.75  0.875]
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0:
        raise ValueError(f"latent_states: expected x of shape (T, ...), got {x.shape}")
    h = np.asarray(h0, dtype=np.float64)
    out = []
    for t in range(len(x)):
        out.append(h)  # h_t sees x_1..x_{t-1} only
        h = np.asarray(g(h, x[t]), dtype=np.float64)
    return np.stack(out)
