"""The NumPy model you read is exactly the PyTorch model you train.

For every model that exists in both `seqnotes.scratch` and `seqnotes.nn`, the nn
model is built in float64 with a fixed seed, its parameters are perturbed (so no
LayerNorm is the identity and no class token is zero), copied with the scratch
model's ``from_torch``, and both run on the same seeded inputs: the logits must
agree to 1e-9 and greedy decodes must be identical.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

import seqnotes.nn as snn
from seqnotes.scratch.rnn_models import Captioner, CharRNNLM, Seq2Seq
from seqnotes.scratch.transformer_models import DecoderOnlyLM, Transformer, ViT

TOL = 1e-9
NO_EOS = -1  # never generated: decode to max_len


@pytest.fixture(autouse=True)
def _float64_one_thread():
    n, dtype = torch.get_num_threads(), torch.get_default_dtype()
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)  # also the positional table's dtype
    yield
    torch.set_num_threads(n)
    torch.set_default_dtype(dtype)


def _build(factory: Callable[[], torch.nn.Module], seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    net = factory().eval()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return net


def _close(ours: np.ndarray, theirs: torch.Tensor) -> None:
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() < TOL


def _ids(shape: tuple[int, ...], lo: int, hi: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(lo, hi, size=shape)


def _t(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(x)


def _rows(tokens: torch.Tensor, eos: int) -> list[list[int]]:
    """nn decodes (N, T) padded with 0 after eos -> scratch's lists that end at eos."""
    rows = tokens.tolist()
    return [row[: row.index(eos) + 1] if eos in row else row for row in rows]


def _an_eos(tokens: torch.Tensor) -> int:
    """A token that row 0 emits at step 3: decoding with it as eos stops early."""
    return int(tokens[0, 2])


# ------------------------------------------------------------------- recurrent


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("embed_dim", [None, 5])
def test_char_lm_agrees(cell, embed_dim):
    V = 7
    net = _build(lambda: snn.CharLM(V, 6, cell=cell, embed_dim=embed_dim))
    lm = CharRNNLM.from_torch(net)
    ids = _ids((3, 8), 0, V)
    logits, state = lm.forward(ids[:, :5])
    logits_t, state_t = net(_t(ids[:, :5]))
    _close(logits, logits_t)
    pairs = zip(state, state_t, strict=True) if cell == "lstm" else [(state, state_t)]
    for s, s_t in pairs:  # h_n (and c_n)
        _close(s, s_t)
    _close(lm.forward(ids[:, 5:], state)[0], net(_t(ids[:, 5:]), state_t)[0])  # carried state
    assert lm.sample([1, 2], 12, temperature=0) == net.sample([1, 2], 12, temperature=0)


@pytest.mark.parametrize("attention", [False, True])
def test_seq2seq_agrees(attention):
    V_src, V_tgt, H = 9, 10, 6
    net = _build(lambda: snn.Seq2Seq(V_src, V_tgt, hidden=H, attention=attention))
    model = Seq2Seq.from_torch(net)
    src, tgt_in = _ids((3, 6), 3, V_src), _ids((3, 5), 1, V_tgt, seed=2)
    src[1, 4:], src[2, 5:] = 0, 0  # <pad> = 0: masked out of the attention by both
    _close(model.forward(src, tgt_in), net(_t(src), _t(tgt_in)))
    states, h_S, mask = net.encode(_t(src))
    weights_t = net.decoder(_t(tgt_in), h_S, states, mask)[1]
    if attention:
        _close(model.attention_weights, weights_t)
        assert (model.attention_weights[1, :, 4:] == 0).all()
    else:
        assert model.attention_weights is None and weights_t is None
    eos = _an_eos(net.greedy_decode(_t(src), bos=1, eos=NO_EOS, max_len=8)[0])
    tokens_t = net.greedy_decode(_t(src), bos=1, eos=eos, max_len=8)[0]
    tokens = model.greedy_decode(src, bos=1, eos=eos, max_len=8)
    assert tokens == _rows(tokens_t, eos)
    assert len(tokens[0]) <= 3


