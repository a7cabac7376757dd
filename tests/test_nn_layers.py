"""seqnotes.nn layers against their torch.nn twins.

For every layer: the state-dict keys (in order) and shapes are torch's, the
torch weights load into ours, and then outputs and gradients (of every input
and every parameter, through one random scalar loss) agree to 1e-10 in float64
and 1e-5 in float32. Bad inputs raise messages that name the caller.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
import torch
from torch import nn as tnn

import seqnotes.nn as snn

TOL = {torch.float64: 1e-10, torch.float32: 1e-5}
DTYPES = [torch.float64, torch.float32]
needs_cuda = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs an NVIDIA GPU; CI has none"
)


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny tensors: thread start-up costs more than it saves on a 2-core runner."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture
def _no_tf32():
    """cuDNN RNNs use TF32 for float32 by default; compare against true float32."""
    old = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = old


# --------------------------------------------------------------------------- helpers


def load_twin(ours: torch.nn.Module, theirs: torch.nn.Module) -> None:
    """Same keys in the same order, same shapes; then copy torch's weights into ours."""
    a, b = ours.state_dict(), theirs.state_dict()
    assert list(a) == list(b)
    assert [v.shape for v in a.values()] == [v.shape for v in b.values()]
    ours.load_state_dict(b)


def twin(ours_cls, theirs_cls, *args, dtype, device="cpu", **kwargs):
    torch.manual_seed(0)
    theirs = theirs_cls(*args, **kwargs).to(device=device, dtype=dtype)
    ours = ours_cls(*args, **kwargs, device=device, dtype=dtype)
    load_twin(ours, theirs)
    return ours, theirs


