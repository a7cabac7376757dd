"""Behaviour of the NumPy Transformer models: shapes, causality, decoding, patches, sampling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from _compare import assert_forward, rng, tt
from seqnotes.scratch.functional import softmax
from seqnotes.scratch.transformer_models import DecoderOnlyLM, Transformer, ViT, patchify

BOS, EOS = 1, 2


@pytest.fixture(scope="module")
def model() -> Transformer:
    return Transformer(
        src_vocab=11, tgt_vocab=13, d_model=16, nhead=2, dim_feedforward=32, max_len=20, rng=0
    )


# -------------------------------------------------------------------- Transformer


def test_transformer_shapes_and_causality(model):
    r = rng(0)
    src = r.integers(3, 11, size=(2, 6))
    tgt = r.integers(3, 13, size=(2, 5))
    logits = model.forward(src, tgt)
    assert logits.shape == (2, 5, 13)
    # Changing target tokens after t leaves the logits at steps <= t unchanged.
    tgt2 = tgt.copy()
    tgt2[:, 3:] = (tgt[:, 3:] + 1) % 13
    logits2 = model.forward(src, tgt2)
    assert np.allclose(logits[:, :3], logits2[:, :3])
    assert not np.allclose(logits[:, 3:], logits2[:, 3:])
    # ... while every step depends on the source.
    assert not np.allclose(model.forward((src + 1) % 11, tgt)[:, 0], logits[:, 0])


def test_greedy_decode_matches_teacher_forcing(model):
    src = rng(1).integers(3, 11, size=(3, 5))
    out = model.greedy_decode(src, BOS, EOS, max_len=6)
    assert out.shape[0] == 3 and 2 <= out.shape[1] <= 7 and (out[:, 0] == BOS).all()
    # Each generated token is the argmax of the full forward pass on its prefix.
    logits = model.forward(src, out[:, :-1])
    for n in range(3):
        row = out[n, 1:]
        stop = np.flatnonzero(row == EOS)
        k = stop[0] + 1 if stop.size else len(row)
        assert (logits[n, :k].argmax(-1) == row[:k]).all()
        assert (row[k:] == EOS).all()  # finished rows are filled (no pad_id)


def test_greedy_decode_stops_at_eos():
    m = Transformer(10, 10, d_model=8, nhead=2, dim_feedforward=16, max_len=12, pad_id=0, rng=1)
    src = np.array([[3, 4, 5, 0], [6, 7, 0, 0]])
    m.out.weight[...] = 0.0
    m.out.bias[...] = 0.0
    m.out.bias[EOS] = 1.0  # <eos> is always the most likely token
    out = m.greedy_decode(src, BOS, EOS, max_len=8)
    assert out.tolist() == [[BOS, EOS], [BOS, EOS]]
    m.out.bias[EOS], m.out.bias[7] = 0.0, 1.0  # now <eos> never comes
    assert m.greedy_decode(src, BOS, EOS, max_len=8).shape == (2, 9)


def test_transformer_padding_is_ignored():
    m = Transformer(10, 10, d_model=8, nhead=2, dim_feedforward=16, max_len=12, pad_id=0, rng=2)
    tgt = np.array([[BOS, 4, 5]])
    a = m.forward(np.array([[3, 4, 5, 0, 0]]), tgt)
    b = m.forward(np.array([[3, 4, 5]]), tgt)
    assert np.allclose(a, b)


def test_transformer_bad_inputs(model):
    with pytest.raises(ValueError, match=r"expected src_ids in \[0, 11\), got values in \[0, 11\]"):
        model.forward(np.array([[0, 11]]), np.array([[1]]))
    with pytest.raises(ValueError, match=r"expected tgt_ids of shape \(2, T\), got \(1, 2\)"):
        model.forward(np.zeros((2, 3), dtype=int), np.zeros((1, 2), dtype=int))
    with pytest.raises(ValueError, match="sequence length 21 exceeds max_len 20"):
        model.forward(np.zeros((1, 21), dtype=int), np.zeros((1, 2), dtype=int))
    with pytest.raises(ValueError, match="max_len 25 exceeds the model's max_len 20"):
        model.greedy_decode(np.zeros((1, 3), dtype=int), BOS, EOS, max_len=25)
    with pytest.raises(TypeError, match="integer dtype"):
        model.forward(np.zeros((1, 3)), np.zeros((1, 2), dtype=int))


# --------------------------------------------------------------------------- ViT


def test_patchify_then_linear_equals_strided_conv():
    r = rng(3)
    x = r.normal(size=(2, 3, 8, 12))
    patches = patchify(x, 4)
    assert patches.shape == (2, 6, 48)
    assert np.allclose(patches[0, 1], x[0, :, 0:4, 4:8].reshape(-1))  # row-major, (C, p, p)
    W = r.normal(size=(5, 3, 4, 4))
    conv = torch.nn.functional.conv2d(tt(x, False), tt(W, False), stride=4)  # (N, 5, 2, 3)
    assert_forward(patches @ W.reshape(5, -1).T, conv.flatten(2).transpose(1, 2))


def test_patchify_errors():
    with pytest.raises(ValueError, match="expected patch_size dividing H=8 and W=6, got 4"):
        patchify(np.zeros((1, 1, 8, 6)), 4)
    with pytest.raises(ValueError, match=r"expected images of shape \(N, C, H, W\), got \(8, 8\)"):
        patchify(np.zeros((8, 8)), 4)


def test_vit_forward():
    vit = ViT(
        image_size=8,
        patch_size=4,
        in_channels=2,
        num_classes=3,
        d_model=16,
        nhead=2,
        num_layers=2,
        dim_feedforward=32,
        rng=0,
    )
    x = rng(4).normal(size=(5, 2, 8, 8))
    logits = vit.forward(x)
    assert logits.shape == (5, 3) and vit.pos_embed.shape == (1, 5, 16)
    assert np.allclose(vit.forward(x[2:3]), logits[2:3])  # images are independent
    with pytest.raises(
        ValueError, match=r"expected images of shape \(N, 2, 8, 8\), got \(1, 2, 8, 4\)"
    ):
        vit.forward(np.zeros((1, 2, 8, 4)))
    with pytest.raises(ValueError, match="patch_size dividing image_size 8"):
        ViT(8, 3, 1, 2)


# ------------------------------------------------------------------ decoder-only


@pytest.fixture(scope="module")
def lm() -> DecoderOnlyLM:
    return DecoderOnlyLM(vocab_size=20, d_model=16, nhead=2, num_layers=2, max_len=10, rng=0)


def test_lm_is_causal(lm):
    r = rng(5)
    ids = r.integers(0, 20, size=(2, 8))
    other = ids.copy()
    other[:, 5:] = r.integers(0, 20, size=(2, 3))
    a, b = lm.forward(ids), lm.forward(other)
    assert a.shape == (2, 8, 20)
    assert np.allclose(a[:, :5], b[:, :5])


def test_lm_generate(lm):
    prefix = np.array([[1, 2, 3], [4, 5, 6]])
    g = lm.generate(prefix, n_new=4, greedy=True)
    assert g.shape == (2, 7) and (g[:, :3] == prefix).all()
    logits = lm.forward(g[:, :-1])
    assert (logits[:, 2:].argmax(-1) == g[:, 3:]).all()  # greedy = argmax of each prefix
    # Sampling is reproducible from a seed, and a tiny temperature is greedy.
    s1, s2 = lm.generate(prefix, 4, rng=7), lm.generate(prefix, 4, rng=np.random.default_rng(7))
    assert (s1 == s2).all()
    assert (lm.generate(prefix, 4, temperature=1e-6, rng=1) == g).all()
    # DALL-E: text ids [0, 10), image ids [10, 20); only image tokens after the text.
    img = lm.generate(prefix, 5, rng=3, token_range=(10, 20))
    assert (img[:, 3:] >= 10).all()
    # Longer than the context window: only the last max_len tokens are fed back.
    assert lm.generate(prefix, 9, rng=0).shape == (2, 12)


def test_lm_sampling_follows_the_distribution(lm):
    prefix = np.zeros((4000, 1), dtype=int)
    nxt = lm.generate(prefix, 1, temperature=0.5, rng=0)[:, 1]
    p = softmax(lm.forward(prefix[:1])[0, -1] / 0.5)
    freq = np.bincount(nxt, minlength=20) / len(nxt)
    assert np.abs(freq - p).max() < 0.03


def test_lm_bad_inputs(lm):
    with pytest.raises(ValueError, match="sequence length 11 exceeds max_len 10"):
        lm.forward(np.zeros((1, 11), dtype=int))
    with pytest.raises(ValueError, match=r"expected ids in \[0, 20\)"):
        lm.forward(np.array([[3, 20]]))
    with pytest.raises(ValueError, match="temperature > 0"):
        lm.generate(np.zeros((1, 2), dtype=int), 1, temperature=0.0)
