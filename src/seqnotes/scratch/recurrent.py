r"""Recurrent layers in NumPy with backpropagation through time written by hand.

``RNN``, ``LSTM`` and ``GRU`` use PyTorch's parameter names, layouts and gate
orders: ``weight_ih_l{k}`` is $W_{xh}$, of shape $(n_g H, D)$ with the $n_g$ gate
blocks stacked (``weight_hh_l{k}`` is $W_{hh}$, of shape $(n_g H, H)$), so
``from_torch`` copies a ``torch.nn`` module exactly. Inputs are batch-first
``(N, T, D)``; states are ``(n_layers, N, H)`` as in torch.

Each class only writes its *cell*: one time step forward and backward. The
input part $a^x_t = W_{xh} x_t + b_{xh}$ and the recurrent part
$a^h_t = W_{hh} h_{t-1} + b_{hh}$ of the values before the activations
(``g_x`` and ``g_h`` in the code; with one example per row they read
``x @ W_xh.T + b_xh``) are computed by the shared loops in
:class:`Recurrent`. Those loops are the point of S2.2: ``forward`` walks from
the first step to the last, ``backward`` from the last step back to the first.

Also here: the scalar ``LinearRNN`` of the counting exercise, gradient clipping,
truncated BPTT and the gradient-norm-vs-distance probe of S2.4.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqnotes._checks import check_float, check_shape
from seqnotes.scratch.functional import (
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    tanh,
    tanh_backward,
)
from seqnotes.scratch.layers import RNG, as_rng

__all__ = [
    "Recurrent",
    "RNN",
    "LSTM",
    "GRU",
    "LinearRNN",
    "clip_grad_norm",
    "truncated_bptt",
    "gradient_norms_vs_distance",
]

State = Any  # ndarray (n_layers, N, H) for RNN/GRU, (h, c) tuple of them for LSTM


class Recurrent:
    """Shared machinery: parameters, the time loops of forward and BPTT, ``from_torch``.

    Subclasses set ``gate_blocks`` ($n_g$) and write ``_cell`` / ``_cell_backward``.
    Internally a state is a tuple: ``(h,)`` or ``(h, c)``.
    """

    gate_blocks = 1
    n_states = 1  # 2 for the LSTM: (h, c)
    torch_mode = "RNN_TANH"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        rng: RNG = None,
    ):
        rng = as_rng(rng)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias = bias
        G, H = self.gate_blocks, hidden_size
        bound = 1.0 / np.sqrt(H)  # torch's default: U(-1/sqrt(H), 1/sqrt(H)) for every tensor
        for k in range(num_layers):
            D_k = input_size if k == 0 else H
            setattr(self, f"weight_ih_l{k}", rng.uniform(-bound, bound, (G * H, D_k)))
            setattr(self, f"weight_hh_l{k}", rng.uniform(-bound, bound, (G * H, H)))
            if bias:
                setattr(self, f"bias_ih_l{k}", rng.uniform(-bound, bound, G * H))
                setattr(self, f"bias_hh_l{k}", rng.uniform(-bound, bound, G * H))
        self._cache: Any = None

    # -- parameters -----------------------------------------------------------

    def _names(self, k: int) -> list[str]:
        names = [f"weight_ih_l{k}", f"weight_hh_l{k}"]
        return names + ([f"bias_ih_l{k}", f"bias_hh_l{k}"] if self.bias else [])

    def params(self) -> dict[str, np.ndarray]:
        """The parameter arrays (not copies) in torch's ``state_dict`` order."""
        return {n: getattr(self, n) for k in range(self.num_layers) for n in self._names(k)}

    def num_parameters(self) -> int:
        return sum(p.size for p in self.params().values())

    def _weights(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        W_ih, W_hh = getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}")
        if not self.bias:
            zero = np.zeros(W_hh.shape[0])
            return W_ih, W_hh, zero, zero
        return W_ih, W_hh, getattr(self, f"bias_ih_l{k}"), getattr(self, f"bias_hh_l{k}")

    def set_spectral_norm(self, rho: float, layer: int = 0) -> None:
        r"""Rescale $W_{hh}$ of one layer so that $\rho = \sigma_{\max}(W_{hh})$ is ``rho``.

        $\rho$ is the largest singular value (the spectral norm), not the spectral
        radius. One step multiplies the gradient by $\operatorname{diag}(\phi'(a_t))\,W_{hh}$,
        whose norm is at most $\gamma\rho$, with $\gamma = \max\lvert\phi'\rvert = 1$
        for tanh and ReLU. So $\rho < 1$ guarantees that gradients vanish over time,
        and $\rho > 1$ is necessary for them to explode, but not sufficient: the
        $\phi'$ factors (a ReLU unit that is off, a saturated tanh unit) shrink the
        product, and the directions that successive steps stretch most need not
        line up (the spectral radius can be far below $\rho$). In S2.4 a ReLU RNN
        still decays at $\rho = 1.5$, where the spectral radius of its $W_{hh}$ is
        0.75, and explodes at $\rho = 3$. For LSTM/GRU the whole stacked matrix
        $W_{hh}$ of all gate blocks is scaled.
        """
        W_hh = getattr(self, f"weight_hh_l{layer}")
        W_hh *= rho / np.linalg.norm(W_hh, ord=2)

    # -- the two time loops ----------------------------------------------------

    def _as_tuple(self, state: State) -> tuple[np.ndarray, ...]:
        return tuple(state) if self.n_states > 1 else (state,)

    def _from_tuple(self, state: tuple[np.ndarray, ...]) -> State:
        return state if self.n_states > 1 else state[0]

    def forward(self, x: np.ndarray, h0: State = None) -> tuple[np.ndarray, State]:
        r"""Run the sequence from $t = 1$ to $T$, layer by layer.

        Parameters
        ----------
        x : ndarray, shape (N, T, D)
            Batch-first input.
        h0 : ndarray (n_layers, N, H), or for the LSTM a tuple ``(h0, c0)``; optional (zeros)

        Returns
        -------
        output : ndarray, shape (N, T, H)
            $h_t$ of the last layer at every step.
        state : like ``h0``
            The final state $h_T$ (and $c_T$) of every layer.
        """
        where = f"{type(self).__name__}.forward"
        check_float(where, "x", x)
        dims = check_shape(where, "x", x, ("N", "T", self.input_size))
        N, T = dims["N"], dims["T"]
        L, H = self.num_layers, self.hidden_size
        if h0 is None:
            state0 = tuple(np.zeros((L, N, H)) for _ in range(self.n_states))
        else:
            if self.n_states > 1 and not (isinstance(h0, tuple) and len(h0) == self.n_states):
                raise TypeError(f"{where}: expected h0 to be a tuple (h0, c0)")
            state0 = self._as_tuple(h0)
            for name, s in zip(("h0", "c0"), state0, strict=False):
                check_float(where, name, s)
                check_shape(where, name, s, (L, "N", H), dims)

        layer_in, final, caches = x, [], []
        for k in range(L):
            W_ih, W_hh, b_ih, b_hh = self._weights(k)
            state = tuple(s[k] for s in state0)
            g_x = layer_in @ W_ih.T + b_ih  # every step's input part in one matmul
            out = np.zeros((N, T, H))
            steps = []
            for t in range(T):
                g_h = state[0] @ W_hh.T + b_hh
                state, cache = self._cell(g_x[:, t], g_h, state)
                out[:, t] = state[0]
                steps.append(cache)
            caches.append((layer_in, steps))
            final.append(state)
            layer_in = out
        self._cache = caches
        h_n = tuple(np.stack([f[i] for f in final]) for i in range(self.n_states))
        return layer_in, self._from_tuple(h_n)

    def __call__(self, x: np.ndarray, h0: State = None) -> tuple[np.ndarray, State]:
        return self.forward(x, h0)

    def backward(self, d_output: np.ndarray, d_state: State = None) -> dict[str, np.ndarray]:
        r"""Backpropagation through time: from the last step back to the first.

        At each step the gradient $\delta h_t$ reaching $h_t$ is the output's own
        gradient plus what flows back from step $t+1$; the shared weights collect a
        sum over steps.

        Parameters
        ----------
        d_output : ndarray, shape (N, T, H)
            $\partial \mathcal{L}/\partial\, \text{output}$.
        d_state : like the returned state, optional
            $\partial \mathcal{L}/\partial h_T$ (and $\partial \mathcal{L}/\partial c_T$) of
            every layer.

        Returns
        -------
        dict
            Gradients keyed by torch's parameter names, plus ``"x"`` (N, T, D),
            ``"h0"`` (n_layers, N, H) (and ``"c0"`` for the LSTM).
        """
        where = f"{type(self).__name__}.backward"
        if self._cache is None:
            raise RuntimeError(f"{where}: call forward before backward")
        caches = self._cache
        N, T = caches[0][0].shape[:2]
        L, H = self.num_layers, self.hidden_size
        check_shape(where, "d_output", d_output, (N, T, H))
        if d_state is None:
            d_final = tuple(np.zeros((L, N, H)) for _ in range(self.n_states))
        else:
            d_final = self._as_tuple(d_state)
            for s in d_final:
                check_shape(where, "d_state", s, (L, N, H))

        grads: dict[str, np.ndarray] = {}
        d_init = [np.zeros((L, N, H)) for _ in range(self.n_states)]
        self.grad_h = np.zeros((L, N, T, H))  # d(loss)/dh_t of every layer, for the S2.4 probe
        d_layer_out = d_output
        for k in reversed(range(L)):
            W_ih, W_hh, _, _ = self._weights(k)
            layer_in, steps = caches[k]
            dW_ih, dW_hh = np.zeros_like(W_ih), np.zeros_like(W_hh)
            db_ih, db_hh = np.zeros(W_hh.shape[0]), np.zeros(W_hh.shape[0])
            d_g_x = np.zeros((N, T, W_hh.shape[0]))
            d_state_t = tuple(d[k].copy() for d in d_final)
            for t in reversed(range(T)):
                # h_t feeds both the output at t and the step t+1 (already in d_state_t)
                d_state_t = (d_state_t[0] + d_layer_out[:, t],) + d_state_t[1:]
                self.grad_h[k, :, t] = d_state_t[0]
                d_gx_t, d_gh_t, d_state_prev = self._cell_backward(d_state_t, steps[t])
                h_prev = steps[t][0]
                dW_hh += d_gh_t.T @ h_prev
                db_hh += d_gh_t.sum(axis=0)
                d_g_x[:, t] = d_gx_t
                d_state_t = (d_state_prev[0] + d_gh_t @ W_hh,) + d_state_prev[1:]
            dW_ih = d_g_x.reshape(N * T, -1).T @ layer_in.reshape(N * T, -1)
            db_ih = d_g_x.sum(axis=(0, 1))
            names = self._names(k)
            grads[names[0]], grads[names[1]] = dW_ih, dW_hh
            if self.bias:
                grads[names[2]], grads[names[3]] = db_ih, db_hh
            for i in range(self.n_states):
                d_init[i][k] = d_state_t[i]
            d_layer_out = d_g_x @ W_ih  # gradient for the layer below (or for x)
        grads = {n: grads[n] for n in self.params()}  # torch's order
        grads["x"] = d_layer_out
        grads["h0"] = d_init[0]
        if self.n_states > 1:
            grads["c0"] = d_init[1]
        return grads

    # -- per-cell pieces (overridden) -----------------------------------------

    def _cell(self, g_x: np.ndarray, g_h: np.ndarray, state: tuple) -> tuple[tuple, tuple]:
        raise NotImplementedError

    def _cell_backward(self, d_state: tuple, cache: tuple) -> tuple:
        raise NotImplementedError

    # -- torch interop --------------------------------------------------------

    @classmethod
    def _init_kwargs(cls, module: Any) -> dict[str, Any]:
        return {}

    @classmethod
    def from_torch(cls, module: Any) -> Recurrent:
        """Copy a unidirectional ``torch.nn.RNN/LSTM/GRU`` (``batch_first`` either way).

        Our ``forward`` always takes batch-first input; inter-layer dropout is not
        applied (torch in ``eval()`` mode).
        """
        where = f"{cls.__name__}.from_torch"
        modes = (cls.torch_mode,) if cls is not RNN else ("RNN_TANH", "RNN_RELU")
        if getattr(module, "mode", None) not in modes:
            raise TypeError(
                f"{where}: expected a torch.nn.{cls.__name__}, got {type(module).__name__}"
            )
        if module.bidirectional:
            raise ValueError(f"{where}: bidirectional modules are not supported")
        if getattr(module, "proj_size", 0):
            raise ValueError(f"{where}: proj_size > 0 is not supported")
        ours = cls(
            module.input_size,
            module.hidden_size,
            module.num_layers,
            bias=module.bias,
            **cls._init_kwargs(module),
        )
        for name in ours.params():
            setattr(ours, name, getattr(module, name).detach().cpu().double().numpy().copy())
        return ours