def _leaves(obj):
    """Fresh leaf copies (requires_grad) of every float tensor in a nested tuple."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone().requires_grad_(obj.is_floating_point())
    if isinstance(obj, (tuple, list)):
        return type(obj)(_leaves(o) for o in obj)
    return obj


def _flat(obj) -> list[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _flat(o)]
    return []  # None (e.g. need_weights=False)


def compare(ours, theirs, args: tuple, kwargs: dict | None = None, tol: float = 1e-10) -> None:
    """Outputs, input gradients and parameter gradients agree within ``tol``."""
    kwargs = kwargs or {}
    args_o, args_t = _leaves(args), _leaves(args)
    out_o, out_t = _flat(ours(*args_o, **kwargs)), _flat(theirs(*args_t, **kwargs))
    assert len(out_o) == len(out_t)
    for o, t in zip(out_o, out_t, strict=True):
        torch.testing.assert_close(o, t, atol=tol, rtol=tol)
    g = torch.Generator().manual_seed(1)
    R = [torch.randn(t.shape, generator=g, dtype=t.dtype).to(t.device) for t in out_t]
    sum((o * r).sum() for o, r in zip(out_o, R, strict=True)).backward()
    sum((t * r).sum() for t, r in zip(out_t, R, strict=True)).backward()
    for a, b in zip(_flat(args_o), _flat(args_t), strict=True):
        if a.requires_grad:
            torch.testing.assert_close(a.grad, b.grad, atol=tol, rtol=tol)
    p_o, p_t = dict(ours.named_parameters()), dict(theirs.named_parameters())
    assert list(p_o) == list(p_t)
    for name, p in p_o.items():
        torch.testing.assert_close(p.grad, p_t[name].grad, atol=tol, rtol=tol, msg=name)


def sizes(*key) -> random.Random:
    """A seeded source of 'random sizes' per test case (stable across runs)."""
    return random.Random(repr(key))


# --------------------------------------------------------------------------- recurrent

RNN_KINDS: dict[str, tuple[Callable, Callable, dict]] = {
    "rnn_tanh": (snn.RNN, tnn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (snn.RNN, tnn.RNN, {"nonlinearity": "relu"}),
    "lstm": (snn.LSTM, tnn.LSTM, {}),
    "gru": (snn.GRU, tnn.GRU, {}),
}


def rnn_case(kind, num_layers, batch_first, with_hx, dtype, device="cpu", **extra):
    ours_cls, theirs_cls, kw = RNN_KINDS[kind]
    r = sizes(kind, num_layers, batch_first, with_hx, dtype)
    D, H, N, T = r.randint(1, 7), r.randint(1, 9), r.randint(1, 4), r.randint(1, 6)
    ours, theirs = twin(
        ours_cls, theirs_cls, D, H, num_layers=num_layers, batch_first=batch_first,
        dtype=dtype, device=device, **kw, **extra,
    )  # fmt: skip
    g = torch.Generator().manual_seed(2)
    x = torch.randn((N, T, D) if batch_first else (T, N, D), generator=g, dtype=dtype)
    args: tuple = (x.to(device),)
    if with_hx:
        h0 = torch.randn(num_layers, N, H, generator=g, dtype=dtype).to(device)
        c0 = torch.randn(num_layers, N, H, generator=g, dtype=dtype).to(device)
        args += ((h0, c0) if kind == "lstm" else h0,)
    return ours, theirs, args


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("with_hx", [False, True], ids=["hx0", "hx"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["TND", "NTD"])
@pytest.mark.parametrize("num_layers", [1, 2], ids=["L1", "L2"])
@pytest.mark.parametrize("kind", list(RNN_KINDS))
def test_recurrent_matches_torch(kind, num_layers, batch_first, with_hx, dtype):
    ours, theirs, args = rnn_case(kind, num_layers, batch_first, with_hx, dtype)
    compare(ours, theirs, args, tol=TOL[dtype])


@pytest.mark.parametrize("kind", list(RNN_KINDS))
def test_recurrent_unbatched_no_bias_eval_dropout(kind):
    ours_cls, theirs_cls, kw = RNN_KINDS[kind]
    dt = torch.float64
    ours, theirs = twin(ours_cls, theirs_cls, 3, 5, num_layers=2, bias=False, dropout=0.5,
                        dtype=dt, **kw)  # fmt: skip
    ours.eval(), theirs.eval()  # dropout between layers is off in eval mode
    x = torch.randn(4, 3, dtype=dt)
    h0 = torch.randn(2, 5, dtype=dt)
    compare(ours, theirs, (x,), tol=1e-10)
    compare(ours, theirs, (x, (h0, h0.flip(0)) if kind == "lstm" else h0), tol=1e-10)


def test_recurrent_init_matches_torch_distribution():
    torch.manual_seed(0)
    ours = snn.LSTM(4, 25, num_layers=2)
    torch.manual_seed(0)
    theirs = tnn.LSTM(4, 25, num_layers=2)
    for (k, a), b in zip(ours.state_dict().items(), theirs.state_dict().values(), strict=True):
        assert torch.equal(a, b), k  # same draws in the same order


def test_recurrent_dropout_between_layers_in_training():
    torch.manual_seed(0)
    gru = snn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = torch.randn(5, 2, 3)
    a, _ = gru(x)
    b, _ = gru(x)
    assert not torch.equal(a, b)  # dropout is active in training mode
    gru.eval()
    assert torch.equal(gru(x)[0], gru(x)[0])


# --------------------------------------------------------------------------- attention

MASKS = ["none", "causal", "float", "padding", "causal+padding", "per_head", "float_padding"]


def attn_masks(case: str, N: int, h: int, L: int, S: int, dtype, g) -> dict:
    """Masks for one test case; padded keys are at the end, key 0 is always visible."""
    lengths = torch.randint(1, S + 1, (N,), generator=g)
    lengths[0] = S
    padding = torch.arange(S) >= lengths[:, None]  # (N, S), True = padding
    kw: dict = {}
    if case in ("causal", "causal+padding"):
        kw["attn_mask"] = snn.causal_mask(L)
    if case == "float":
        kw["attn_mask"] = torch.randn(L, S, generator=g, dtype=dtype)
    if case == "per_head":
        kw["attn_mask"] = torch.rand(N * h, L, S, generator=g) > 0.7
        kw["attn_mask"][..., 0] = False  # keep a visible key in every row
    if case in ("padding", "causal+padding"):
        kw["key_padding_mask"] = padding
    if case == "float_padding":
        kw["key_padding_mask"] = torch.zeros(N, S, dtype=dtype).masked_fill(padding, -1e4)
    return kw


# causal masks only for self-attention (L == S)
MHA_CASES = [(m, c) for m in MASKS for c in (False, True) if not (c and "causal" in m)]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("batch_first", [False, True], ids=["LNE", "NLE"])
@pytest.mark.parametrize(
    "mask, cross", MHA_CASES, ids=[f"{m}-{'cross' if c else 'self'}" for m, c in MHA_CASES]
)
def test_mha_matches_torch(mask, cross, batch_first, dtype):
    r = sizes(mask, cross, batch_first, dtype)
    h = r.choice([1, 2, 4])
    E, N, L = h * r.randint(1, 4), r.randint(1, 4), r.randint(1, 6)
    S = r.randint(1, 7) if cross else L
    ours, theirs = twin(snn.MultiheadAttention, tnn.MultiheadAttention, E, h,
                        batch_first=batch_first, dtype=dtype)  # fmt: skip
    g = torch.Generator().manual_seed(3)

    def seq(n):
        return torch.randn((N, n, E) if batch_first else (n, N, E), generator=g, dtype=dtype)

    kw = attn_masks(mask, N, h, L, S, dtype, g)
    if cross:
        compare(ours, theirs, (seq(L), seq(S), seq(S)), kw, tol=TOL[dtype])
    else:  # self-attention: the same tensor three times (our fused projection path)
        x = _leaves(seq(L))
        x2 = _leaves(x)
        out_o = ours(x, x, x, **kw)
        out_t = theirs(x2, x2, x2, **kw)
        for o, t in zip(_flat(out_o), _flat(out_t), strict=True):
            torch.testing.assert_close(o, t, atol=TOL[dtype], rtol=TOL[dtype])
        (out_o[0] * out_o[0].detach()).sum().backward()
        (out_t[0] * out_t[0].detach()).sum().backward()
        torch.testing.assert_close(x.grad, x2.grad, atol=TOL[dtype], rtol=TOL[dtype])
        for (k, p), q in zip(ours.named_parameters(), theirs.parameters(), strict=True):
            torch.testing.assert_close(p.grad, q.grad, atol=TOL[dtype], rtol=TOL[dtype], msg=k)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(
    "options",
    [
        {"average_attn_weights": False},
        {"need_weights": False},
        {"need_weights": False, "average_attn_weights": False},
    ],
    ids=["per_head", "no_weights", "no_weights2"],
)
def test_mha_weight_options(options, dtype):
    ours, theirs = twin(snn.MultiheadAttention, tnn.MultiheadAttention, 8, 2, dtype=dtype)
    g = torch.Generator().manual_seed(4)
    q, kv = (
        torch.randn(3, 2, 8, generator=g, dtype=dtype),
        torch.randn(5, 2, 8, generator=g, dtype=dtype),
    )
    kw = {**options, "key_padding_mask": torch.tensor([[False] * 5, [False] * 3 + [True] * 2])}
    compare(ours, theirs, (q, kv, kv), kw, tol=TOL[dtype])
    out, w = ours(q, kv, kv, **kw)
    if options.get("need_weights", True):
        assert w.shape == (2, 2, 3, 5)
    else:
        assert w is None


def test_mha_unbatched_no_bias_and_eval_dropout():
    dt = torch.float64
    ours, theirs = twin(snn.MultiheadAttention, tnn.MultiheadAttention, 6, 3, bias=False,
                        dropout=0.3, dtype=dt)  # fmt: skip
    ours.eval(), theirs.eval()
    q, kv = torch.randn(4, 6, dtype=dt), torch.randn(5, 6, dtype=dt)
    compare(ours, theirs, (q, kv, kv), {"attn_mask": torch.randn(4, 5, dtype=dt)})
    compare(ours, theirs, (q, kv, kv), {"average_attn_weights": False})


def test_fully_masked_queries_get_zero_weights_like_torch_layers():
    """A sequence that is all padding: torch's layers give finite outputs; so do ours."""
    dt = torch.float64
    kw = dict(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0)
    ours, theirs = twin(snn.TransformerEncoderLayer, tnn.TransformerEncoderLayer, dtype=dt, **kw)
    x = torch.randn(3, 2, 4, dtype=dt)
    pad = torch.tensor([[True, True, True], [False, False, True]])
    compare(ours, theirs, (x,), {"src_key_padding_mask": pad})
    _, w = ours.self_attn(x, x, x, key_padding_mask=pad)  # torch returns NaN weights here
    assert torch.equal(w[0], torch.zeros(3, 3, dtype=dt))


