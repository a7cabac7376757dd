r"""Activations, softmax, losses, masks and gradient checking in NumPy (float64).

Every function here is a forward/backward pair written by hand, in the style of
CS231n's layer functions: the backward takes the upstream gradient ``d_out`` and
whatever the forward returned, and gives the gradient with respect to the input.
Masks follow PyTorch's meaning: ``True`` marks what is *excluded*.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from seqnotes._checks import check_float, check_shape, check_tokens

__all__ = [
    "sigmoid",
    "sigmoid_backward",
    "tanh",
    "tanh_backward",
    "relu",
    "relu_backward",
    "softmax",
    "softmax_backward",
    "log_softmax",
    "log_softmax_backward",
    "cross_entropy",
    "l2_loss",
    "causal_mask",
    "padding_mask",
    "rel_error",
    "numerical_gradient",
    "gradcheck",
]


# --- activations -------------------------------------------------------------


def sigmoid(x: np.ndarray) -> np.ndarray:
    r"""Logistic sigmoid $\sigma(x) = 1 / (1 + e^{-x})$, elementwise.

    Written piecewise so that neither branch exponentiates a large positive
    number (no overflow warnings for $x \ll 0$).

    Parameters
    ----------
    x : ndarray, any shape

    Examples
    --------
    >>> print(np.round(sigmoid(np.array([-1.0, 0.0, 1.0])), 4))
    [0.2689 0.5    0.7311]
    """
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(d_out: np.ndarray, y: np.ndarray) -> np.ndarray:
    r"""Gradient through the sigmoid given its output $y = \sigma(x)$: $dx = dy\, y (1 - y)$.

    Parameters
    ----------
    d_out : ndarray, shape of ``y``
        Upstream gradient.
    y : ndarray
        Output of :func:`sigmoid`.

    Examples
    --------
    >>> print(sigmoid_backward(np.ones(1), sigmoid(np.zeros(1))))
    [0.25]
    """
    return d_out * y * (1.0 - y)


def tanh(x: np.ndarray) -> np.ndarray:
    r"""Hyperbolic tangent $\tanh(x) = (e^x - e^{-x}) / (e^x + e^{-x})$, elementwise.

    Bounded in $(-1, 1)$ and zero-centred, which is why the vanilla RNN uses it.

    Examples
    --------
    >>> print(np.round(tanh(np.array([0.0, 1.0])), 4))
    [0.     0.7616]
    """
    return np.tanh(np.asarray(x, dtype=float))


def tanh_backward(d_out: np.ndarray, y: np.ndarray) -> np.ndarray:
    r"""Gradient through tanh given its output $y$: $dx = dy\,(1 - y^2)$.

    Examples
    --------
    >>> print(tanh_backward(np.ones(1), tanh(np.zeros(1))))
    [1.]
    """
    return d_out * (1.0 - y * y)


def relu(x: np.ndarray) -> np.ndarray:
    r"""Rectified linear unit $\mathrm{relu}(x) = \max(0, x)$, elementwise.

    Examples
    --------
    >>> print(relu(np.array([-2.0, 3.0])))
    [0. 3.]
    """
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def relu_backward(d_out: np.ndarray, x: np.ndarray) -> np.ndarray:
    r"""Gradient through ReLU given its *input* $x$: $dx = dy\,[x > 0]$ (0 at $x = 0$, like torch).

    Examples
    --------
    >>> print(relu_backward(np.ones(3), np.array([-1.0, 0.0, 2.0])))
    [0. 0. 1.]
    """
    return d_out * (x > 0)


# --- softmax -----------------------------------------------------------------


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Numerically stable softmax $y_i = e^{x_i - m} / \sum_j e^{x_j - m}$, $m = \max_j x_j$.

    Subtracting the maximum changes nothing mathematically but keeps every
    exponent $\le 0$, so nothing overflows. A slice that is entirely $-\infty$
    (e.g. a fully masked attention row) gives **all zeros** instead of NaN:
    nothing may be attended to, so no probability mass is handed out.

    Parameters
    ----------
    x : ndarray, any shape
        Scores (logits); ``-inf`` marks excluded positions.
    axis : int
        The axis that sums to one.

    Examples
    --------
    >>> y = softmax(np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -np.inf]]))
    >>> print(np.round(y, 4))
    [[0.09   0.2447 0.6652]
     [0.5    0.5    0.    ]]
    >>> print(softmax(np.full((1, 2), -np.inf)))
    [[0. 0.]]
    """
    x = np.asarray(x, dtype=float)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isneginf(m), 0.0, m)  # all -inf slice: exp(-inf) = 0 below, no NaN
    e = np.exp(x - m)
    s = np.sum(e, axis=axis, keepdims=True)
    return np.divide(e, s, out=np.zeros_like(e), where=s > 0)


