r"""Layers with hand-written backward passes: Linear, Embedding, LayerNorm, Dropout, Conv2d.

Each layer stores its parameters under torch's names and layouts (``weight``,
``bias``), so ``Layer.from_torch(module)`` copies a ``torch.nn`` module exactly
and the two can be compared number by number. ``forward`` caches what
``backward`` needs; ``backward(d_out)`` returns a dict of gradients keyed by the
parameter names plus ``"x"`` for the input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqnotes._checks import check_float, check_shape, check_tokens

__all__ = [
    "as_rng",
    "Layer",
    "Linear",
    "Embedding",
    "LayerNorm",
    "Dropout",
    "Conv2d",
    "conv_output_size",
]

RNG = np.random.Generator | int | None


def as_rng(rng: RNG = None) -> np.random.Generator:
    r"""Turn a seed (default 0) or a ``numpy.random.Generator`` into a Generator.

    There is no hidden global random state: the same seed gives the same numbers.

    Examples
    --------
    >>> print(as_rng(3).integers(10) == as_rng(3).integers(10))
    True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(0 if rng is None else rng)


def _to_numpy(t: Any) -> np.ndarray:
    return t.detach().cpu().double().numpy().copy()


def _pair(v: int | tuple[int, int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


class Layer:
    """Base class: ``params()``, ``__call__`` and the backward-before-forward check."""

    _param_names: tuple[str, ...] = ()

    def params(self) -> dict[str, np.ndarray]:
        """The parameter arrays themselves (not copies), keyed by torch's names."""
        return {k: getattr(self, k) for k in self._param_names if getattr(self, k) is not None}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _get_cache(self) -> Any:
        cache = getattr(self, "_cache", None)
        if cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward: call forward before backward")
        return cache


class Linear(Layer):
    r"""Affine map $y = W x + b$ on the last axis, like ``torch.nn.Linear``.

    ``weight`` is $W$ in the shape torch stores, (out, in). An array holds one
    vector per row along its last axis, so the code computes ``x @ W.T + b``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
    rng : Generator or int seed
        ``weight`` (out, in) and ``bias`` (out,) are drawn from
        $U(-1/\sqrt{\text{in}}, 1/\sqrt{\text{in}})$, torch's default.

    Examples
    --------
    >>> lin = Linear(3, 2, rng=0)
    >>> y = lin(np.ones((4, 5, 3)))
    >>> print(y.shape, lin.backward(np.ones_like(y))["weight"].shape)
    (4, 5, 2) (2, 3)
    """

    _param_names = ("weight", "bias")

    def __init__(self, in_features: int, out_features: int, bias: bool = True, rng: RNG = None):
        rng = as_rng(rng)
        bound = 1.0 / np.sqrt(in_features)
        self.in_features, self.out_features = in_features, out_features
        self.weight = rng.uniform(-bound, bound, (out_features, in_features))
        self.bias = rng.uniform(-bound, bound, out_features) if bias else None
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (..., in) → y: (..., out)."""
        check_float("Linear.forward", "x", x)
        check_shape("Linear.forward", "x", x, (None,) * (x.ndim - 1) + (self.in_features,))
        self._cache = x
        y = x @ self.weight.T
        return y if self.bias is None else y + self.bias

    def backward(self, d_out: np.ndarray) -> dict[str, np.ndarray]:
        r"""$dW = dy^\top x$, $db = \sum dy$, $dx = dy\, W$ (leading axes flattened)."""
        x = self._get_cache()
        d2 = d_out.reshape(-1, self.out_features)
        grads = {"weight": d2.T @ x.reshape(-1, self.in_features), "x": d_out @ self.weight}
        if self.bias is not None:
            grads["bias"] = d2.sum(axis=0)
        return grads

    @classmethod
    def from_torch(cls, module: Any) -> Linear:
        """Copy a ``torch.nn.Linear`` (weights become float64 NumPy arrays)."""
        layer = cls(module.in_features, module.out_features, bias=module.bias is not None)
        layer.weight = _to_numpy(module.weight)
        if module.bias is not None:
            layer.bias = _to_numpy(module.bias)
        return layer


class Embedding(Layer):
    r"""Lookup table: token id $x$ → row $E_x$ of the table $E$, like ``torch.nn.Embedding``.

    $E$ is ``weight``, of shape (|V|, ``embedding_dim``), drawn from
    $\mathcal N(0, 1)$, torch's default. The backward scatters $dy$ back into
    the rows that were read (a row read twice gets both gradients).

    Examples
    --------
    >>> emb = Embedding(5, 3, rng=0)
    >>> y = emb(np.array([[0, 4, 4]]))
    >>> print(y.shape, emb.backward(np.ones_like(y))["weight"][4])
    (1, 3, 3) [2. 2. 2.]
    """

    _param_names = ("weight",)

    def __init__(self, num_embeddings: int, embedding_dim: int, rng: RNG = None):
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = as_rng(rng).standard_normal((num_embeddings, embedding_dim))
        self._cache = None

    def forward(self, ids: np.ndarray) -> np.ndarray:
        """ids: int array of any shape (...) → (..., embedding_dim)."""
        ids = np.asarray(ids)
        check_tokens("Embedding.forward", "ids", ids, self.num_embeddings)
        self._cache = ids
        return self.weight[ids]

    def backward(self, d_out: np.ndarray) -> dict[str, np.ndarray]:
        """Gradient for ``weight`` only (token ids have no gradient)."""
        ids = self._get_cache()
        d_weight = np.zeros_like(self.weight)
        np.add.at(d_weight, ids.reshape(-1), d_out.reshape(-1, self.embedding_dim))
        return {"weight": d_weight}

    @classmethod
    def from_torch(cls, module: Any) -> Embedding:
        layer = cls(module.num_embeddings, module.embedding_dim)
        layer.weight = _to_numpy(module.weight)
        return layer


class LayerNorm(Layer):
    r"""Normalise over the last axes, then scale and shift, like ``torch.nn.LayerNorm``.

    $$
    \hat x = \frac{x - \mu}{\sqrt{v + \epsilon}}, \qquad y = w \odot \hat x + b
    $$

    with $\mu, v$ the mean and (biased) variance over ``normalized_shape``;
    $w$ is ``weight`` (ones at first), $b$ is ``bias`` (zeros at first).

    Examples
    --------
    >>> ln = LayerNorm(4)
    >>> y = ln(np.array([[1.0, 2.0, 3.0, 4.0]]))
    >>> print(np.round(y.mean(), 6), np.round(y.var(), 4))
    0.0 1.0
    """

    _param_names = ("weight", "bias")

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5):
        shape = (
            (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        )
        self.normalized_shape, self.eps = shape, eps
        self.weight = np.ones(shape)
        self.bias = np.zeros(shape)
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (..., *normalized_shape) → same shape."""
        check_float("LayerNorm.forward", "x", x)
        k = len(self.normalized_shape)
        check_shape("LayerNorm.forward", "x", x, (None,) * (x.ndim - k) + self.normalized_shape)
        axes = tuple(range(x.ndim - k, x.ndim))
        mu = x.mean(axis=axes, keepdims=True)
        inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + self.eps)
        x_hat = (x - mu) * inv_std
        self._cache = (x_hat, inv_std, axes)
        return self.weight * x_hat + self.bias

    def backward(self, d_out: np.ndarray) -> dict[str, np.ndarray]:
        r"""Gradients of ``weight``, ``bias`` and ``x``.

        $$
        dx = \frac{1}{m\sqrt{v + \epsilon}}
        \Big(m\, d\hat x - \sum d\hat x - \hat x \sum d\hat x\, \hat x\Big),
        \quad d\hat x = dy \odot w
        $$

        with $m$ the number of normalised entries (the sums run over them).
        """
        x_hat, inv_std, axes = self._get_cache()
        lead = tuple(range(d_out.ndim - len(axes)))
        M = int(np.prod(self.normalized_shape))
        dx_hat = d_out * self.weight
        dx = (inv_std / M) * (
            M * dx_hat
            - dx_hat.sum(axis=axes, keepdims=True)
            - x_hat * (dx_hat * x_hat).sum(axis=axes, keepdims=True)
        )
        return {
            "weight": (d_out * x_hat).sum(axis=lead),
            "bias": d_out.sum(axis=lead),
            "x": dx,
        }

    @classmethod
    def from_torch(cls, module: Any) -> LayerNorm:
        layer = cls(tuple(module.normalized_shape), eps=module.eps)
        if module.weight is not None:
            layer.weight = _to_numpy(module.weight)
            layer.bias = _to_numpy(module.bias)
        return layer


class Dropout(Layer):
    r"""Inverted dropout: zero entries with probability $p$, scale the rest by $1/(1-p)$.

    $$
    y = \frac{m \odot x}{1 - p}, \quad m_i \sim \mathrm{Bernoulli}(1 - p)
    $$

    so the expected value of $y$ equals $x$ and evaluation (``eval()``) is the
    identity. The mask comes from the layer's own seeded Generator.

    Examples
    --------
    >>> drop = Dropout(0.5, rng=0)
    >>> y = drop(np.ones(1000))
    >>> print(sorted(set(y.tolist())), drop.eval()(np.ones(2)))
    [0.0, 2.0] [1. 1.]
    """

    def __init__(self, p: float = 0.5, rng: RNG = None):
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: expected p in [0, 1), got {p}")
        self.p, self.training, self.rng = p, True, as_rng(rng)
        self._cache = None

    def train(self, mode: bool = True) -> Dropout:
        self.training = mode
        return self

    def eval(self) -> Dropout:
        return self.train(False)

    def forward(self, x: np.ndarray) -> np.ndarray:
        check_float("Dropout.forward", "x", x)
        if not self.training or self.p == 0.0:
            scale = np.ones_like(x)
        else:
            scale = (self.rng.random(x.shape) >= self.p) / (1.0 - self.p)
        self._cache = scale
        return x * scale

    def backward(self, d_out: np.ndarray) -> dict[str, np.ndarray]:
        """The same mask and scale applied to the upstream gradient."""
        return {"x": d_out * self._get_cache()}


def conv_output_size(H: int, K: int, stride: int = 1, padding: int = 0) -> int:
    r"""Output length of a convolution: $\lfloor (H_\text{in} + 2p - K_H)/s \rfloor + 1$.

    ``H`` is the input length $H_\text{in}$, ``K`` the kernel length $K_H$,
    ``stride`` $s$ and ``padding`` $p$ (the same formula gives $W_\text{out}$).

    Examples
    --------
    >>> print(conv_output_size(7, 3), conv_output_size(7, 3, stride=2, padding=1))
    5 4
    """
    return (H + 2 * padding - K) // stride + 1


class Conv2d(Layer):
    r"""2-D convolution (cross-correlation, like ``torch.nn.Conv2d``).

    $$
    Y_{n,o,i,j} = b_o + \sum_{c,k,l} W_{o,c,k,l}\, \bar X_{n,c,\,i s+k,\,j s+l}
    $$

    with $\bar X$ the input with $p$ cells of zeros added around it, stride $s$,
    and every index counted from 0. The loop runs over the $K_H K_W$ kernel
    offsets $(k, l)$; each offset is one matrix product over channels. The backward is again a
    convolution: $dx$ correlates $dy$ with the flipped kernel, $dW$ correlates
    $x$ with $dy$.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, padding : int or (int, int)
    bias : bool
    rng : Generator or int seed
        ``weight`` (C_out, C_in, K_H, K_W) and ``bias`` (C_out,) from
        $U(\pm 1/\sqrt{C_\text{in} K_H K_W})$, torch's default.

    Examples
    --------
    >>> conv = Conv2d(1, 2, 3, rng=0)
    >>> print(conv(np.ones((1, 1, 5, 6))).shape)
    (1, 2, 3, 4)
    """

    _param_names = ("weight", "bias")

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        bias: bool = True,
        rng: RNG = None,
    ):
        rng = as_rng(rng)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = (
            _pair(kernel_size),
            _pair(stride),
            _pair(padding),
        )
        K_H, K_W = self.kernel_size
        bound = 1.0 / np.sqrt(in_channels * K_H * K_W)
        self.weight = rng.uniform(-bound, bound, (out_channels, in_channels, K_H, K_W))
        self.bias = rng.uniform(-bound, bound, out_channels) if bias else None
        self._cache = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C_in, H_in, W_in) → (N, C_out, H_out, W_out)."""
        where = "Conv2d.forward"
        check_float(where, "x", x)
        check_shape(where, "x", x, ("N", self.in_channels, "H", "W"))
        (K_H, K_W), (S_H, S_W), (P_H, P_W) = self.kernel_size, self.stride, self.padding
        H_out = conv_output_size(x.shape[2], K_H, S_H, P_H)
        W_out = conv_output_size(x.shape[3], K_W, S_W, P_W)
        if H_out < 1 or W_out < 1:
            raise ValueError(
                f"{where}: input {x.shape[2:]} is smaller than the kernel {self.kernel_size}"
            )
        x_pad = np.pad(x, ((0, 0), (0, 0), (P_H, P_H), (P_W, P_W)))
        y = np.zeros((x.shape[0], self.out_channels, H_out, W_out))
        for p in range(K_H):
            for q in range(K_W):
                patch = x_pad[:, :, p : p + S_H * H_out : S_H, q : q + S_W * W_out : S_W]
                y += np.einsum("nchw,oc->nohw", patch, self.weight[:, :, p, q])
        if self.bias is not None:
            y += self.bias[None, :, None, None]
        self._cache = (x_pad, H_out, W_out)
        return y

    def backward(self, d_out: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients for ``weight``, ``bias`` and ``x``, one kernel offset at a time."""
        x_pad, H_out, W_out = self._get_cache()
        (K_H, K_W), (S_H, S_W), (P_H, P_W) = self.kernel_size, self.stride, self.padding
        d_weight = np.zeros_like(self.weight)
        dx_pad = np.zeros_like(x_pad)
        for p in range(K_H):
            for q in range(K_W):
                rows = slice(p, p + S_H * H_out, S_H)
                cols = slice(q, q + S_W * W_out, S_W)
                d_weight[:, :, p, q] = np.einsum("nohw,nchw->oc", d_out, x_pad[:, :, rows, cols])
                dx_pad[:, :, rows, cols] += np.einsum(
                    "nohw,oc->nchw", d_out, self.weight[:, :, p, q]
                )
        H_pad, W_pad = x_pad.shape[2:]
        grads = {"weight": d_weight, "x": dx_pad[:, :, P_H : H_pad - P_H, P_W : W_pad - P_W]}
        if self.bias is not None:
            grads["bias"] = d_out.sum(axis=(0, 2, 3))
        return grads

    @classmethod
    def from_torch(cls, module: Any) -> Conv2d:
        if isinstance(module.padding, str) or module.dilation != (1, 1) or module.groups != 1:
            raise ValueError("Conv2d.from_torch: only integer padding, dilation 1 and groups 1")
        layer = cls(
            module.in_channels,
            module.out_channels,
            module.kernel_size,
            module.stride,
            module.padding,
            bias=module.bias is not None,
        )
        layer.weight = _to_numpy(module.weight)
        if module.bias is not None:
            layer.bias = _to_numpy(module.bias)
        return layer