def test_scaled_dot_product_attention_matches_torch_functional():
    g = torch.Generator().manual_seed(8)
    q, k, v = (torch.randn(2, 3, n, 4, generator=g, dtype=torch.float64) for n in (5, 6, 6))
    for mask in (
        None,
        torch.rand(5, 6, generator=g) > 0.5,
        torch.randn(5, 6, generator=g, dtype=torch.float64),
    ):
        ours, A = snn.scaled_dot_product_attention(q, k, v, mask)
        theirs = torch.nn.functional.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=None if mask is None else (~mask if mask.dtype == torch.bool else mask),
        )  # torch's functional form uses True = *allowed* for bool masks
        torch.testing.assert_close(ours, theirs, atol=1e-12, rtol=1e-12)
        assert torch.allclose(A.sum(-1)[~A.sum(-1).eq(0)], torch.tensor(1.0, dtype=torch.float64))


def test_mha_is_causal_builds_the_causal_mask():
    torch.manual_seed(0)
    mha = snn.MultiheadAttention(8, 2, dtype=torch.float64)
    x = torch.randn(5, 3, 8, dtype=torch.float64)
    a, wa = mha(x, x, x, is_causal=True)
    b, wb = mha(x, x, x, attn_mask=snn.causal_mask(5))
    assert torch.equal(a, b) and torch.equal(wa, wb)
    assert bool((wa.triu(1) == 0).all())


