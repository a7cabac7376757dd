"""The NumPy version you read is exactly the PyTorch version you train.

For every layer that exists in both `seqnotes.scratch` and `seqnotes.nn`, the
scratch layer's weights (already named as torch names them) are loaded into the
nn module, and the outputs and the gradients must agree in float64.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import seqnotes.nn as snn
import seqnotes.scratch as scratch
from seqnotes.scratch import rel_error


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _load(ours_np, module: torch.nn.Module) -> torch.nn.Module:
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in ours_np.params().items()}
    assert sorted(state) == sorted(module.state_dict()), "parameter names must be torch's"
    module.load_state_dict(state)
    return module


def _agree(out_np, out_t, grads_np, module, inputs: dict[str, torch.Tensor]):
    assert np.abs(out_np - out_t.detach().numpy()).max() < 1e-10
    for name, p in module.named_parameters():
        assert rel_error(grads_np[name], p.grad.numpy()) < 1e-8, name
    for name, t in inputs.items():
        assert rel_error(grads_np[name], t.grad.numpy()) < 1e-8, name


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_recurrent_layers_agree(cls, num_layers):
    N, T, D, H = 3, 5, 4, 6
    ours = getattr(scratch, cls)(D, H, num_layers=num_layers, rng=7)
    theirs = _load(
        ours, getattr(snn, cls)(D, H, num_layers=num_layers, batch_first=True, dtype=torch.float64)
    )
    x = np.random.default_rng(0).normal(size=(N, T, D))
    d_out = np.random.default_rng(1).normal(size=(N, T, H))
    out_np, _ = ours.forward(x)
    grads = ours.backward(d_out)
    xt = torch.tensor(x, requires_grad=True)
    out_t, _ = theirs(xt)
    (out_t * torch.from_numpy(d_out)).sum().backward()
    _agree(out_np, out_t, grads, theirs, {"x": xt})


def test_multihead_attention_agrees():
    N, L, E, h = 2, 5, 8, 2
    ours = scratch.MultiheadAttention(E, h, rng=3)
    theirs = _load(ours, snn.MultiheadAttention(E, h, batch_first=True, dtype=torch.float64))
    x = np.random.default_rng(0).normal(size=(N, L, E))
    d_out = np.random.default_rng(1).normal(size=(N, L, E))
    mask = scratch.causal_mask(L)
    out_np, w_np = ours.forward(x, x, x, attn_mask=mask)
    grads = ours.backward(d_out)
    q, k, v = (torch.tensor(x, requires_grad=True) for _ in range(3))
    out_t, w_t = theirs(q, k, v, attn_mask=torch.from_numpy(mask), average_attn_weights=False)
    (out_t * torch.from_numpy(d_out)).sum().backward()
    assert np.abs(w_np - w_t.detach().numpy()).max() < 1e-10
    _agree(out_np, out_t, grads, theirs, {"query": q, "key": k, "value": v})


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_agrees(norm_first):
    N, S, E = 2, 5, 8
    ours = scratch.TransformerEncoderLayer(E, 2, 16, norm_first=norm_first, rng=5)
    theirs = _load(
        ours,
        snn.TransformerEncoderLayer(
            E, 2, 16, dropout=0.0, batch_first=True, norm_first=norm_first, dtype=torch.float64
        ),
    )
    x = np.random.default_rng(0).normal(size=(N, S, E))
    d_out = np.random.default_rng(1).normal(size=(N, S, E))
    out_np = ours.forward(x)
    grads = ours.backward(d_out)
    xt = torch.tensor(x, requires_grad=True)
    out_t = theirs(xt)
    (out_t * torch.from_numpy(d_out)).sum().backward()
    _agree(out_np, out_t, grads, theirs, {"src": xt})


def test_decoder_layer_agrees():
    N, T, S, E = 2, 4, 5, 8
    ours = scratch.TransformerDecoderLayer(E, 2, 16, rng=9)
    theirs = _load(
        ours,
        snn.TransformerDecoderLayer(E, 2, 16, dropout=0.0, batch_first=True, dtype=torch.float64),
    )
    rng = np.random.default_rng(0)
    tgt, memory = rng.normal(size=(N, T, E)), rng.normal(size=(N, S, E))
    mask = scratch.causal_mask(T)
    out_np = ours.forward(tgt, memory, tgt_mask=mask)
    out_t = theirs(torch.from_numpy(tgt), torch.from_numpy(memory), tgt_mask=torch.from_numpy(mask))
    assert np.abs(out_np - out_t.detach().numpy()).max() < 1e-10


def test_positional_encodings_agree():
    for layout in ("interleaved", "concat"):
        pe = snn.PositionalEncoding(8, max_len=20, layout=layout, dtype=torch.float64)
        x = torch.zeros(1, 20, 8, dtype=torch.float64)
        assert (
            np.abs(pe(x)[0].numpy() - scratch.positional_encoding(20, 8, layout=layout)).max()
            < 1e-12
        )