def softmax_backward(d_out: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Gradient through softmax given its output $y$: $dx = y \odot (dy - \sum_j dy_j y_j)$.

    This is the Jacobian $\partial y_i/\partial x_j = y_i(\delta_{ij} - y_j)$ applied
    to $dy$ without building the matrix.

    Parameters
    ----------
    d_out : ndarray, shape of ``y``
    y : ndarray
        Output of :func:`softmax`.
    axis : int

    Examples
    --------
    >>> y = softmax(np.array([0.0, 0.0]))
    >>> print(softmax_backward(np.array([1.0, 0.0]), y))
    [ 0.25 -0.25]
    """
    return y * (d_out - np.sum(d_out * y, axis=axis, keepdims=True))


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Numerically stable $\log \mathrm{softmax}(x)_i = x_i - m - \log \sum_j e^{x_j - m}$.

    A slice that is entirely $-\infty$ gives all $-\infty$ (the log of the all-zero
    :func:`softmax`), not NaN.

    Examples
    --------
    >>> print(np.round(log_softmax(np.array([0.0, np.log(3.0)])), 4))
    [-1.3863 -0.2877]
    """
    x = np.asarray(x, dtype=float)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isneginf(m), 0.0, m)
    z = x - m
    with np.errstate(divide="ignore"):  # log(0) = -inf for an all -inf slice, by design
        log_sum = np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
    return np.where(np.isneginf(log_sum), -np.inf, z - np.where(np.isneginf(log_sum), 0.0, log_sum))


