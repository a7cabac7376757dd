"""seqnotes.scratch.attention against torch (float64), numerical gradients and the notes' facts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from _compare import assert_forward, assert_grad, nd, rng, torch_module, tt
from seqnotes.scratch.attention import (
    AdditiveAttention,
    MultiheadAttention,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
)
from seqnotes.scratch.functional import causal_mask, gradcheck

NUM_RTOL = 1e-7


def _mask(kind: str, L: int, S: int, r: np.random.Generator, lead: tuple[int, ...] = ()):
    """A mask for tests: none, bool (random, never a fully blocked row), float, causal."""
    if kind == "none":
        return None
    if kind == "causal":
        return causal_mask(S)[-L:] if L <= S else None
    if kind == "bool":
        m = r.random((*lead, L, S)) < 0.4
        m[..., 0] = False  # keep one key allowed per row
        return m
    return r.normal(size=(*lead, L, S))  # float, additive


# ------------------------------------------------------------ scaled dot-product


def test_thinking_machines_numbers():
    q = np.ones((1, 64))
    k = np.stack([np.full(64, 1.75), np.full(64, 1.5)])
    scores = (q @ k.T)[0]
    assert scores.tolist() == [112.0, 96.0]
    assert (scores / np.sqrt(64)).tolist() == [14.0, 12.0]
    _, w = scaled_dot_product_attention(q, k, np.eye(2))
    assert np.round(w[0], 4).tolist() == [0.8808, 0.1192]
    # V may have another dimension than Q and K: the output takes V's.
    out, _ = scaled_dot_product_attention(q, k, np.ones((2, 5)))
    assert out.shape == (1, 5)


@pytest.mark.parametrize("lead", [(), (2,), (2, 3)])
@pytest.mark.parametrize("kind", ["none", "bool", "float", "causal"])
def test_sdpa_matches_torch(lead, kind):
    r = rng(len(lead))
    L, S, d_k, d_v = 3, 4, 5, 2
    q, k, v = (
        r.normal(size=(*lead, L, d_k)),
        r.normal(size=(*lead, S, d_k)),
        r.normal(size=(*lead, S, d_v)),
    )
    mask = _mask(kind, L, S, r, lead if kind != "causal" else ())
    out, w = scaled_dot_product_attention(q, k, v, mask)
    assert np.allclose(w.sum(-1), 1.0) and (w >= 0).all()

    tq, tk, tv = tt(q), tt(k), tt(v)
    # torch's functional bool mask means the opposite: True = may attend.
    tmask = (
        None if mask is None else (torch.tensor(~mask) if mask.dtype == bool else tt(mask, False))
    )
    t_out = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=tmask)
    assert_forward(out, t_out)
    d_out = r.normal(size=out.shape)
    t_out.backward(torch.tensor(d_out))
    dq, dk, dv = scaled_dot_product_attention_backward(d_out, q, k, v, w)
    for ours, theirs in ((dq, tq), (dk, tk), (dv, tv)):
        assert_grad(ours, theirs.grad)


def test_sdpa_broadcast_mask_and_blocked_positions():
    r = rng(1)
    q, k, v = r.normal(size=(2, 3, 4)), r.normal(size=(2, 5, 4)), r.normal(size=(2, 5, 3))
    pad = np.zeros((2, 1, 5), dtype=bool)
    pad[1, :, 3:] = True  # mask (N, 1, S) broadcasts over queries
    out, w = scaled_dot_product_attention(q, k, v, pad)
    assert (w[1, :, 3:] == 0).all()
    out2, _ = scaled_dot_product_attention(q[1:], k[1:, :3], v[1:, :3])
    assert np.allclose(out[1:], out2)


def test_sdpa_numerical_gradient():
    r = rng(2)
    q, k, v = r.normal(size=(2, 3, 4)), r.normal(size=(2, 4, 4)), r.normal(size=(2, 4, 2))
    mask = _mask("bool", 3, 4, r)
    G = r.normal(size=(2, 3, 2))
    out, w = scaled_dot_product_attention(q, k, v, mask)
    grads = scaled_dot_product_attention_backward(G, q, k, v, w)

    def f() -> float:
        return float(np.sum(scaled_dot_product_attention(q, k, v, mask)[0] * G))

    for x, g in zip((q, k, v), grads, strict=True):
        assert gradcheck(f, x, g) < NUM_RTOL


def test_sdpa_bad_inputs():
    r = rng(3)
    q, k, v = r.normal(size=(3, 4)), r.normal(size=(5, 4)), r.normal(size=(5, 2))
    with pytest.raises(ValueError, match=r"expected k of shape \(S, d_k=4\), got \(5, 3\)"):
        scaled_dot_product_attention(q, k[:, :3], v)
    with pytest.raises(ValueError, match=r"expected v of shape \(S=5, d_v\), got \(4, 2\)"):
        scaled_dot_product_attention(q, k, v[:4])
    with pytest.raises(
        ValueError, match=r"mask broadcastable to \(\.\.\., L=3, S=5\), got \(3, 4\)"
    ):
        scaled_dot_product_attention(q, k, v, np.zeros((3, 4), dtype=bool))
    with pytest.raises(TypeError, match="bool or floating-point"):
        scaled_dot_product_attention(q, k, v, np.zeros((3, 5), dtype=int))
    with pytest.raises(TypeError, match="floating-point"):
        scaled_dot_product_attention(q.astype(int), k, v)


# ---------------------------------------------------------------------- additive


def test_additive_attention_forward_and_mask():
    att = AdditiveAttention(dec_dim=3, enc_dim=4, attn_dim=5, rng=0)
    r = rng(4)
    s, h = r.normal(size=(2, 3)), r.normal(size=(2, 6, 4))
    mask = np.zeros((2, 6), dtype=bool)
    mask[1, 4:] = True
    c, w = att.forward(s, h, mask)
    assert np.allclose(w.sum(-1), 1) and (w >= 0).all() and (w[1, 4:] == 0).all()
    # The score by hand: v^T tanh(W_s s + W_h h_j), then softmax, then the weighted sum.
    e = np.tanh(s[0] @ att.W_s.weight.T + h[0] @ att.W_h.weight.T) @ att.v.weight[0]
    w0 = np.exp(e - e.max()) / np.exp(e - e.max()).sum()
    assert np.allclose(w[0], w0) and np.allclose(c[0], w0 @ h[0])


@pytest.mark.parametrize("bias", [False, True])
def test_additive_attention_numerical_gradient(bias):
    att = AdditiveAttention(dec_dim=3, enc_dim=2, attn_dim=4, bias=bias, rng=1)
    r = rng(5)
    s, h = r.normal(size=(2, 3)), r.normal(size=(2, 4, 2))
    mask = np.array([[False] * 4, [False, False, True, True]])
    G = r.normal(size=(2, 2))
    att.forward(s, h, mask)
    grads = att.backward(G)

    def f() -> float:
        return float(np.sum(att.forward(s, h, mask)[0] * G))

    targets = {**att.params(), "query": s, "keys": h}
    assert set(grads) == set(targets)
    for name, x in targets.items():
        assert gradcheck(f, x, grads[name]) < NUM_RTOL, name


def test_additive_attention_bad_inputs():
    att = AdditiveAttention(3, 4, 5)
    with pytest.raises(RuntimeError, match="forward"):
        att.backward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"expected keys of shape \(N=2, S, 4\), got \(2, 6, 5\)"):
        att.forward(np.zeros((2, 3)), np.zeros((2, 6, 5)))
    with pytest.raises(ValueError, match=r"expected mask of shape \(N=2, S=6\)"):
        att.forward(np.zeros((2, 3)), np.zeros((2, 6, 4)), np.zeros((2, 5), dtype=bool))


# -------------------------------------------------------------------- multi-head

MHA_CASES = [
    # (E, heads, N, L, S, cross, masks)
    (4, 1, 2, 3, 3, False, "none"),
    (8, 2, 2, 4, 4, False, "kpm"),
    (8, 4, 3, 4, 4, False, "causal+kpm"),
    (6, 3, 2, 3, 5, True, "float_attn"),
    (8, 2, 2, 3, 4, True, "float_kpm+bool_attn"),
    (8, 2, 2, 3, 4, True, "per_head"),
]


def _mha_masks(masks: str, N: int, h: int, L: int, S: int, r: np.random.Generator):
    kpm = attn = None
    if "kpm" in masks:
        kpm = np.zeros((N, S), dtype=bool)
        kpm[0, S - 2 :] = True
        if masks.startswith("float_kpm"):
            kpm = np.where(kpm, -1e4, 0.0) + 0.1 * r.normal(size=(N, S))
    if "causal" in masks:
        attn = causal_mask(L)
    elif "bool_attn" in masks:
        attn = _mask("bool", L, S, r)
    elif masks == "float_attn":
        attn = r.normal(size=(L, S))
    elif masks == "per_head":
        attn = _mask("bool", L, S, r, (N * h,))
    return kpm, attn


def _to_torch_mask(m):
    return None if m is None else (torch.tensor(m) if m.dtype == bool else tt(m, False))


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("E, h, N, L, S, cross, masks", MHA_CASES)
def test_mha_matches_torch(E, h, N, L, S, cross, masks, batch_first):
    r = rng(E + L)
    m = torch_module(torch.nn.MultiheadAttention, E, h, batch_first=batch_first, seed=E)
    with torch.no_grad():  # torch starts the biases at zero; make them count
        m.in_proj_bias.normal_()
        m.out_proj.bias.normal_()
    ours = MultiheadAttention.from_torch(m)
    x = r.normal(size=(N, L, E))
    mem = r.normal(size=(N, S, E)) if cross else x
    kpm, attn = _mha_masks(masks, N, h, L, S, r)
    out, w = ours.forward(x, mem, mem, kpm, attn)
    assert w.shape == (N, h, L, S)
    assert np.allclose(w.sum(-1), 1) and (w >= 0).all()

    tx = tt(x)
    tmem = tt(mem) if cross else tx
    q, kv = (tx, tmem) if batch_first else (tx.transpose(0, 1), tmem.transpose(0, 1))
    t_out, t_w = m(
        q,
        kv,
        kv,
        key_padding_mask=_to_torch_mask(kpm),
        attn_mask=_to_torch_mask(attn),
        average_attn_weights=False,
    )
    t_out = t_out if batch_first else t_out.transpose(0, 1)
    assert_forward(out, t_out)
    assert_forward(w, t_w)

    d_out = r.normal(size=out.shape)
    t_out.backward(torch.tensor(d_out))
    g = ours.backward(d_out)
    for name, p in m.named_parameters():
        assert_grad(g[name], p.grad)
    if cross:
        assert_grad(g["query"], tx.grad)
        assert_grad(g["key"] + g["value"], tmem.grad)
    else:  # query is key is value: the caller sums the three gradients
        assert_grad(g["query"] + g["key"] + g["value"], tx.grad)


def test_mha_without_bias_matches_torch():
    m = torch_module(torch.nn.MultiheadAttention, 4, 2, bias=False, batch_first=True)
    ours = MultiheadAttention.from_torch(m)
    x = rng(0).normal(size=(2, 3, 4))
    out, _ = ours.forward(x, x, x)
    assert set(ours.params()) == {"in_proj_weight", "out_proj.weight"}
    assert_forward(out, m(tt(x), tt(x), tt(x))[0])


def test_mha_numerical_gradient():
    mha = MultiheadAttention(4, 2, rng=0)
    mha.in_proj_bias[...] = rng(1).normal(size=12)
    r = rng(2)
    q, kv = r.normal(size=(2, 3, 4)), r.normal(size=(2, 4, 4))
    kpm, attn = _mha_masks("float_kpm+bool_attn", 2, 2, 3, 4, r)
    G = r.normal(size=(2, 3, 4))
    mha.forward(q, kv, kv, kpm, attn)
    g = mha.backward(G)

    def f() -> float:
        return float(np.sum(mha.forward(q, kv, kv, kpm, attn)[0] * G))

    for name, x in {**mha.params(), "query": q}.items():
        assert gradcheck(f, x, g[name]) < NUM_RTOL, name
    assert gradcheck(f, kv, g["key"] + g["value"]) < NUM_RTOL


def test_self_attention_is_permutation_equivariant():
    """Without positional information, permuting the tokens just permutes the outputs."""
    mha = MultiheadAttention(8, 2, rng=0)
    x = rng(3).normal(size=(1, 5, 8))
    perm = np.array([1, 2, 3, 4, 0])  # ABCDE -> BCDEA
    out, _ = mha.forward(x, x, x)
    out_p, _ = mha.forward(x[:, perm], x[:, perm], x[:, perm])
    assert np.allclose(out_p, out[:, perm])


def test_causal_mask_hides_the_future():
    mha = MultiheadAttention(8, 2, rng=0)
    r = rng(4)
    x = r.normal(size=(2, 6, 8))
    y = x.copy()
    t = 2
    y[:, t + 1 :] = r.normal(size=(2, 6 - t - 1, 8))  # change only what comes after t
    out_x, w = mha.forward(x, x, x, attn_mask=causal_mask(6))
    out_y, _ = mha.forward(y, y, y, attn_mask=causal_mask(6))
    assert np.allclose(out_x[:, : t + 1], out_y[:, : t + 1])
    assert not np.allclose(out_x[:, t + 1 :], out_y[:, t + 1 :])
    assert (np.triu(w[0, 0], k=1) == 0).all()


def test_mha_bad_inputs():
    with pytest.raises(ValueError, match=r"expected embed_dim \(10\) divisible by num_heads \(4\)"):
        MultiheadAttention(10, 4)
    mha = MultiheadAttention(16, 4, rng=0)
    with pytest.raises(RuntimeError, match="call forward before backward"):
        mha.backward(np.zeros((2, 3, 16)))
    x = np.zeros((2, 3, 16))
    msg = r"MultiheadAttention.forward: expected query of shape \(N, L, 16\), got \(2, 3, 15\)"
    with pytest.raises(ValueError, match=msg):
        mha.forward(np.zeros((2, 3, 15)), x, x)
    with pytest.raises(ValueError, match=r"expected query of shape \(N, L, 16\), got \(3, 16\)"):
        mha.forward(np.zeros((3, 16)), x, x)
    with pytest.raises(ValueError, match=r"expected value of shape \(N=2, S=3, 16\)"):
        mha.forward(x, x, np.zeros((2, 4, 16)))
    with pytest.raises(ValueError, match=r"expected key_padding_mask of shape \(N=2, S=3\)"):
        mha.forward(x, x, x, key_padding_mask=np.zeros((2, 4), dtype=bool))
    with pytest.raises(ValueError, match=r"expected attn_mask of shape \(L=3, S=3\), got \(4, 4\)"):
        mha.forward(x, x, x, attn_mask=causal_mask(4))
    with pytest.raises(ValueError, match=r"expected attn_mask of shape \(8, L=3, S=3\)"):
        mha.forward(x, x, x, attn_mask=np.zeros((2, 3, 3), dtype=bool))
    with pytest.raises(TypeError, match="floating-point"):
        mha.forward(x.astype(int), x, x)
    with pytest.raises(ValueError, match="dropout=0"):
        MultiheadAttention.from_torch(torch.nn.MultiheadAttention(4, 2, dropout=0.1))
    with pytest.raises(NotImplementedError, match="kdim"):
        MultiheadAttention.from_torch(torch.nn.MultiheadAttention(4, 2, kdim=3))


def test_mha_parameter_layout_matches_torch():
    mha = MultiheadAttention(12, 3, rng=0)
    shapes = {k: v.shape for k, v in mha.params().items()}
    m = torch.nn.MultiheadAttention(12, 3)
    assert shapes == {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert nd(m.in_proj_weight).shape == (36, 12)
