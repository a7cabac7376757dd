r"""Optimisers that update NumPy parameter arrays in place: SGD (with momentum) and Adam.

Both take the dict returned by a model's ``params()`` (the arrays themselves) and
``step(grads)`` with the dict returned by ``backward``; gradient entries with no
matching parameter (``"x"``, ``"h0"``, ...) are ignored. The update rules are
those of ``torch.optim.SGD`` and ``torch.optim.Adam`` with default options.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SGD", "Adam"]


class SGD:
    r"""Stochastic gradient descent with optional (heavy-ball) momentum, as ``torch.optim.SGD``.

    For each parameter array $w$, with $\delta w_k = \partial \mathcal{L}/\partial w$
    the gradient passed to update $k$:

    $$
    m_k = \mu\, m_{k-1} + \delta w_k \;(m_1 = \delta w_1), \qquad w_k = w_{k-1} - \eta\, m_k
    $$

    With $\mu = 0$ this is plain gradient descent $w \leftarrow w - \eta\, \delta w$.

    Parameters
    ----------
    params : dict name → ndarray
        Arrays updated in place.
    lr : float
        Learning rate $\eta$.
    momentum : float
        $\mu$.

    Examples
    --------
    >>> w = np.array([1.0, 2.0])
    >>> opt = SGD({"w": w}, lr=0.1)
    >>> opt.step({"w": np.array([1.0, -1.0])})
    >>> print(w)
    [0.9 2.1]
    """

    def __init__(self, params: dict[str, np.ndarray], lr: float, momentum: float = 0.0):
        self.params, self.lr, self.momentum = params, lr, momentum
        self.buffers: dict[str, np.ndarray] = {}

    def step(self, grads: dict[str, np.ndarray]) -> None:
        for name, p in self.params.items():
            if name not in grads:
                continue
            g = grads[name]
            if self.momentum:
                buf = self.buffers.get(name)
                buf = g.copy() if buf is None else self.momentum * buf + g
                self.buffers[name] = buf
                g = buf
            p -= self.lr * g


class Adam:
    r"""Adam, as ``torch.optim.Adam``: momentum on the gradient and on its square, bias-corrected.

    For each parameter array $w$, with $\delta w_k = \partial \mathcal{L}/\partial w$
    the gradient passed to update $k = 1, 2, \dots$ (elementwise operations):

    $$
    m_k = \beta_1 m_{k-1} + (1-\beta_1)\, \delta w_k,\quad
    v_k = \beta_2 v_{k-1} + (1-\beta_2)\, \delta w_k^2, \quad m_0 = v_0 = 0
    $$

    $$
    w_k = w_{k-1} -
    \eta\,\frac{m_k/(1-\beta_1^k)}{\sqrt{v_k/(1-\beta_2^k)} + \epsilon}
    $$

    The first step moves every parameter by about $\eta$ whatever the gradient's scale.

    Examples
    --------
    >>> w = np.array([1.0, 2.0])
    >>> opt = Adam({"w": w}, lr=0.1)
    >>> opt.step({"w": np.array([1e-3, -50.0])})
    >>> print(np.round(w, 4))
    [0.9 2.1]
    """

    def __init__(
        self,
        params: dict[str, np.ndarray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ):
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self.t = 0

    def step(self, grads: dict[str, np.ndarray]) -> None:
        beta1, beta2 = self.betas
        self.t += 1
        correction1, correction2 = 1 - beta1**self.t, 1 - beta2**self.t
        for name, p in self.params.items():
            if name not in grads:
                continue
            g = grads[name]
            self.m[name] = beta1 * self.m[name] + (1 - beta1) * g
            self.v[name] = beta2 * self.v[name] + (1 - beta2) * g * g
            # same order of operations as torch, so the two agree to rounding error
            denom = np.sqrt(self.v[name]) / np.sqrt(correction2) + self.eps
            p -= (self.lr / correction1) * self.m[name] / denom
