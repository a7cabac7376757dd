"""seqnotes.scratch.transformer vs torch.nn (float64), numerical gradients, the notes' facts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from _compare import assert_forward, assert_grad, rng, torch_module, tt
from seqnotes.scratch.functional import causal_mask, gradcheck
from seqnotes.scratch.transformer import (
    FeedForward,
    PositionalEncoding,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
    positional_encoding,
)

NUM_RTOL = 1e-7


def _perturb(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Move every parameter off torch's init (LayerNorm 1/0, zero biases) so all of them count."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.2 * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return module


def _kpm(N: int, S: int) -> np.ndarray:
    m = np.zeros((N, S), dtype=bool)
    m[0, S - 2 :] = True
    return m


def _tmask(m):
    return None if m is None else (torch.tensor(m) if m.dtype == bool else tt(m, False))


def _bf(t: torch.Tensor, batch_first: bool) -> torch.Tensor:
    return t if batch_first else t.transpose(0, 1)


# ----------------------------------------------------------- positional encoding


def test_positional_encoding_formula_and_layouts():
    T, d = 7, 6
    pe = positional_encoding(T, d)
    pos, i = 3, 2  # PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(...)
    assert np.isclose(pe[pos, 2 * i], np.sin(pos / 10000 ** (2 * i / d)))
    assert np.isclose(pe[pos, 2 * i + 1], np.cos(pos / 10000 ** (2 * i / d)))
    assert np.allclose(pe[0], [0, 1] * (d // 2))
    concat = positional_encoding(T, d, "concat")
    order = np.r_[0:d:2, 1:d:2]  # the same columns, sines first
    assert np.allclose(concat, pe[:, order])
    assert np.abs(pe).max() <= 1.0
    assert len({tuple(np.round(row, 8)) for row in pe}) == T  # every position differs


def test_positional_encoding_errors():
    with pytest.raises(ValueError, match=r"expected d_model \(5\) divisible by 2"):
        positional_encoding(4, 5)
    with pytest.raises(ValueError, match="layout"):
        positional_encoding(4, 6, "stacked")
    pos = PositionalEncoding(6, max_len=4)
    assert np.allclose(pos.forward(np.zeros((2, 4, 6)))[1], positional_encoding(4, 6))
    with pytest.raises(ValueError, match="sequence length 5 exceeds max_len 4"):
        pos.forward(np.zeros((1, 5, 6)))
    with pytest.raises(ValueError, match=r"expected x of shape \(N, T, 6\), got \(1, 3, 5\)"):
        pos.forward(np.zeros((1, 3, 5)))


# ------------------------------------------------------------------ feed-forward


def test_feedforward_is_positionwise_and_gradchecks():
    ff = FeedForward(3, 5, rng=0)
    r = rng(1)
    x, G = r.normal(size=(2, 4, 3)), r.normal(size=(2, 4, 3))
    y = ff.forward(x)
    assert np.allclose(ff.forward(x[:, 2:3])[:, 0], y[:, 2])  # one position on its own
    ff.forward(x)
    g = ff.backward(G)

    def f() -> float:
        return float(np.sum(ff.forward(x) * G))

    for name, p in {**ff.params(), "x": x}.items():
        assert gradcheck(f, p, g[name]) < NUM_RTOL, name


# ------------------------------------------------------------------ encoder layer

ENC_CASES = [
    # (E, nhead, F, N, S, norm_first, batch_first, masks)
    (4, 1, 8, 2, 3, False, True, "none"),
    (8, 2, 16, 2, 5, False, False, "causal+kpm"),
    (8, 2, 16, 3, 4, True, True, "causal+kpm"),
    (6, 3, 10, 2, 4, True, False, "float"),
]


def _enc_masks(masks: str, N: int, S: int, r):
    if masks == "none":
        return None, None
    if masks == "float":
        return r.normal(size=(S, S)), np.where(_kpm(N, S), -1e4, 0.0)
    return causal_mask(S), _kpm(N, S)


@pytest.mark.parametrize("E, nhead, F, N, S, norm_first, batch_first, masks", ENC_CASES)
def test_encoder_layer_matches_torch(E, nhead, F, N, S, norm_first, batch_first, masks):
    r = rng(E + S)
    m = _perturb(
        torch_module(
            torch.nn.TransformerEncoderLayer,
            E,
            nhead,
            F,
            dropout=0.0,
            batch_first=batch_first,
            norm_first=norm_first,
            seed=E,
        )
    )
    ours = TransformerEncoderLayer.from_torch(m)
    assert set(ours.params()) == {k for k, _ in m.named_parameters()}
    x = r.normal(size=(N, S, E))
    src_mask, kpm = _enc_masks(masks, N, S, r)
    out = ours.forward(x, src_mask, kpm)
    tx = tt(x)
    t_out = _bf(
        m(_bf(tx, batch_first), src_mask=_tmask(src_mask), src_key_padding_mask=_tmask(kpm)),
        batch_first,
    )
    assert_forward(out, t_out)
    d_out = r.normal(size=out.shape)
    t_out.backward(torch.tensor(d_out))
    g = ours.backward(d_out)
    for name, p in m.named_parameters():
        assert_grad(g[name], p.grad)
    assert_grad(g["src"], tx.grad)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_numerical_gradient(norm_first):
    layer = TransformerEncoderLayer(4, 2, 6, norm_first=norm_first, rng=0)
    for p in layer.params().values():
        p += 0.1 * rng(1).normal(size=p.shape)
    r = rng(2)
    x, G = r.normal(size=(1, 3, 4)), r.normal(size=(1, 3, 4))
    mask = causal_mask(3)
    layer.forward(x, mask)
    g = layer.backward(G)

    def f() -> float:
        return float(np.sum(layer.forward(x, mask) * G))

    for name in ("self_attn.in_proj_weight", "linear1.bias", "norm1.weight", "norm2.bias"):
        assert gradcheck(f, layer.params()[name], g[name]) < NUM_RTOL, name
    assert gradcheck(f, x, g["src"]) < NUM_RTOL


def test_encoder_layer_permutation_equivariance_and_positional_encoding():
    """ABCDE vs BCDEA: the same encodings, permuted - unless positions are encoded."""
    layer = TransformerEncoderLayer(8, 2, 16, rng=0)
    x = rng(3).normal(size=(1, 5, 8))
    perm = np.array([1, 2, 3, 4, 0])
    assert np.allclose(layer.forward(x[:, perm]), layer.forward(x)[:, perm])
    pe = positional_encoding(5, 8)
    with_pe = layer.forward(x + pe)
    assert not np.allclose(layer.forward(x[:, perm] + pe), with_pe[:, perm])


def test_encoder_layer_causal():
    layer = TransformerEncoderLayer(8, 2, 16, norm_first=True, rng=0)
    r = rng(4)
    x = r.normal(size=(2, 6, 8))
    y = x.copy()
    y[:, 4:] = r.normal(size=(2, 2, 8))
    a, b = layer.forward(x, causal_mask(6)), layer.forward(y, causal_mask(6))
    assert np.allclose(a[:, :4], b[:, :4]) and not np.allclose(a[:, 4:], b[:, 4:])


def test_encoder_layer_bad_inputs():
    layer = TransformerEncoderLayer(8, 2, 16, rng=0)
    with pytest.raises(RuntimeError, match="call forward before backward"):
        layer.backward(np.zeros((2, 5, 8)))
    x = np.zeros((2, 5, 8))
    with pytest.raises(ValueError, match=r"expected src of shape \(N, S, 8\), got \(2, 5, 7\)"):
        layer.forward(np.zeros((2, 5, 7)))
    with pytest.raises(ValueError, match=r"expected src_mask of shape \(S=5, S=5\), got \(4, 4\)"):
        layer.forward(x, causal_mask(4))
    msg = r"expected src_key_padding_mask of shape \(N=2, S=5\), got \(2, 4\)"
    with pytest.raises(ValueError, match=msg):
        layer.forward(x, src_key_padding_mask=np.zeros((2, 4), dtype=bool))
    with pytest.raises(ValueError, match="divisible by num_heads"):
        TransformerEncoderLayer(10, 4, 16)
    with pytest.raises(ValueError, match="dropout=0"):
        TransformerEncoderLayer.from_torch(torch.nn.TransformerEncoderLayer(8, 2, 16))
    with pytest.raises(ValueError, match="activation relu"):
        TransformerEncoderLayer.from_torch(
            torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu")
        )


# ------------------------------------------------------------------ decoder layer


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "all"])
def test_decoder_layer_matches_torch(norm_first, masks):
    E, nhead, F, N, T, S = 8, 2, 12, 2, 4, 5
    r = rng(7)
    m = _perturb(
        torch_module(
            torch.nn.TransformerDecoderLayer,
            E,
            nhead,
            F,
            dropout=0.0,
            batch_first=True,
            norm_first=norm_first,
        )
    )
    ours = TransformerDecoderLayer.from_torch(m)
    assert set(ours.params()) == {k for k, _ in m.named_parameters()}
    tgt, mem = r.normal(size=(N, T, E)), r.normal(size=(N, S, E))
    kw = {}
    if masks == "all":
        mem_mask = r.random((T, S)) < 0.3
        mem_mask[:, 0] = False
        kw = dict(
            tgt_mask=causal_mask(T),
            memory_mask=mem_mask,
            tgt_key_padding_mask=np.zeros((N, T), dtype=bool),
            memory_key_padding_mask=_kpm(N, S),
        )
    out = ours.forward(tgt, mem, **kw)
    t_tgt, t_mem = tt(tgt), tt(mem)
    t_out = m(t_tgt, t_mem, **{k: _tmask(v) for k, v in kw.items()})
    assert_forward(out, t_out)
    d_out = r.normal(size=out.shape)
    t_out.backward(torch.tensor(d_out))
    g = ours.backward(d_out)
    for name, p in m.named_parameters():
        assert_grad(g[name], p.grad)
    assert_grad(g["tgt"], t_tgt.grad)
    assert_grad(g["memory"], t_mem.grad)


def test_decoder_layer_numerical_gradient():
    layer = TransformerDecoderLayer(4, 2, 6, rng=0)
    r = rng(8)
    tgt, mem, G = r.normal(size=(1, 3, 4)), r.normal(size=(1, 2, 4)), r.normal(size=(1, 3, 4))
    layer.forward(tgt, mem, causal_mask(3))
    g = layer.backward(G)

    def f() -> float:
        return float(np.sum(layer.forward(tgt, mem, causal_mask(3)) * G))

    for name in ("multihead_attn.in_proj_weight", "linear2.weight", "norm3.weight"):
        assert gradcheck(f, layer.params()[name], g[name]) < NUM_RTOL, name
    assert gradcheck(f, tgt, g["tgt"]) < NUM_RTOL
    assert gradcheck(f, mem, g["memory"]) < NUM_RTOL


def test_decoder_layer_bad_inputs():
    layer = TransformerDecoderLayer(8, 2, 16, rng=0)
    tgt, mem = np.zeros((2, 4, 8)), np.zeros((2, 5, 8))
    with pytest.raises(
        ValueError, match=r"expected memory of shape \(N=2, S, 8\), got \(3, 5, 8\)"
    ):
        layer.forward(tgt, np.zeros((3, 5, 8)))
    with pytest.raises(ValueError, match=r"expected memory_mask of shape \(T=4, S=5\)"):
        layer.forward(tgt, mem, memory_mask=np.zeros((4, 4), dtype=bool))
    with pytest.raises(ValueError, match=r"expected memory_key_padding_mask of shape \(N=2, S=5\)"):
        layer.forward(tgt, mem, memory_key_padding_mask=np.zeros((2, 4), dtype=bool))


# ------------------------------------------------------------------------ stacks


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_stack_matches_torch(norm_first):
    E, N, S = 8, 2, 5
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(
        E, 2, 12, dropout=0.0, batch_first=True, norm_first=norm_first
    )
    m = _perturb(
        torch.nn.TransformerEncoder(
            layer, 2, norm=torch.nn.LayerNorm(E), enable_nested_tensor=False
        ).double()
    )
    ours = TransformerEncoder.from_torch(m)
    assert set(ours.params()) == {k for k, _ in m.named_parameters()}
    r = rng(9)
    x = r.normal(size=(N, S, E))
    out = ours.forward(x, causal_mask(S), _kpm(N, S))
    tx = tt(x)
    t_out = m(tx, mask=_tmask(causal_mask(S)), src_key_padding_mask=_tmask(_kpm(N, S)))
    assert_forward(out, t_out)
    d_out = r.normal(size=out.shape)
    t_out.backward(torch.tensor(d_out))
    g = ours.backward(d_out)
    for name, p in m.named_parameters():
        assert_grad(g[name], p.grad)
    assert_grad(g["src"], tx.grad)


def test_decoder_stack_matches_torch():
    E, N, T, S = 8, 2, 4, 3
    torch.manual_seed(1)
    layer = torch.nn.TransformerDecoderLayer(E, 2, 12, dropout=0.0, batch_first=True)
    m = _perturb(torch.nn.TransformerDecoder(layer, 2, norm=torch.nn.LayerNorm(E)).double())
    ours = TransformerDecoder.from_torch(m)
    assert set(ours.params()) == {k for k, _ in m.named_parameters()}
    r = rng(10)
    tgt, mem = r.normal(size=(N, T, E)), r.normal(size=(N, S, E))
    out = ours.forward(tgt, mem, causal_mask(T), memory_key_padding_mask=_kpm(N, S))
    t_tgt, t_mem = tt(tgt), tt(mem)
    t_out = m(
        t_tgt, t_mem, tgt_mask=_tmask(causal_mask(T)), memory_key_padding_mask=_tmask(_kpm(N, S))
    )
    assert_forward(out, t_out)
    d_out = r.normal(size=out.shape)
    t_out.backward(torch.tensor(d_out))
    g = ours.backward(d_out)
    for name, p in m.named_parameters():
        assert_grad(g[name], p.grad)
    assert_grad(g["tgt"], t_tgt.grad)
    assert_grad(g["memory"], t_mem.grad)  # summed over both layers


def test_stack_layers_have_separate_parameters():
    enc = TransformerEncoder(3, 8, 2, 16, final_norm=True, rng=0)
    w = [lay.self_attn.in_proj_weight for lay in enc.layers]
    assert not np.allclose(w[0], w[1]) and not np.allclose(w[1], w[2])
    assert "norm.weight" in enc.params() and "layers.2.linear2.bias" in enc.params()
    assert "norm.weight" not in TransformerDecoder(1, 8, 2, 16, rng=0).params()