@pytest.mark.parametrize("attention", [False, True])
def test_captioner_agrees(attention):
    F, V, H = 5, 11, 6
    net = _build(lambda: snn.Captioner(F, V, hidden=H, attention=attention))
    cap = Captioner.from_torch(net)
    grid = np.random.default_rng(3).normal(size=(3, 4, F))  # P = 4 positions
    # The nn captioner averages a grid itself; the plain scratch one takes (N, F).
    feats = grid if attention else grid.mean(axis=1)
    words = _ids((3, 5), 1, V, seed=4)
    _close(cap.forward(feats, words), net(_t(grid), _t(words)))
    if attention:
        s0, g = net._start(_t(grid))
        _close(cap.attention_weights, net.decoder(_t(words), s0, g)[1])
    eos = _an_eos(net.greedy_decode(_t(grid), bos=1, eos=NO_EOS, max_len=8)[0])
    tokens_t = net.greedy_decode(_t(grid), bos=1, eos=eos, max_len=8)[0]
    tokens = cap.greedy_decode(feats, start=1, end=eos, max_len=8)
    assert tokens == _rows(tokens_t, eos)
    assert len(tokens[0]) <= 3


# ----------------------------------------------------------------- transformer


def test_seq2seq_transformer_agrees():
    V_src, V_tgt = 12, 13
    net = _build(
        lambda: snn.Seq2SeqTransformer(
            V_src,
            V_tgt,
            d_model=8,
            nhead=2,
            num_encoder_layers=2,
            num_decoder_layers=2,
            dim_feedforward=16,
            max_len=20,
        )
    )
    model = Transformer.from_torch(net)
    assert model.encoder.norm is None and not model.encoder.layers[0].norm_first  # post-LN
    src, tgt_in = _ids((3, 7), 3, V_src), _ids((3, 6), 3, V_tgt, seed=2)
    tgt_in[:, 0] = 1
    src[1, 5:], tgt_in[2, 4:] = 0, 0  # pads in both: the nn model masks the source's only
    _close(model.encode(src), net.encode(_t(src))[0])
    _close(model.forward(src, tgt_in), net(_t(src), _t(tgt_in)))
    eos = _an_eos(net.greedy_decode(_t(src), bos=1, eos=NO_EOS, max_len=8))
    tokens_t = net.greedy_decode(_t(src), bos=1, eos=eos, max_len=8)
    tokens = model.greedy_decode(src, bos_id=1, eos_id=eos, max_len=8)
    np.testing.assert_array_equal(tokens[:, 1:], tokens_t.numpy())  # both pad with 0 after eos


def test_vit_agrees():
    net = _build(
        lambda: snn.ViT(
            8, 4, 2, num_classes=5, d_model=8, nhead=2, num_layers=2, dim_feedforward=16
        )
    )
    vit = ViT.from_torch(net)
    images = np.random.default_rng(5).normal(size=(3, 2, 8, 8))
    _close(vit.forward(images), net(_t(images)))


def test_decoder_only_agrees():
    V = 15
    net = _build(
        lambda: snn.DecoderOnlyTransformer(
            V, d_model=8, nhead=2, num_layers=2, dim_feedforward=16, max_len=16
        )
    )
    lm = DecoderOnlyLM.from_torch(net)
    ids = _ids((3, 9), 0, V)
    _close(lm.forward(ids), net(_t(ids)))
    out = lm.generate(ids[:, :4], n_new=8, greedy=True)
    np.testing.assert_array_equal(out, net.generate(_t(ids[:, :4]), n_new=8, greedy=True).numpy())


def test_from_torch_refuses_dropout():
    net = snn.ViT(8, 4, 1, num_classes=2, d_model=8, nhead=2, num_layers=1, dropout=0.1)
    with pytest.raises(ValueError, match="dropout"):
        ViT.from_torch(net)
