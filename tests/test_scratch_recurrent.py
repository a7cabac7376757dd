"""seqnotes.scratch.recurrent against torch.nn.RNN/LSTM/GRU, autograd and centred differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from _compare import NUM_RTOL, assert_forward, assert_grad, nd, rng, torch_module, tt
from seqnotes.scratch.functional import gradcheck, rel_error
from seqnotes.scratch.optim import SGD, Adam
from seqnotes.scratch.recurrent import (
    GRU,
    LSTM,
    RNN,
    LinearRNN,
    clip_grad_norm,
    gradient_norms_vs_distance,
    truncated_bptt,
)

TORCH = {"RNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}
OURS = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}


def _state(kind, L, N, H, r):
    h = r.normal(size=(L, N, H))
    return (h, r.normal(size=(L, N, H))) if kind == "LSTM" else h


def _torch_state(state):
    return tuple(tt(s) for s in state) if isinstance(state, tuple) else tt(state)


def _flat(state):
    return state if isinstance(state, tuple) else (state,)


CASES = [
    # kind, D, H, L, N, T, batch_first, bias, nonlinearity, with_h0
    ("RNN", 3, 4, 1, 2, 5, True, True, "tanh", False),
    ("RNN", 2, 3, 2, 3, 4, False, True, "relu", True),
    ("RNN", 4, 5, 2, 1, 3, True, False, "tanh", True),
    ("LSTM", 3, 4, 1, 2, 5, True, True, None, True),
    ("LSTM", 2, 3, 2, 3, 4, False, True, None, False),
    ("LSTM", 5, 2, 2, 2, 3, True, False, None, True),
    ("GRU", 3, 4, 1, 2, 5, False, True, None, True),
    ("GRU", 2, 3, 2, 3, 4, True, True, None, False),
    ("GRU", 4, 2, 2, 2, 3, False, False, None, True),
]


@pytest.mark.parametrize(("kind", "D", "H", "L", "N", "T", "bf", "bias", "nl", "with_h0"), CASES)
def test_matches_torch(kind, D, H, L, N, T, bf, bias, nl, with_h0):
    kwargs = {"nonlinearity": nl} if nl else {}
    module = torch_module(TORCH[kind], D, H, L, bias=bias, batch_first=bf, seed=D * H, **kwargs)
    ours = OURS[kind].from_torch(module)
    r = rng(D + H)
    x = r.normal(size=(N, T, D))
    h0 = _state(kind, L, N, H, r) if with_h0 else None
    d_out = r.normal(size=(N, T, H))
    d_state = _state(kind, L, N, H, r)

    out, state = ours.forward(x, h0)
    x_t = tt(x)
    h0_t = _torch_state(h0) if with_h0 else None
    out_t, state_t = module(x_t if bf else x_t.transpose(0, 1), h0_t)
    if not bf:
        out_t = out_t.transpose(0, 1)
    assert_forward(out, out_t)
    for s, s_t in zip(_flat(state), _flat(state_t), strict=False):
        assert_forward(s, s_t)

    loss_t = (out_t * tt(d_out, False)).sum()
    for s_t, ds in zip(_flat(state_t), _flat(d_state), strict=False):
        loss_t = loss_t + (s_t * tt(ds, False)).sum()
    loss_t.backward()
    grads = ours.backward(d_out, d_state)
    assert list(grads)[: len(ours.params())] == [n for n, _ in module.named_parameters()]
    for name, p in module.named_parameters():
        assert_grad(grads[name], p.grad)
    assert_grad(grads["x"], x_t.grad)
    if with_h0:
        for name, s_t in zip(("h0", "c0"), _flat(h0_t), strict=False):
            assert_grad(grads[name], s_t.grad)


@pytest.mark.parametrize(
    ("kind", "nl"), [("RNN", "tanh"), ("RNN", "relu"), ("LSTM", None), ("GRU", None)]
)
def test_numerical_gradients(kind, nl):
    kwargs = {"nonlinearity": nl} if nl else {}
    model = OURS[kind](2, 3, num_layers=2, rng=1, **kwargs)
    r = rng(2)
    x = r.normal(size=(2, 3, 2))
    h0 = _state(kind, 2, 2, 3, r)
    d_out = r.normal(size=(2, 3, 3))
    d_state = _state(kind, 2, 2, 3, r)

    def f():
        out, state = model.forward(x, h0)
        return float(
            np.sum(out * d_out)
            + sum(np.sum(s * d) for s, d in zip(_flat(state), _flat(d_state), strict=False))
        )

    model.forward(x, h0)
    grads = model.backward(d_out, d_state)
    for name, p in model.params().items():
        assert gradcheck(f, p, grads[name]) < NUM_RTOL, name
    assert gradcheck(f, x, grads["x"]) < NUM_RTOL
    for name, s in zip(("h0", "c0"), _flat(h0), strict=False):
        assert gradcheck(f, s, grads[name]) < NUM_RTOL, name


def test_gru_has_three_quarters_of_lstm_parameters():
    for D, H, L in [(3, 4, 1), (10, 7, 2), (1, 32, 3)]:
        gru, lstm, rnn = GRU(D, H, L), LSTM(D, H, L), RNN(D, H, L)
        assert 4 * gru.num_parameters() == 3 * lstm.num_parameters()
        assert 4 * rnn.num_parameters() == lstm.num_parameters()
        assert lstm.num_parameters() == sum(p.numel() for p in torch.nn.LSTM(D, H, L).parameters())


def test_init_is_seeded_and_torch_bounded():
    a, b = LSTM(3, 4, rng=5), LSTM(3, 4, rng=np.random.default_rng(5))
    for n in a.params():
        np.testing.assert_array_equal(a.params()[n], b.params()[n])
    assert max(np.abs(p).max() for p in a.params().values()) <= 0.5


def test_vanishing_with_tanh_and_small_spectral_norm():
    rnn = RNN(3, 8, rng=0)
    rnn.set_spectral_norm(0.7)
    assert np.isclose(np.linalg.norm(rnn.weight_hh_l0, 2), 0.7)
    x = rng(1).normal(size=(4, 20, 3))
    norms = gradient_norms_vs_distance(rnn, x)
    assert norms.shape == (20,) and np.isclose(norms[0], np.sqrt(8))
    assert np.all(np.diff(norms) < 0)  # strictly decaying with distance
    assert norms[-1] < 0.7**19 * norms[0] * 1.0001


def test_exploding_with_relu_and_large_spectral_norm():
    rnn = RNN(3, 6, nonlinearity="relu", rng=0)
    # positive weights, bias and inputs keep every ReLU active, so dh_T/dh_t = W_hh^(T-t)
    rnn.weight_hh_l0 = np.abs(rnn.weight_hh_l0)
    rnn.weight_ih_l0, rnn.bias_ih_l0 = np.abs(rnn.weight_ih_l0), np.abs(rnn.bias_ih_l0) + 0.1
    rnn.set_spectral_norm(1.5)
    x = np.abs(rng(1).normal(size=(2, 15, 3)))
    norms = gradient_norms_vs_distance(rnn, x)
    assert np.all(np.diff(norms[1:]) > 0)  # growing from one step back onwards
    assert norms[-1] > 30 * norms[0]


def test_jacobian_matches_product_formula():
    # dh_T/dh_t = prod_s diag(1 - h_s^2) W_hh, checked for one sample
    rnn = RNN(2, 3, rng=4)
    x = rng(5).normal(size=(1, 4, 2))
    out, _ = rnn(x)
    J = np.eye(3)
    for s in range(3, 0, -1):  # from h_4 back to h_1
        J = J @ (np.diag(1 - out[0, s] ** 2) @ rnn.weight_hh_l0)
    norms = gradient_norms_vs_distance(rnn, x)
    assert abs(norms[3] - np.linalg.norm(J)) < 1e-12


def test_lstm_carries_gradient_further_than_rnn():
    x = rng(0).normal(size=(4, 30, 3))
    rnn, lstm = RNN(3, 8, rng=0), LSTM(3, 8, rng=0)
    lstm.bias_hh_l0[8:16] += 3.0  # forget gate near 1: the conveyor belt is open
    far_rnn = gradient_norms_vs_distance(rnn, x, wrt="x")[-1]
    far_lstm = gradient_norms_vs_distance(lstm, x, wrt="x")[-1]
    assert far_lstm > 100 * far_rnn


def test_clip_grad_norm_matches_torch():
    r = rng(3)
    for max_norm in (0.5, 100.0):
        grads = {"a": r.normal(size=(3, 4)), "b": r.normal(size=5), "x": r.normal(size=(2,))}
        ts = [tt(grads[k]) for k in ("a", "b")]
        for t_, k in zip(ts, ("a", "b"), strict=False):
            t_.grad = tt(grads[k], False).clone()
        x_before = grads["x"].copy()
        total = clip_grad_norm(grads, max_norm)
        total_t = torch.nn.utils.clip_grad_norm_(ts, max_norm)
        assert abs(total - total_t.item()) < 1e-12
        for t_, k in zip(ts, ("a", "b"), strict=False):
            assert_forward(grads[k], t_.grad)
        np.testing.assert_array_equal(grads["x"], x_before)  # input gradients untouched
    g = {"w": np.array([30.0, 40.0])}
    clip_grad_norm(g, 5.0)
    assert np.isclose(np.linalg.norm(g["w"]), 5.0)


@pytest.mark.parametrize("kind", ["RNN", "LSTM"])
def test_truncated_bptt_reaches_back_only_k_steps(kind):
    model = OURS[kind](2, 3, rng=0)
    x = rng(1).normal(size=(2, 10, 2))
    d_out = np.zeros((2, 10, 3))
    d_out[:, -1] = 1.0  # loss on the last step only
    out_tb, state_tb, g_tb = truncated_bptt(model, x, 4, d_out)
    out, state = model.forward(x)
    g_full = model.backward(d_out)
    assert_forward(out_tb, out)  # the forward pass is not truncated
    for a, b in zip(_flat(state_tb), _flat(state), strict=False):
        assert_forward(a, b)
    # chunks are [0,4) [4,8) [8,10): the last step's loss reaches steps 8 and 9 only
    assert np.all(g_tb["x"][:, :8] == 0) and np.all(g_tb["x"][:, 8:] != 0)
    assert np.all(g_full["x"][:, :8] != 0)
    np.testing.assert_allclose(g_tb["x"][:, 8:], g_full["x"][:, 8:], atol=1e-12)
    # with k >= T it is ordinary BPTT
    _, _, g_all = truncated_bptt(model, x, 10, d_out)
    for name in model.params():
        assert rel_error(g_all[name], g_full[name]) < 1e-12


def test_linear_rnn_counts_ones():
    r = rng(0)
    # short sequences keep plain gradient descent stable (w_rec^T stays moderate)
    X = r.integers(0, 2, size=(20, 4)).astype(float)
    targets = X.sum(axis=1)
    model = LinearRNN(w_x=0.5, w_rec=0.5)
    dw_x, dw_rec = model.gradients(X, targets)
    w = np.array([model.w_x, model.w_rec])

    def f():
        return LinearRNN(w[0], w[1]).loss(X, targets)

    assert gradcheck(f, w, np.array([dw_x, dw_rec])) < NUM_RTOL
    history = model.fit(X, targets, lr=0.02, steps=500)
    assert history[-1] < 1e-8 < history[0]
    assert abs(model.w_x - 1) < 1e-3 and abs(model.w_rec - 1) < 1e-3


def test_optimizers_match_torch():
    r = rng(4)
    w0 = r.normal(size=(3, 2))
    for make_ours, make_theirs in [
        (lambda p: SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
        (
            lambda p: SGD(p, lr=0.1, momentum=0.9),
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        ),
        (lambda p: Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    ]:
        w = w0.copy()
        w_t = tt(w0)
        ours, theirs = make_ours({"w": w}), make_theirs([w_t])
        for step in range(3):
            g = r.normal(size=w.shape)
            ours.step({"w": g, "x": np.zeros(1)})
            w_t.grad = tt(g, False)
            theirs.step()
            assert np.max(np.abs(w - nd(w_t))) < 1e-12, step


def test_bad_inputs():
    lstm = LSTM(8, 4)
    with pytest.raises(
        ValueError, match=r"LSTM.forward: expected x of shape \(N, T, 8\), got \(4, 5, 7\)"
    ):
        lstm.forward(np.zeros((4, 5, 7)))
    with pytest.raises(
        ValueError, match=r"GRU.forward: expected x of shape \(N, T, 8\), got \(5, 8\)"
    ):
        GRU(8, 4).forward(np.zeros((5, 8)))
    with pytest.raises(TypeError, match="RNN.forward: expected x with a floating-point dtype"):
        RNN(8, 4).forward(np.zeros((2, 3, 8), dtype=int))
    with pytest.raises(
        ValueError, match=r"RNN.forward: expected h0 of shape \(1, N=2, 4\), got \(1, 3, 4\)"
    ):
        RNN(8, 4).forward(np.zeros((2, 3, 8)), np.zeros((1, 3, 4)))
    with pytest.raises(TypeError, match=r"expected h0 to be a tuple \(h0, c0\)"):
        lstm.forward(np.zeros((2, 3, 8)), np.zeros((1, 2, 4)))
    with pytest.raises(RuntimeError, match="LSTM.backward: call forward before backward"):
        LSTM(8, 4).backward(np.zeros((2, 3, 4)))
    lstm.forward(np.zeros((2, 3, 8)))
    with pytest.raises(ValueError, match=r"LSTM.backward: expected d_output of shape \(2, 3, 4\)"):
        lstm.backward(np.zeros((2, 3, 5)))
    with pytest.raises(ValueError, match="nonlinearity"):
        RNN(2, 2, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="bidirectional"):
        GRU.from_torch(torch.nn.GRU(2, 3, bidirectional=True))
    with pytest.raises(ValueError, match="proj_size"):
        LSTM.from_torch(torch.nn.LSTM(2, 3, proj_size=2))
    with pytest.raises(TypeError, match="expected a torch.nn.LSTM, got GRU"):
        LSTM.from_torch(torch.nn.GRU(2, 3))
