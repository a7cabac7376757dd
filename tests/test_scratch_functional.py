"""seqnotes.scratch.functional against torch.nn.functional and centred differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from _compare import NUM_RTOL, assert_forward, assert_grad, nd, rng, tt
from seqnotes.scratch import functional as sf


@pytest.mark.parametrize(
    ("ours", "back", "theirs", "uses_output"),
    [
        (sf.sigmoid, sf.sigmoid_backward, torch.sigmoid, True),
        (sf.tanh, sf.tanh_backward, torch.tanh, True),
        (sf.relu, sf.relu_backward, torch.relu, False),
    ],
)
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_activation_matches_torch(ours, back, theirs, uses_output, shape):
    x = rng(1).normal(size=shape) * 3
    d_out = rng(2).normal(size=shape)
    x_t = tt(x)
    y_t = theirs(x_t)
    y_t.backward(tt(d_out, grad=False))
    y = ours(x)
    assert_forward(y, y_t)
    dx = back(d_out, y if uses_output else x)
    assert_grad(dx, x_t.grad)
    f = lambda: float(np.sum(ours(x) * d_out))  # noqa: E731
    assert sf.gradcheck(f, x, dx) < NUM_RTOL


def test_sigmoid_no_overflow_for_large_inputs():
    with np.errstate(over="raise", invalid="raise"):
        y = sf.sigmoid(np.array([-1000.0, 1000.0]))
    np.testing.assert_array_equal(y, [0.0, 1.0])


@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_family_matches_torch(fn, axis):
    x = rng(3).normal(size=(3, 4, 5)) * 5
    d_out = rng(4).normal(size=x.shape)
    x_t = tt(x)
    y_t = getattr(F, fn)(x_t, dim=axis)
    y_t.backward(tt(d_out, grad=False))
    y = getattr(sf, fn)(x, axis=axis)
    assert_forward(y, y_t)
    dx = getattr(sf, fn + "_backward")(d_out, y, axis=axis)
    assert_grad(dx, x_t.grad)
    xs = x[:2, :2, :3].copy()
    ds = d_out[:2, :2, :3]

    def f():
        return float(np.sum(getattr(sf, fn)(xs, axis=axis) * ds))

    dxs = getattr(sf, fn + "_backward")(ds, getattr(sf, fn)(xs, axis=axis), axis=axis)
    assert sf.gradcheck(f, xs, dxs) < NUM_RTOL


def test_softmax_rows_sum_to_one_and_are_stable():
    x = rng(5).normal(size=(6, 7)) * 1000
    y = sf.softmax(x)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, atol=1e-12)
    assert np.all(np.isfinite(sf.log_softmax(x)))


def test_softmax_fully_masked_row_is_zero_not_nan():
    x = np.array([[0.0, 1.0, -np.inf], [-np.inf, -np.inf, -np.inf]])
    y = sf.softmax(x)
    assert not np.any(np.isnan(y))
    np.testing.assert_array_equal(y[1], 0.0)
    assert y[0, 2] == 0.0
    np.testing.assert_allclose(y[0].sum(), 1.0)
    np.testing.assert_array_equal(sf.log_softmax(x)[1], -np.inf)
    assert np.all(sf.softmax_backward(np.ones_like(y), y)[1] == 0.0)


@pytest.mark.parametrize("with_mask", [False, True])
@pytest.mark.parametrize("shape", [(3, 4, 5), (4, 6)])
def test_cross_entropy_matches_torch(shape, with_mask):
    r = rng(6)
    logits = r.normal(size=shape) * 2
    targets = r.integers(0, shape[-1], size=shape[:-1])
    mask = r.random(shape[:-1]) < 0.7 if with_mask else None
    if with_mask:
        mask.flat[0] = True  # at least one token counted
    loss, d = sf.cross_entropy(logits, targets, mask)

    logits_t = tt(logits)
    flat_t = logits_t.reshape(-1, shape[-1])
    tgt = torch.tensor(targets.reshape(-1))
    if with_mask:
        tgt = torch.where(torch.tensor(mask.reshape(-1)), tgt, torch.tensor(-100))
    loss_t = F.cross_entropy(flat_t, tgt, ignore_index=-100)
    loss_t.backward()
    assert abs(loss - loss_t.item()) < 1e-10
    assert_grad(d, logits_t.grad)
    assert sf.gradcheck(lambda: sf.cross_entropy(logits, targets, mask)[0], logits, d) < NUM_RTOL


def test_cross_entropy_padding_does_not_count():
    logits = rng(7).normal(size=(2, 3, 4))
    targets = np.array([[1, 2, 0], [3, 0, 0]])
    mask = np.array([[True, True, False], [True, False, False]])
    loss, d = sf.cross_entropy(logits, targets, mask)
    changed = logits.copy()
    changed[~mask] = 100.0
    assert sf.cross_entropy(changed, targets, mask)[0] == pytest.approx(loss)
    assert np.all(d[~mask] == 0)
    zero_loss, zero_d = sf.cross_entropy(logits, targets, np.zeros_like(mask))
    assert zero_loss == 0.0 and not zero_d.any()


def test_cross_entropy_bad_inputs():
    with pytest.raises(ValueError, match=r"expected targets in \[0, 4\), got values in \[0, 4\]"):
        sf.cross_entropy(np.zeros((1, 2, 4)), np.array([[0, 4]]))
    with pytest.raises(ValueError, match=r"cross_entropy: expected targets of shape \(N=1, T=2\)"):
        sf.cross_entropy(np.zeros((1, 2, 4)), np.array([[0, 1, 2]]))
    with pytest.raises(TypeError, match="floating-point"):
        sf.cross_entropy(np.zeros((1, 2, 4), dtype=int), np.array([[0, 1]]))
    with pytest.raises(TypeError, match="integer"):
        sf.cross_entropy(np.zeros((1, 2, 4)), np.array([[0.0, 1.0]]))


def test_l2_loss_matches_mse_loss():
    pred, target = rng(8).normal(size=(2, 3, 4)), rng(9).normal(size=(2, 3, 4))
    loss, d = sf.l2_loss(pred, target)
    pred_t = tt(pred)
    loss_t = torch.nn.MSELoss()(pred_t, tt(target, grad=False))
    loss_t.backward()
    assert abs(loss - loss_t.item()) < 1e-12
    assert_grad(d, pred_t.grad)
    with pytest.raises(ValueError, match="l2_loss: expected target of shape"):
        sf.l2_loss(pred, target[0])


def test_masks_follow_torch_meaning():
    T = 5
    m = sf.causal_mask(T)
    assert m.dtype == bool and m.shape == (T, T)
    torch_mask = torch.nn.Transformer.generate_square_subsequent_mask(T)
    np.testing.assert_array_equal(m, np.isneginf(nd(torch_mask)))
    # a masked score row through softmax puts no weight on the future
    scores = np.where(m, -np.inf, rng(0).normal(size=(T, T)))
    w = sf.softmax(scores)
    assert np.all(w[m] == 0) and np.allclose(w.sum(-1), 1)
    p = sf.padding_mask(np.array([5, 2, 0]), T)
    assert p.shape == (3, T) and p.dtype == bool
    np.testing.assert_array_equal(p.sum(axis=1), [0, 3, 5])


def test_numerical_gradient_restores_input():
    x = rng(10).normal(size=(3, 2))
    before = x.copy()
    g = sf.numerical_gradient(lambda: float(np.sum(np.sin(x))), x)
    np.testing.assert_array_equal(x, before)
    assert sf.rel_error(g, np.cos(x)) < 1e-8
    assert sf.rel_error(np.zeros(2), np.zeros(2)) == 0.0