def test_mha_init_matches_torch():
    torch.manual_seed(0)
    ours = snn.MultiheadAttention(8, 2)
    torch.manual_seed(0)
    theirs = tnn.MultiheadAttention(8, 2)
    for (k, a), b in zip(ours.state_dict().items(), theirs.state_dict().values(), strict=True):
        assert torch.equal(a, b), k


def test_causal_mask_and_alias():
    m = snn.causal_mask(4)
    assert m.dtype == torch.bool and m.shape == (4, 4)
    assert torch.equal(m, torch.triu(torch.ones(4, 4, dtype=torch.bool), 1))
    assert torch.equal(snn.generate_square_subsequent_mask(4), m)
    # torch's float version forbids the same positions
    assert torch.equal(tnn.Transformer.generate_square_subsequent_mask(4).isinf(), m)


# --------------------------------------------------------------------------- transformer


def tf_masks(case: str, N: int, L: int, dtype, g, prefix: str) -> dict:
    if case == "none":
        return {}
    if case == "float":
        return {f"{prefix}_mask": torch.randn(L, L, generator=g, dtype=dtype)}
    lengths = torch.randint(1, L + 1, (N,), generator=g)
    return {
        f"{prefix}_mask": snn.causal_mask(L),
        f"{prefix}_key_padding_mask": torch.arange(L) >= lengths[:, None],
    }