class RNN(Recurrent):
    r"""Vanilla (Elman) RNN, as ``torch.nn.RNN``.

    $$
    h_t = \phi(W_{xh} x_t + b_{xh} + W_{hh} h_{t-1} + b_{hh}), \quad \phi = \tanh
    \text{ or ReLU}
    $$

    The same function and the same weights at every step. A batch holds one
    example per row, so the code computes ``x_t @ W_xh.T``.

    Examples
    --------
    >>> rnn = RNN(3, 4, num_layers=2, rng=0)
    >>> out, h_n = rnn(np.ones((2, 5, 3)))
    >>> print(out.shape, h_n.shape, bool(np.allclose(out[:, -1], h_n[-1])))
    (2, 5, 4) (2, 2, 4) True
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        rng: RNG = None,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: expected nonlinearity 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, rng)

    def _cell(self, g_x, g_h, state):
        a_t = g_x + g_h
        h_t = tanh(a_t) if self.nonlinearity == "tanh" else relu(a_t)
        return (h_t,), (state[0], a_t, h_t)

    def _cell_backward(self, d_state, cache):
        h_prev, a_t, h_t = cache
        if self.nonlinearity == "tanh":
            d_a = tanh_backward(d_state[0], h_t)
        else:
            d_a = relu_backward(d_state[0], a_t)
        return d_a, d_a, (0.0,)  # h_prev reaches h_t only through W_hh

    @classmethod
    def _init_kwargs(cls, module):
        return {"nonlinearity": module.nonlinearity}


class LSTM(Recurrent):
    r"""Long short-term memory, as ``torch.nn.LSTM`` (gate order i, f, g, o).

    $$
    i_t = \sigma(a^i_t),\ f_t = \sigma(a^f_t),\ \tilde c_t = \tanh(a^g_t),\ o_t = \sigma(a^o_t)
    $$

    $$
    c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t, \qquad h_t = o_t \odot \tanh(c_t)
    $$

    with $a_t = W_{xh} x_t + b_{xh} + W_{hh} h_{t-1} + b_{hh} \in \mathbb{R}^{4H}$ and
    $a_t = [a^i_t; a^f_t; a^g_t; a^o_t]$: all four blocks in one matrix product
    ((N, 4H) for a batch). The state is the tuple ``(h, c)``.

    Examples
    --------
    >>> lstm = LSTM(3, 4, rng=0)
    >>> out, (h_n, c_n) = lstm(np.ones((2, 5, 3)))
    >>> print(out.shape, h_n.shape, c_n.shape, lstm.num_parameters())
    (2, 5, 4) (1, 2, 4) (1, 2, 4) 144
    """

    gate_blocks, n_states, torch_mode = 4, 2, "LSTM"

    def _cell(self, g_x, g_h, state):
        h_prev, c_prev = state
        a_i, a_f, a_g, a_o = np.split(g_x + g_h, 4, axis=1)
        i_t, f_t, g_t, o_t = sigmoid(a_i), sigmoid(a_f), tanh(a_g), sigmoid(a_o)
        c_t = f_t * c_prev + i_t * g_t
        tanh_c = tanh(c_t)
        h_t = o_t * tanh_c
        return (h_t, c_t), (h_prev, c_prev, i_t, f_t, g_t, o_t, tanh_c)

    def _cell_backward(self, d_state, cache):
        h_prev, c_prev, i_t, f_t, g_t, o_t, tanh_c = cache
        dh_t, dc_t = d_state
        dc_t = dc_t + tanh_backward(dh_t * o_t, tanh_c)  # c_t reaches the loss directly and via h_t
        d_a = np.concatenate(
            [
                sigmoid_backward(dc_t * g_t, i_t),
                sigmoid_backward(dc_t * c_prev, f_t),
                tanh_backward(dc_t * i_t, g_t),
                sigmoid_backward(dh_t * tanh_c, o_t),
            ],
            axis=1,
        )
        # the conveyor belt: c_{t-1} gets dc_t scaled only by the forget gate
        return d_a, d_a, (0.0, dc_t * f_t)


class GRU(Recurrent):
    r"""Gated recurrent unit, as ``torch.nn.GRU`` (gate order r, z, n).

    $$
    \begin{aligned}
    r_t &= \sigma(W_{xr} x_t + b_{xr} + W_{hr} h_{t-1} + b_{hr}), \quad
    z_t = \sigma(W_{xz} x_t + b_{xz} + W_{hz} h_{t-1} + b_{hz}), \\
    n_t &= \tanh\big(W_{xn} x_t + b_{xn} + r_t \odot (W_{hn} h_{t-1} + b_{hn})\big), \quad
    h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}
    \end{aligned}
    $$

    with the blocks stacked in the order r, z, n: $W_{xh} = [W_{xr}; W_{xz}; W_{xn}]$
    (3H, D), $W_{hh} = [W_{hr}; W_{hz}; W_{hn}]$ (3H, H), and the biases likewise.
    The reset gate multiplies $W_{hn} h_{t-1} + b_{hn}$ (PyTorch's convention).
    Three gate blocks instead of the LSTM's four: 3/4 of the parameters.

    Examples
    --------
    >>> gru, lstm = GRU(3, 4, rng=0), LSTM(3, 4, rng=0)
    >>> print(gru.num_parameters(), lstm.num_parameters())
    108 144
    """

    gate_blocks, n_states, torch_mode = 3, 1, "GRU"

    def _cell(self, g_x, g_h, state):
        h_prev = state[0]
        x_r, x_z, x_n = np.split(g_x, 3, axis=1)
        h_r, h_z, h_n = np.split(g_h, 3, axis=1)
        r_t, z_t = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
        n_t = tanh(x_n + r_t * h_n)
        h_t = (1.0 - z_t) * n_t + z_t * h_prev
        return (h_t,), (h_prev, r_t, z_t, n_t, h_n)

    def _cell_backward(self, d_state, cache):
        h_prev, r_t, z_t, n_t, h_n = cache
        dh_t = d_state[0]
        d_an = tanh_backward(dh_t * (1.0 - z_t), n_t)
        d_az = sigmoid_backward(dh_t * (h_prev - n_t), z_t)
        d_ar = sigmoid_backward(d_an * h_n, r_t)
        d_gx = np.concatenate([d_ar, d_az, d_an], axis=1)
        d_gh = np.concatenate([d_ar, d_az, d_an * r_t], axis=1)  # r_t gates the h-part of n
        return d_gx, d_gh, (dh_t * z_t,)  # the z_t ⊙ h_{t-1} shortcut


# --- the scalar linear RNN of the counting exercise (S2.2) --------------------


class LinearRNN:
    r"""Scalar linear RNN $h_t = w_\text{rec}\, h_{t-1} + w_x\, x_t$, $h_0 = 0$, for counting ones.

    With $w_x = w_\text{rec} = 1$ the final state $h_T$ is the number of ones in a
    binary sequence. The loss is the mean squared error on the final state,
    $\mathcal{L} = \frac1N\sum_n (h_T^{(n)} - y^{(n)})^2$, and the gradients follow from
    the chain rule, unrolled from the last step back:

    $$
    \frac{\partial \mathcal{L}}{\partial h_{t-1}} =
    \frac{\partial \mathcal{L}}{\partial h_t} w_\text{rec},\quad
    \frac{\partial \mathcal{L}}{\partial w_x} =
    \sum_t \frac{\partial \mathcal{L}}{\partial h_t} x_t,\quad
    \frac{\partial \mathcal{L}}{\partial w_\text{rec}} =
    \sum_t \frac{\partial \mathcal{L}}{\partial h_t} h_{t-1}
    $$

    Examples
    --------
    >>> X = np.array([[1.0, 0.0, 1.0, 1.0]])
    >>> print(LinearRNN(w_x=1.0, w_rec=1.0).forward(X)[:, -1])
    [3.]
    """

    def __init__(self, w_x: float = 0.5, w_rec: float = 0.5):
        self.w_x, self.w_rec = float(w_x), float(w_rec)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """X: (N, T) → states (N, T + 1): column t is h_t, column 0 is h_0 = 0."""
        check_shape("LinearRNN.forward", "X", X, ("N", "T"))
        N, T = X.shape
        S = np.zeros((N, T + 1))
        for k in range(1, T + 1):
            S[:, k] = S[:, k - 1] * self.w_rec + X[:, k - 1] * self.w_x
        return S

    def loss(self, X: np.ndarray, targets: np.ndarray) -> float:
        r"""Mean squared error of the final state, $\mathcal{L}$."""
        return float(np.mean((self.forward(X)[:, -1] - targets) ** 2))

    def gradients(self, X: np.ndarray, targets: np.ndarray) -> tuple[float, float]:
        r"""Gradients of the loss with respect to $w_x$ and $w_\text{rec}$, by BPTT.

        Returns $(\partial\mathcal{L}/\partial w_x, \partial\mathcal{L}/\partial w_\text{rec})$,
        applying the chain rule from the last step back to the first.
        """
        S = self.forward(X)
        N, T = X.shape
        dS = 2.0 * (S[:, -1] - targets) / N  # d(loss)/dh_T
        dw_x = dw_rec = 0.0
        for k in range(T, 0, -1):
            dw_x += float(np.sum(dS * X[:, k - 1]))
            dw_rec += float(np.sum(dS * S[:, k - 1]))
            dS = dS * self.w_rec  # d(loss)/dh_{k-1}
        return dw_x, dw_rec

    def fit(self, X: np.ndarray, targets: np.ndarray, lr: float, steps: int) -> list[float]:
        r"""Plain gradient descent on $w_x, w_\text{rec}$; returns the loss before each step.

        The gradient reaching $h_t$ scales like $w_\text{rec}^{\,T-t}$, so keep
        sequences short (or the learning rate $\eta$ = ``lr`` small): with $T = 4$
        and $\eta = 0.02$ it converges; with $T = 6$ the same rate overshoots and
        stalls far from the answer, while $\eta = 0.005$ converges.

        Examples
        --------
        >>> X = np.random.default_rng(0).integers(0, 2, size=(20, 4)).astype(float)
        >>> model = LinearRNN(w_x=0.5, w_rec=0.5)
        >>> history = model.fit(X, X.sum(axis=1), lr=0.02, steps=500)
        >>> print(round(model.w_x, 3), round(model.w_rec, 3), history[-1] < 1e-8)
        1.0 1.0 True
        """
        history = []
        for _ in range(steps):
            history.append(self.loss(X, targets))
            dw_x, dw_rec = self.gradients(X, targets)
            self.w_x -= lr * dw_x
            self.w_rec -= lr * dw_rec
        return history


# --- tools: clipping, truncated BPTT, gradient flow ---------------------------


def clip_grad_norm(
    grads: dict[str, np.ndarray], max_norm: float, skip: tuple[str, ...] = ("x", "h0", "c0")
) -> float:
    r"""Clip gradients by their global L2 norm, in place, as ``torch.nn.utils.clip_grad_norm_``.

    $$
    \|\nabla \mathcal{L}\| = \sqrt{\textstyle\sum_{W} \|\partial \mathcal{L}/\partial W\|^2}, \qquad
    \nabla \mathcal{L} \leftarrow \nabla \mathcal{L} \cdot
    \min\Big(1, \frac{\theta}{\|\nabla \mathcal{L}\| + 10^{-6}}\Big)
    $$

    The sum runs over every gradient array in ``grads`` except the input
    gradients (``skip``), which are neither counted nor scaled. The factor is
    below 1 only when $\|\nabla \mathcal{L}\| + 10^{-6} > \theta$; the new norm is
    then a hair below $\theta$.

    Parameters
    ----------
    grads : dict name → ndarray
    max_norm : float
        $\theta$.

    Returns
    -------
    float
        The total norm before clipping.

    Examples
    --------
    >>> g = {"w": np.array([3.0, 4.0])}
    >>> print(clip_grad_norm(g, 1.0), np.round(g["w"], 4))
    5.0 [0.6 0.8]
    """
    names = [k for k in grads if k not in skip]
    total = float(np.sqrt(sum(float(np.sum(grads[k] ** 2)) for k in names)))
    coef = min(max_norm / (total + 1e-6), 1.0)  # torch adds 1e-6 too
    for k in names:
        grads[k] *= coef
    return total


def truncated_bptt(
    model: Recurrent, x: np.ndarray, k: int, d_output: np.ndarray, h0: State = None
) -> tuple[np.ndarray, State, dict[str, np.ndarray]]:
    r"""Truncated BPTT: run a long sequence in chunks of ``k`` steps ($T_\text{chunk}$).

    The state is carried forward from chunk to chunk, but gradients are not
    carried back: each chunk's backward starts with no gradient on its final
    state (nothing from the next chunk), and its gradient w.r.t. its initial
    state is dropped (the "detach"). So the loss at step $t$ reaches back only
    to the start of its chunk, at most ``k`` steps. Parameter gradients are
    summed over chunks.

    Parameters
    ----------
    model : RNN, LSTM or GRU
    x : ndarray, shape (N, T, D)
    k : int
        Chunk length.
    d_output : ndarray, shape (N, T, H)
        Gradient of the loss w.r.t. the outputs.
    h0 : optional initial state

    Returns
    -------
    output : (N, T, H), state : final state, grads : dict (params and ``"x"``)

    Examples
    --------
    >>> rnn = RNN(1, 2, rng=0)
    >>> x, d = np.ones((1, 6, 1)), np.zeros((1, 6, 2))
    >>> d[:, -1] = 1.0  # loss on the last output only
    >>> _, _, g = truncated_bptt(rnn, x, 2, d)
    >>> print((np.abs(g["x"][0, :, 0]) > 0).tolist())
    [False, False, False, False, True, True]
    """
    T = x.shape[1]
    outputs, grads, state = [], {}, h0
    d_x = np.zeros_like(x)
    for start in range(0, T, k):
        chunk = slice(start, min(start + k, T))
        out, state = model.forward(x[:, chunk], state)
        g = model.backward(d_output[:, chunk])  # no gradient from the next chunk
        d_x[:, chunk] = g["x"]
        for name in model.params():
            grads[name] = grads.get(name, 0.0) + g[name]
        outputs.append(out)
    grads["x"] = d_x
    return np.concatenate(outputs, axis=1), state, grads


def gradient_norms_vs_distance(
    model: Recurrent, x: np.ndarray, h0: State = None, wrt: str = "h"
) -> np.ndarray:
    r"""$\|\partial h_T / \partial h_{T-j}\|_F$ for $j = 0, \dots, T-1$, averaged over the batch.

    How strongly the last hidden state (of the top layer) depends on the state
    $j$ steps earlier. For an RNN, $\partial h_T/\partial h_t$ is the product
    $\operatorname{diag}(\phi'(a_T))\, W_{hh} \cdots \operatorname{diag}(\phi'(a_{t+1}))\, W_{hh}$,
    so its spectral norm is at most $(\gamma\rho)^{T-t}$ with
    $\rho = \sigma_{\max}(W_{hh})$ and $\gamma = \max\lvert\phi'\rvert$ (1 for tanh
    and ReLU). $\gamma\rho < 1$ makes the norm shrink with $j$; $\rho > 1$ only
    allows growth, it does not cause it (see :meth:`Recurrent.set_spectral_norm`).
    The full Jacobian is obtained by backpropagating each unit vector $e_i$ as
    $\partial \mathcal{L}/\partial h_T$ (H backward passes in one batch).
    With ``wrt="x"`` it returns $\|\partial h_T/\partial x_{T-j}\|_F$ instead.

    Returns
    -------
    ndarray, shape (T,)
        Entry $j$ is the norm at distance $j$; entry 0 is $\sqrt{H}$ for ``wrt="h"``.

    Examples
    --------
    >>> rnn = RNN(2, 4, rng=0)
    >>> rnn.set_spectral_norm(0.5)
    >>> norms = gradient_norms_vs_distance(rnn, np.ones((1, 10, 2)))
    >>> print(norms.shape, bool(norms[-1] < 1e-2 * norms[0]))
    (10,) True
    """
    N, T, _ = x.shape
    H = model.hidden_size
    # one copy of the batch per unit vector e_i: row i*N + n backpropagates e_i for sample n
    x_rep = np.tile(x, (H, 1, 1))
    if h0 is not None:
        h0 = tuple(np.tile(s, (1, H, 1)) for s in model._as_tuple(h0))
        h0 = model._from_tuple(h0)
    model.forward(x_rep, h0)
    d_output = np.zeros((H * N, T, H))
    d_output[:, -1] = np.repeat(np.eye(H), N, axis=0)
    grads = model.backward(d_output)
    J = model.grad_h[-1] if wrt == "h" else grads["x"]  # (H*N, T, H or D)
    J = J.reshape(H, N, T, -1)
    norms = np.sqrt(np.sum(J**2, axis=(0, 3))).mean(axis=0)  # Frobenius per sample, batch mean
    return norms[::-1].copy()
