"""seqnotes.scratch.layers against torch.nn modules and centred differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from _compare import NUM_RTOL, assert_forward, assert_grad, rng, torch_module, tt
from seqnotes.scratch.functional import gradcheck
from seqnotes.scratch.layers import (
    Conv2d,
    Dropout,
    Embedding,
    LayerNorm,
    Linear,
    as_rng,
    conv_output_size,
)


def _run_torch(module, x, d_out):
    x_t = tt(x)
    y_t = module(x_t)
    y_t.backward(tt(d_out, grad=False))
    return x_t, y_t


def _check_against_torch(ours, module, x, names):
    y = ours(x)
    d_out = rng(99).normal(size=y.shape)
    x_t, y_t = _run_torch(module, x, d_out)
    assert_forward(y, y_t)
    grads = ours.backward(d_out)
    assert_grad(grads["x"], x_t.grad)
    for name in names:
        assert_grad(grads[name], getattr(module, name).grad)
    return d_out, grads


def _numeric_check(layer, x, d_out, grads):
    def f():
        return float(np.sum(layer.forward(x) * d_out))

    assert gradcheck(f, x, grads["x"]) < NUM_RTOL
    for name, p in layer.params().items():
        assert gradcheck(f, p, grads[name]) < NUM_RTOL, name


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(
    ("lead", "d_in", "d_out"), [((4,), 3, 2), ((2, 3), 5, 4), ((1, 2, 2), 1, 6)]
)
def test_linear_matches_torch(lead, d_in, d_out, bias):
    module = torch_module(torch.nn.Linear, d_in, d_out, bias=bias, seed=d_in)
    ours = Linear.from_torch(module)
    assert set(ours.params()) == ({"weight", "bias"} if bias else {"weight"})
    x = rng(d_in).normal(size=lead + (d_in,))
    d, grads = _check_against_torch(ours, module, x, ["weight"] + (["bias"] if bias else []))
    _numeric_check(ours, x, d, grads)


def test_linear_init_is_seeded_and_bounded():
    a, b = Linear(16, 8, rng=3), Linear(16, 8, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.weight, b.weight)
    assert np.abs(a.weight).max() <= 0.25 and a.weight.shape == (8, 16)
    assert not np.array_equal(Linear(16, 8).weight, Linear(16, 8, rng=1).weight)
    assert as_rng(None).integers(1000) == as_rng(0).integers(1000)


@pytest.mark.parametrize(("V", "E", "shape"), [(5, 3, (4,)), (7, 2, (2, 6))])
def test_embedding_matches_torch(V, E, shape):
    module = torch_module(torch.nn.Embedding, V, E, seed=V)
    ours = Embedding.from_torch(module)
    ids = rng(V).integers(0, V, size=shape)
    ids[0] = ids.flat[-1]  # a repeated id accumulates
    y = ours(ids)
    d_out = rng(1).normal(size=y.shape)
    y_t = module(torch.tensor(ids))
    y_t.backward(tt(d_out, grad=False))
    assert_forward(y, y_t)
    grads = ours.backward(d_out)
    assert set(grads) == {"weight"}
    assert_grad(grads["weight"], module.weight.grad)
    f = lambda: float(np.sum(ours.forward(ids) * d_out))  # noqa: E731
    assert gradcheck(f, ours.weight, grads["weight"]) < NUM_RTOL


@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 5)])
@pytest.mark.parametrize("norm_dims", [1, 2])
def test_layernorm_matches_torch(shape, norm_dims):
    normalized = shape[-norm_dims:]
    module = torch_module(torch.nn.LayerNorm, normalized)
    with torch.no_grad():  # non-trivial affine parameters
        module.weight.normal_()
        module.bias.normal_()
    ours = LayerNorm.from_torch(module)
    x = rng(2).normal(size=shape) * 3 + 1
    d, grads = _check_against_torch(ours, module, x, ["weight", "bias"])
    _numeric_check(ours, x, d, grads)


@pytest.mark.parametrize(
    ("C_in", "C_out", "K", "stride", "padding", "HW"),
    [
        (1, 2, 3, 1, 0, (5, 6)),
        (2, 3, 3, 2, 1, (7, 7)),
        (3, 2, (2, 3), (1, 2), (1, 0), (5, 7)),
        (2, 1, 1, 1, 2, (3, 3)),
    ],
)
def test_conv2d_matches_torch(C_in, C_out, K, stride, padding, HW):
    module = torch_module(torch.nn.Conv2d, C_in, C_out, K, stride=stride, padding=padding)
    ours = Conv2d.from_torch(module)
    x = rng(3).normal(size=(2, C_in) + HW)
    d, grads = _check_against_torch(ours, module, x, ["weight", "bias"])
    K_H, K_W = ours.kernel_size
    assert grads["x"].shape == x.shape
    assert d.shape[2:] == (
        conv_output_size(HW[0], K_H, ours.stride[0], ours.padding[0]),
        conv_output_size(HW[1], K_W, ours.stride[1], ours.padding[1]),
    )
    _numeric_check(ours, x, d, grads)


def test_conv_output_size_formula():
    assert conv_output_size(28, 5) == 24  # H - K + 1
    assert conv_output_size(28, 3, stride=1, padding=1) == 28  # "same"
    assert conv_output_size(7, 3, stride=2) == 3


def test_conv2d_backward_is_a_convolution_with_the_flipped_kernel():
    # dx of a stride-1, unpadded conv = full correlation of dy with the flipped kernel
    conv = Conv2d(1, 1, 3, bias=False, rng=0)
    x = rng(4).normal(size=(1, 1, 6, 6))
    d_out = rng(5).normal(size=conv(x).shape)
    dx = conv.backward(d_out)["x"]
    full = Conv2d(1, 1, 3, padding=2, bias=False)
    full.weight = conv.weight[:, :, ::-1, ::-1].copy()
    np.testing.assert_allclose(full(d_out), dx, atol=1e-12)


def test_dropout_train_and_eval():
    drop = Dropout(0.25, rng=0)
    x = np.ones((200, 50))
    y = drop(x)
    dropped = y == 0
    assert abs(dropped.mean() - 0.25) < 0.02
    np.testing.assert_allclose(y[~dropped], 1 / 0.75)
    d = rng(1).normal(size=x.shape)
    np.testing.assert_array_equal(drop.backward(d)["x"], d * y)  # same mask as the forward
    assert np.array_equal(Dropout(0.25, rng=7)(x), Dropout(0.25, rng=7)(x))
    drop.eval()
    np.testing.assert_array_equal(drop(x), x)
    np.testing.assert_array_equal(drop.backward(d)["x"], d)
    # torch agrees on eval behaviour and on the train-mode scale
    torch_drop = torch.nn.Dropout(0.25).eval()
    assert_forward(drop(x), torch_drop(tt(x)))
    y_t = torch.nn.Dropout(0.25).train()(tt(x))
    assert set(np.unique(y_t.detach().numpy()).round(8)) == {0.0, round(1 / 0.75, 8)}
    with pytest.raises(ValueError, match="Dropout"):
        Dropout(1.0)


@pytest.mark.parametrize(
    "layer", [Linear(3, 2), LayerNorm(3), Conv2d(1, 1, 2), Embedding(3, 2), Dropout(0.1)]
)
def test_backward_before_forward(layer):
    with pytest.raises(RuntimeError, match=r"\.backward: call forward before backward"):
        layer.backward(np.zeros((1, 2)))


def test_bad_inputs():
    with pytest.raises(
        ValueError, match=r"Linear.forward: expected x of shape \(\?, \?, 3\), got \(4, 5, 7\)"
    ):
        Linear(3, 2)(np.zeros((4, 5, 7)))
    with pytest.raises(TypeError, match="Linear.forward: expected x with a floating-point dtype"):
        Linear(3, 2)(np.zeros((4, 3), dtype=int))
    with pytest.raises(
        ValueError, match=r"Conv2d.forward: expected x of shape \(N, 2, H, W\), got \(1, 3, 5, 5\)"
    ):
        Conv2d(2, 1, 3)(np.zeros((1, 3, 5, 5)))
    with pytest.raises(ValueError, match=r"Conv2d.forward: expected x of shape"):
        Conv2d(2, 1, 3)(np.zeros((2, 5, 5)))
    with pytest.raises(ValueError, match="smaller than the kernel"):
        Conv2d(1, 1, 3)(np.zeros((1, 1, 2, 2)))
    with pytest.raises(
        ValueError, match=r"Embedding.forward: expected ids in \[0, 3\), got values in \[0, 3\]"
    ):
        Embedding(3, 2)(np.array([0, 3]))
    with pytest.raises(TypeError, match="integer dtype"):
        Embedding(3, 2)(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"LayerNorm.forward: expected x of shape \(\?, 4\)"):
        LayerNorm(4)(np.zeros((2, 3)))