def log_softmax_backward(d_out: np.ndarray, y_log: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Gradient through log-softmax given its output: $dx = dy - e^{y_{\log}} \sum_j dy_j$.

    Examples
    --------
    >>> y_log = log_softmax(np.array([0.0, 0.0]))
    >>> print(log_softmax_backward(np.array([1.0, 0.0]), y_log))
    [ 0.5 -0.5]
    """
    return d_out - np.exp(y_log) * np.sum(d_out, axis=axis, keepdims=True)


# --- losses ------------------------------------------------------------------


def cross_entropy(
    logits: np.ndarray, targets: np.ndarray, mask: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    r"""Mean cross-entropy over the counted tokens, and its gradient.

    $$
    \mathcal{L} = -\frac{1}{\lvert\mathcal{M}\rvert} \sum_{(n,t) \in \mathcal{M}}
    \log \mathrm{softmax}(u_{n,t})_{y_{n,t}},
    \qquad \frac{\partial \mathcal{L}}{\partial u_{n,t}} = \frac{\mathrm{softmax}(u_{n,t}) -
    \mathrm{onehot}(y_{n,t})}{\lvert\mathcal{M}\rvert}
    $$

    where $u_{n,t}$ are the logits of example $n$ at step $t$, $y_{n,t}$ its target
    and $\mathcal{M}$ the set of real (unpadded) tokens. Matches
    ``torch.nn.functional.cross_entropy`` with ``reduction="mean"`` on the
    unpadded tokens. If no token is counted the loss is 0 with a zero gradient
    (torch would return NaN).

    Parameters
    ----------
    logits : ndarray, shape (N, T, |V|) or (N, |V|)
    targets : ndarray of int, shape (N, T) or (N,)
        Class indices in ``[0, |V|)``.
    mask : ndarray of bool, shape of ``targets``, optional
        ``True`` = real token (counted), ``False`` = padding (ignored).

    Returns
    -------
    loss : float
    d_logits : ndarray, shape of ``logits``

    Examples
    --------
    >>> logits = np.zeros((1, 2, 4))
    >>> loss, d = cross_entropy(logits, np.array([[1, 3]]), mask=np.array([[True, False]]))
    >>> print(round(loss, 4), np.round(d[0, 0], 3), d[0, 1].sum())
    1.3863 [ 0.25 -0.75  0.25  0.25] 0.0
    """
    where = "cross_entropy"
    check_float(where, "logits", logits)
    if logits.ndim == 2:
        dims = check_shape(where, "logits", logits, ("N", "V"))
        check_shape(where, "targets", targets, ("N",), dims)
    else:
        dims = check_shape(where, "logits", logits, ("N", "T", "V"))
        check_shape(where, "targets", targets, ("N", "T"), dims)
    check_tokens(where, "targets", targets, dims["V"])
    if mask is None:
        mask = np.ones(targets.shape, dtype=bool)
    check_shape(where, "mask", mask, targets.shape)
    mask = np.asarray(mask, dtype=bool)

    count = int(mask.sum())
    y_log = log_softmax(logits, axis=-1)
    picked = np.take_along_axis(y_log, targets[..., None], axis=-1)[..., 0]
    loss = -float(np.sum(picked * mask)) / max(count, 1)

    d_logits = np.exp(y_log) - np.eye(dims["V"])[targets]  # softmax minus one-hot
    d_logits *= mask[..., None] / max(count, 1)
    return loss, d_logits


def l2_loss(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    r"""Mean squared error, as ``torch.nn.MSELoss()`` (reduction ``"mean"``), and its gradient.

    $$
    \mathcal{L} = \frac{1}{m}\sum_{k=1}^{m} (\hat y_k - y_k)^2, \qquad
    \frac{\partial \mathcal{L}}{\partial \hat y_k} = \frac{2}{m}(\hat y_k - y_k)
    $$

    with $m$ the number of elements (no factor $\tfrac12$).

    Parameters
    ----------
    pred, target : ndarray, the same shape

    Examples
    --------
    >>> loss, d = l2_loss(np.array([1.0, 3.0]), np.array([0.0, 0.0]))
    >>> print(loss, d)
    5.0 [1. 3.]
    """
    check_shape("l2_loss", "target", target, pred.shape)
    diff = np.asarray(pred, dtype=float) - target
    return float(np.mean(diff * diff)), 2.0 * diff / diff.size


# --- masks -------------------------------------------------------------------


def causal_mask(T: int) -> np.ndarray:
    r"""Boolean (T, T) mask that is ``True`` where attention is *not* allowed: $j > i$.

    Query $i$ may look at keys $j \le i$ only (torch's ``attn_mask`` meaning).

    Examples
    --------
    >>> print(causal_mask(3).astype(int))
    [[0 1 1]
     [0 0 1]
     [0 0 0]]
    """
    return np.triu(np.ones((T, T), dtype=bool), k=1)


def padding_mask(lengths: np.ndarray, T: int) -> np.ndarray:
    r"""Boolean (N, T) mask that is ``True`` at the padded positions of each row.

    Row $n$ is ``False`` at its first $\ell_n$ = ``lengths[n]`` positions and
    ``True`` after them (column index $\ge \ell_n$, counting from 0). This is
    torch's ``key_padding_mask`` meaning; the complement is the loss mask of
    :func:`cross_entropy`.

    Parameters
    ----------
    lengths : ndarray of int, shape (N,)
    T : int

    Examples
    --------
    >>> print(padding_mask(np.array([3, 1]), 4).astype(int))
    [[0 0 0 1]
     [0 1 1 1]]
    """
    lengths = np.asarray(lengths)
    return np.arange(T)[None, :] >= lengths[:, None]


# --- gradient checking -------------------------------------------------------


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    r"""Relative error $\max|a - b| / \max(10^{-8}, \max(|a| + |b|))$.

    Examples
    --------
    >>> print(rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])))
    0.0
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(1e-8, float(np.max(np.abs(a) + np.abs(b)))))


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    r"""Centred-difference estimate of the gradient of a scalar function.

    $$
    \frac{\partial f}{\partial x_i} \approx
    \frac{f(x + \epsilon e_i) - f(x - \epsilon e_i)}{2\epsilon}
    $$

    ``f`` takes no arguments and reads ``x`` (a parameter array it closes over);
    each entry of ``x`` is nudged in place and restored afterwards.

    Parameters
    ----------
    f : callable returning a scalar
    x : ndarray of float, any shape (modified in place, then restored)
    eps : float

    Examples
    --------
    >>> x = np.array([1.0, 2.0])
    >>> print(np.round(numerical_gradient(lambda: float(np.sum(x**2)), x), 6))
    [2. 4.]
    """
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = f()
        x[i] = old - eps
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def gradcheck(
    f: Callable[[], float], x: np.ndarray, analytic: np.ndarray, eps: float = 1e-6
) -> float:
    r"""Relative error between an analytic gradient and :func:`numerical_gradient`.

    Below about $10^{-7}$ in float64 means the backward pass is right.

    Examples
    --------
    >>> x = np.array([1.0, -2.0])
    >>> print(gradcheck(lambda: float(np.sum(x**3)), x, 3 * x**2) < 1e-7)
    True
    """
    return rel_error(numerical_gradient(f, x, eps), analytic)