def _enc_layer_kw(r, norm_first, batch_first, activation="relu"):
    h = r.choice([1, 2])
    return dict(
        d_model=h * r.randint(2, 4), nhead=h, dim_feedforward=r.randint(3, 12), dropout=0.0,
        activation=activation, batch_first=batch_first, norm_first=norm_first,
    )  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("mask", ["none", "causal+padding", "float"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["SNE", "NSE"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["postLN", "preLN"])
def test_encoder_layer_matches_torch(norm_first, batch_first, activation, mask, dtype):
    r = sizes("enc", norm_first, batch_first, activation, mask, dtype)
    kw = _enc_layer_kw(r, norm_first, batch_first, activation)
    ours, theirs = twin(snn.TransformerEncoderLayer, tnn.TransformerEncoderLayer, dtype=dtype, **kw)
    N, S, g = r.randint(1, 3), r.randint(1, 5), torch.Generator().manual_seed(5)
    x = torch.randn(
        (N, S, kw["d_model"]) if batch_first else (S, N, kw["d_model"]), generator=g, dtype=dtype
    )
    compare(ours, theirs, (x,), tf_masks(mask, N, S, dtype, g, "src"), tol=TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("mask", ["none", "causal+padding"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["TNE", "NTE"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["postLN", "preLN"])
def test_decoder_layer_matches_torch(norm_first, batch_first, mask, dtype):
    r = sizes("dec", norm_first, batch_first, mask, dtype)
    kw = _enc_layer_kw(r, norm_first, batch_first)
    ours, theirs = twin(snn.TransformerDecoderLayer, tnn.TransformerDecoderLayer, dtype=dtype, **kw)
    N, T, S, E = r.randint(1, 3), r.randint(1, 5), r.randint(1, 6), kw["d_model"]
    g = torch.Generator().manual_seed(6)

    def seq(n):
        return torch.randn((N, n, E) if batch_first else (n, N, E), generator=g, dtype=dtype)

    masks = tf_masks(mask, N, T, dtype, g, "tgt")
    if mask != "none":
        masks["memory_key_padding_mask"] = (
            torch.arange(S) >= torch.randint(1, S + 1, (N,), generator=g)[:, None]
        )
        # bool like the padding mask (torch warns when the two kinds are mixed)
        masks["memory_mask"] = torch.rand(T, S, generator=g) > 0.7
        masks["memory_mask"][:, 0] = False  # every query keeps a visible key
    compare(ours, theirs, (seq(T), seq(S)), masks, tol=TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("final_norm", [False, True], ids=["no_norm", "norm"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["postLN", "preLN"])
def test_stacks_match_torch(norm_first, final_norm, dtype):
    r = sizes("stack", norm_first, final_norm, dtype)
    kw = _enc_layer_kw(r, norm_first, batch_first=True)
    E, N, S, T = kw["d_model"], 2, r.randint(2, 5), r.randint(2, 5)
    torch.manual_seed(0)
    t_enc = tnn.TransformerEncoder(
        tnn.TransformerEncoderLayer(**kw, dtype=dtype), 2,
        norm=tnn.LayerNorm(E, dtype=dtype) if final_norm else None, enable_nested_tensor=False,
    )  # fmt: skip
    t_dec = tnn.TransformerDecoder(
        tnn.TransformerDecoderLayer(**kw, dtype=dtype), 2,
        norm=tnn.LayerNorm(E, dtype=dtype) if final_norm else None,
    )  # fmt: skip
    o_enc = snn.TransformerEncoder(
        snn.TransformerEncoderLayer(**kw, dtype=dtype), 2,
        norm=tnn.LayerNorm(E, dtype=dtype) if final_norm else None,
    )  # fmt: skip
    o_dec = snn.TransformerDecoder(
        snn.TransformerDecoderLayer(**kw, dtype=dtype), 2,
        norm=tnn.LayerNorm(E, dtype=dtype) if final_norm else None,
    )  # fmt: skip
    load_twin(o_enc, t_enc)
    load_twin(o_dec, t_dec)
    g = torch.Generator().manual_seed(7)
    src, tgt = (
        torch.randn(N, S, E, generator=g, dtype=dtype),
        torch.randn(N, T, E, generator=g, dtype=dtype),
    )
    pad = torch.tensor([[False] * S, [False] + [True] * (S - 1)])
    compare(
        o_enc, t_enc, (src,), {"mask": snn.causal_mask(S), "src_key_padding_mask": pad}, TOL[dtype]
    )
    dec_kw = {"tgt_mask": snn.causal_mask(T), "memory_key_padding_mask": pad}
    compare(o_dec, t_dec, (tgt, src), dec_kw, TOL[dtype])


def test_stack_layers_are_independent_copies():
    layer = snn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    enc = snn.TransformerEncoder(layer, 3)
    ptrs = {enc.layers[i].linear1.weight.data_ptr() for i in range(3)}
    assert len(ptrs) == 3 and layer.linear1.weight.data_ptr() not in ptrs


def test_layers_eval_mode_with_dropout_match_torch():
    dt = torch.float64
    kw = dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.3)
    enc_o, enc_t = twin(snn.TransformerEncoderLayer, tnn.TransformerEncoderLayer, dtype=dt, **kw)
    dec_o, dec_t = twin(snn.TransformerDecoderLayer, tnn.TransformerDecoderLayer, dtype=dt, **kw)
    for m in (enc_o, enc_t, dec_o, dec_t):
        m.eval()
    x, mem = torch.randn(4, 2, 8, dtype=dt), torch.randn(6, 2, 8, dtype=dt)
    compare(enc_o, enc_t, (x,), {"src_mask": snn.causal_mask(4)})
    compare(dec_o, dec_t, (x, mem), {"tgt_mask": snn.causal_mask(4), "tgt_is_causal": True})


def test_encoder_layer_matches_torch_fast_path():
    """In eval mode without autograd torch takes a fused C++ path; ours matches it too."""
    ours, theirs = twin(snn.TransformerEncoderLayer, tnn.TransformerEncoderLayer, 8, 2,
                        dim_feedforward=16, batch_first=True, dtype=torch.float32)  # fmt: skip
    ours.eval(), theirs.eval()
    x = torch.randn(3, 5, 8)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x), atol=1e-5, rtol=1e-5)


def test_layers_unbatched():
    dt = torch.float64
    kw = dict(d_model=6, nhead=3, dim_feedforward=10, dropout=0.0)
    enc_o, enc_t = twin(snn.TransformerEncoderLayer, tnn.TransformerEncoderLayer, dtype=dt, **kw)
    dec_o, dec_t = twin(snn.TransformerDecoderLayer, tnn.TransformerDecoderLayer, dtype=dt, **kw)
    x, mem = torch.randn(4, 6, dtype=dt), torch.randn(5, 6, dtype=dt)
    compare(enc_o, enc_t, (x,), {"src_mask": snn.causal_mask(4)})
    compare(dec_o, dec_t, (x, mem), {"tgt_mask": snn.causal_mask(4)})


# --------------------------------------------------------------------------- positional encoding


@pytest.mark.parametrize("layout", ["interleaved", "concat"])
def test_positional_encoding_values(layout):
    E, T = 6, 7
    pe = snn.PositionalEncoding(E, max_len=T, layout=layout, dtype=torch.float64)
    t = torch.arange(T, dtype=torch.float64)[:, None]
    i = torch.arange(E // 2, dtype=torch.float64)
    angle = t / 10000 ** (2 * i / E)
    if layout == "interleaved":
        assert torch.allclose(pe.pe[:, 0::2], angle.sin()) and torch.allclose(
            pe.pe[:, 1::2], angle.cos()
        )
    else:
        assert torch.allclose(pe.pe[:, : E // 2], angle.sin()) and torch.allclose(
            pe.pe[:, E // 2 :], angle.cos()
        )
    assert list(pe.state_dict()) == [] and "pe" in dict(pe.named_buffers())


def test_positional_encoding_layouts_and_offset():
    pe = snn.PositionalEncoding(4, max_len=10, dtype=torch.float64)
    x = torch.randn(2, 5, 4, dtype=torch.float64)
    assert torch.allclose(pe(x) - x, pe.pe[:5].expand(2, 5, 4))
    assert torch.allclose(pe(x, offset=3) - x, pe.pe[3:8].expand(2, 5, 4))
    pe_t = snn.PositionalEncoding(4, max_len=10, batch_first=False, dtype=torch.float64)
    xt = x.transpose(0, 1)
    assert torch.allclose(pe_t(xt), pe(x).transpose(0, 1))
    assert torch.allclose(pe(x[0]), pe(x)[0])  # unbatched (T, E)


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("batch_first, layout", [(False, "(T, N, 8)"), (True, "(N, T, 8)")])
def test_recurrent_bad_shapes(batch_first, layout):
    lstm = snn.LSTM(8, 16, batch_first=batch_first)
    for bad in [(4, 5, 7), (4, 5, 8, 1)]:
        msg = f"LSTM.forward: expected input of shape {layout}, got {tuple(bad)}"
        with pytest.raises(ValueError, match=f"^{msg.replace('(', '[(]').replace(')', '[)]')}$"):
            lstm(torch.zeros(bad))
    x = torch.zeros(3, 5, 8) if not batch_first else torch.zeros(5, 3, 8)
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(1, N=5, 16\), got \(1, 4, 16\)"):
        lstm(x, (torch.zeros(1, 4, 16), torch.zeros(1, 5, 16)))
    with pytest.raises(ValueError, match=r"expected c_0 of shape \(1, N=5, 16\)"):
        lstm(x, (torch.zeros(1, 5, 16), torch.zeros(2, 5, 16)))
    with pytest.raises(TypeError, match=r"tuple \(h_0, c_0\)"):
        lstm(x, torch.zeros(1, 5, 16))
    with pytest.raises(ValueError, match=r"GRU.forward: expected h_0 of shape \(2, N=5, 4\)"):
        snn.GRU(8, 4, num_layers=2, batch_first=batch_first)(x, torch.zeros(1, 5, 4))


def test_bad_dtypes():
    with pytest.raises(
        TypeError,
        match=r"RNN.forward: input has dtype torch.float64 but the module has torch.float32",
    ):
        snn.RNN(3, 4)(torch.zeros(2, 1, 3, dtype=torch.float64))
    with pytest.raises(
        TypeError, match=r"expected input with a floating-point dtype, got torch.int64"
    ):
        snn.GRU(3, 4)(torch.zeros(2, 1, 3, dtype=torch.long))
    with pytest.raises(
        TypeError, match=r"h_0 has dtype torch.float32 but the module has torch.float64"
    ):
        snn.GRU(3, 4, dtype=torch.float64)(
            torch.zeros(2, 1, 3, dtype=torch.float64), torch.zeros(1, 1, 4)
        )
    mha = snn.MultiheadAttention(4, 2)
    x = torch.zeros(3, 1, 4)
    with pytest.raises(TypeError, match=r"MultiheadAttention.forward: key has dtype torch.float64"):
        mha(x, x.double(), x)
    with pytest.raises(TypeError, match="PositionalEncoding.forward: x has dtype torch.float64"):
        snn.PositionalEncoding(4)(torch.zeros(1, 2, 4, dtype=torch.float64))
    with pytest.raises(TypeError, match="attn_mask of dtype bool or float, got torch.int64"):
        mha(x, x, x, attn_mask=torch.zeros(3, 3, dtype=torch.long))


def _meta_modules():
    kw = {"device": "meta"}
    return [
        (snn.LSTM(3, 4, **kw), (torch.zeros(2, 1, 3),), "LSTM.forward"),
        (
            snn.MultiheadAttention(4, 2, **kw),
            (torch.zeros(2, 1, 4),) * 3,
            "MultiheadAttention.forward",
        ),
        (
            snn.TransformerEncoderLayer(4, 2, 8, **kw),
            (torch.zeros(2, 1, 4),),
            "TransformerEncoderLayer.forward",
        ),
        (snn.PositionalEncoding(4, **kw), (torch.zeros(1, 2, 4),), "PositionalEncoding.forward"),
    ]


@pytest.mark.parametrize("i", range(4))
def test_input_on_another_device(i):
    module, args, where = _meta_modules()[i]  # 'meta' stands in for a GPU on a CPU-only runner
    with pytest.raises(RuntimeError, match=rf"{where}: \w+ is on cpu but the module is on meta"):
        module(*args)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match=r"expected embed_dim \(10\) divisible by num_heads \(4\)"):
        snn.MultiheadAttention(10, 4)
    with pytest.raises(ValueError, match=r"embed_dim \(6\) divisible by num_heads \(4\)"):
        snn.TransformerEncoderLayer(6, 4)
    with pytest.raises(ValueError, match="nonlinearity 'tanh' or 'relu'"):
        snn.RNN(2, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="layout 'interleaved' or 'concat'"):
        snn.PositionalEncoding(4, layout="rotary")
    with pytest.raises(ValueError, match=r"d_model \(5\) divisible by 2"):
        snn.PositionalEncoding(5)


def test_positional_encoding_too_long():
    pe = snn.PositionalEncoding(4, max_len=10)
    pe(torch.zeros(1, 10, 4))  # exactly max_len is fine
    with pytest.raises(ValueError, match=r"positions 0..10 exceed max_len=10; .* max_len >= 11"):
        pe(torch.zeros(1, 11, 4))
    with pytest.raises(ValueError, match=r"positions 8..10 exceed max_len=10"):
        pe(torch.zeros(1, 3, 4), offset=8)


def test_bad_mask_shapes():
    mha = snn.MultiheadAttention(4, 2, batch_first=True)
    x, kv = torch.zeros(3, 5, 4), torch.zeros(3, 6, 4)
    with pytest.raises(ValueError, match=r"expected attn_mask of shape \(L=5, S=6\), got \(5, 5\)"):
        mha(x, kv, kv, attn_mask=torch.zeros(5, 5, dtype=torch.bool))
    with pytest.raises(
        ValueError, match=r"expected attn_mask of shape \(6, L=5, S=6\), got \(3, 5, 6\)"
    ):
        mha(x, kv, kv, attn_mask=torch.zeros(3, 5, 6, dtype=torch.bool))
    with pytest.raises(
        ValueError, match=r"expected key_padding_mask of shape \(N=3, S=6\), got \(3, 5\)"
    ):
        mha(x, kv, kv, key_padding_mask=torch.zeros(3, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"expected key of shape \(N=3, S, 4\), got \(3, 6, 5\)"):
        mha(x, torch.zeros(3, 6, 5), kv)
    with pytest.raises(ValueError, match=r"is_causal needs L == S"):
        mha(x, kv, kv, is_causal=True)
    enc = snn.TransformerEncoderLayer(4, 2, 8, batch_first=True)
    with pytest.raises(
        ValueError,
        match=r"TransformerEncoderLayer.forward: expected src_mask of shape \(S=5, S=5\)",
    ):
        enc(x, src_mask=snn.causal_mask(4))
    with pytest.raises(ValueError, match=r"expected src_key_padding_mask of shape \(N=3, S=5\)"):
        enc(x, src_key_padding_mask=torch.zeros(5, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"expected src of shape \(S, 4\), got \(3, 5\)"):
        enc(torch.zeros(3, 5))  # 2-D is an unbatched (S, E), with E = 4
    dec = snn.TransformerDecoderLayer(4, 2, 8, batch_first=True)
    with pytest.raises(
        ValueError, match=r"TransformerDecoderLayer.forward: expected memory of shape \(N=3, S, 4\)"
    ):
        dec(x, torch.zeros(2, 6, 4))
    with pytest.raises(
        ValueError, match=r"expected memory_mask of shape \(T=5, S=6\), got \(5, 5\)"
    ):
        dec(x, kv, memory_mask=torch.zeros(5, 5))
    with pytest.raises(ValueError, match=r"expected memory_key_padding_mask of shape \(N=3, S=6\)"):
        dec(x, kv, memory_key_padding_mask=torch.zeros(3, 5, dtype=torch.bool))


# --------------------------------------------------------------------------- CUDA


DEVICE_KINDS = ["lstm", "gru", "rnn_tanh", "mha", "encoder", "decoder"]


def device_case(kind: str, dtype: torch.dtype, dev: str, tol: float) -> None:
    """One representative comparison per layer, with every tensor on ``dev``."""
    if kind in RNN_KINDS:
        ours, theirs, args = rnn_case(kind, 2, True, True, dtype, device=dev)
        compare(ours, theirs, args, tol=tol)
        return
    kw = dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True)
    x = torch.randn(3, 5, 8, generator=torch.Generator().manual_seed(9), dtype=dtype).to(dev)
    pad = torch.tensor([[False] * 5, [False] * 4 + [True], [False] * 2 + [True] * 3], device=dev)
    causal = snn.causal_mask(5, device=dev)
    if kind == "mha":
        ours, theirs = twin(snn.MultiheadAttention, tnn.MultiheadAttention, 8, 2,
                            batch_first=True, dtype=dtype, device=dev)  # fmt: skip
        compare(ours, theirs, (x, x.flip(1), x), {"key_padding_mask": pad}, tol)
    elif kind == "encoder":
        ours, theirs = twin(snn.TransformerEncoderLayer, tnn.TransformerEncoderLayer,
                            dtype=dtype, device=dev, **kw)  # fmt: skip
        compare(ours, theirs, (x,), {"src_key_padding_mask": pad, "src_mask": causal}, tol)
    else:
        ours, theirs = twin(snn.TransformerDecoderLayer, tnn.TransformerDecoderLayer,
                            dtype=dtype, device=dev, **kw)  # fmt: skip
        masks = {"tgt_mask": causal, "memory_key_padding_mask": pad}
        compare(ours, theirs, (x, x.flip(1)), masks, tol)


@pytest.mark.parametrize("kind", DEVICE_KINDS)
def test_device_case_on_cpu(kind):
    """The CUDA test's body, run on CPU so CI keeps it working."""
    device_case(kind, torch.float32, "cpu", TOL[torch.float32])


@needs_cuda
@pytest.mark.cuda
@pytest.mark.usefixtures("_no_tf32")
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("kind", DEVICE_KINDS)
def test_cuda_matches_torch(kind, dtype):
    # cuDNN / cuBLAS sum in another order than our matmuls: allow 10x in float32.
    device_case(kind, dtype, "cuda", TOL[dtype] * (10 if dtype == torch.float32 else 1))


@needs_cuda
@pytest.mark.cuda
def test_cuda_module_with_cpu_input():
    lstm = snn.LSTM(3, 4, device="cuda")
    with pytest.raises(
        RuntimeError, match=r"LSTM.forward: input is on cpu but the module is on cuda:0"
    ):
        lstm(torch.zeros(2, 1, 3))
