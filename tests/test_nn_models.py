"""seqnotes.nn.rnn_models and seqnotes.nn.transformer_models: shapes, checks, wiring."""

from __future__ import annotations

import pytest
import torch
from torch import nn as tnn

import seqnotes.nn as snn
from seqnotes.nn import (
    AdditiveAttention,
    Captioner,
    CharLM,
    DecoderOnlyTransformer,
    Seq2Seq,
    Seq2SeqTransformer,
    SequenceRegressor,
    TinyCNN,
    ViT,
    patchify,
)


@pytest.fixture(autouse=True)
def _one_thread_seeded():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(n)


def ids(*shape, vocab=10, low=4):
    return torch.randint(low, vocab, shape)


# One factory per model, with a valid input: (model, args-of-forward, expected output shape).
def _cases():
    yield (
        "regressor",
        lambda d=None: SequenceRegressor(2, 8, "gru", device=d),
        (lambda: (torch.rand(3, 7, 2),), (3, 1)),
    )
    yield (
        "charlm",
        lambda d=None: CharLM(10, 8, "rnn", device=d),
        (lambda: (ids(3, 5),), (3, 5, 10)),
    )
    yield (
        "seq2seq",
        lambda d=None: Seq2Seq(10, 12, 8, attention=True, device=d),
        (lambda: (ids(3, 6), ids(3, 4, vocab=12)), (3, 4, 12)),
    )
    yield (
        "captioner",
        lambda d=None: Captioner(6, 11, 8, attention=True, device=d),
        (lambda: (torch.randn(3, 9, 6), ids(3, 4, vocab=11)), (3, 4, 11)),
    )
    yield (
        "cnn",
        lambda d=None: TinyCNN(1, 8, device=d),
        (lambda: (torch.rand(3, 1, 12, 12),), (3, 9, 8)),
    )
    yield (
        "transformer",
        lambda d=None: Seq2SeqTransformer(10, 12, 16, 2, 1, 1, 32, device=d),
        (lambda: (ids(3, 6), ids(3, 4, vocab=12)), (3, 4, 12)),
    )
    yield (
        "vit",
        lambda d=None: ViT(12, 4, 1, 4, 16, 2, 1, 32, device=d),
        (lambda: (torch.rand(3, 1, 12, 12),), (3, 4)),
    )
    yield (
        "gpt",
        lambda d=None: DecoderOnlyTransformer(10, 16, 2, 1, 32, max_len=8, device=d),
        (lambda: (ids(3, 8),), (3, 8, 10)),
    )


CASES = {name: (make, inputs) for name, make, inputs in _cases()}


@pytest.mark.parametrize("name", CASES)
def test_shapes_and_gradients_reach_every_parameter(name):
    make, (inputs, shape) = CASES[name]
    model = make()
    out = model(*inputs())
    out = out[0] if isinstance(out, tuple) else out
    assert tuple(out.shape) == shape
    out.square().mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    if name == "charlm":  # no embedding: one-hot input
        assert model.embed is None
    assert missing == []


@pytest.mark.parametrize("name", CASES)
def test_inputs_on_another_device_name_both_devices(name):
    make, (inputs, _) = CASES[name]
    model = make("meta")  # a device without data: enough to test the check, no GPU needed
    with pytest.raises(RuntimeError, match=r"is on cpu but the (model|module) is on meta"):
        model(*inputs())


@pytest.mark.parametrize("name", ["charlm", "seq2seq", "captioner", "transformer", "gpt"])
def test_token_ids_outside_the_vocabulary_raise(name):
    make, (inputs, _) = CASES[name]
    model = make()
    args = list(inputs())
    k = 1 if name in ("captioner",) else 0
    args[k] = args[k].clone()
    args[k][0, 0] = 99
    with pytest.raises(ValueError, match=r"expected \w+ in \[0, \d+\), got values in \[\d+, 99\]"):
        model(*args)
    args[k] = args[k].float()
    with pytest.raises(TypeError, match="integer dtype"):
        model(*args)


def test_models_use_seqnotes_layers_not_torch_ones():
    forbidden = (
        tnn.RNNBase,
        tnn.MultiheadAttention,
        tnn.TransformerEncoderLayer,
        tnn.TransformerDecoderLayer,
        tnn.TransformerEncoder,
        tnn.TransformerDecoder,
        tnn.Transformer,
    )
    for name, (make, _) in CASES.items():
        kinds = {type(m) for m in make().modules()}
        assert not any(issubclass(k, forbidden) for k in kinds), name
    layers = {type(m) for m in Seq2SeqTransformer(10, 10, 16, 2).modules()}
    assert {
        snn.TransformerEncoderLayer,
        snn.TransformerDecoderLayer,
        snn.MultiheadAttention,
    } <= layers
    assert any(isinstance(m, snn.LSTM) for m in CharLM(5, 4, "lstm").modules())
    assert any(isinstance(m, snn.GRU) for m in Seq2Seq(5, 5, 4, True).modules())


def test_bad_cell_and_bad_shapes():
    with pytest.raises(ValueError, match="expected cell in"):
        CharLM(5, 4, cell="transformer")
    with pytest.raises(ValueError, match=r"SequenceRegressor.forward: expected x of shape"):
        SequenceRegressor(2, 4)(torch.zeros(3, 5, 3))
    with pytest.raises(ValueError, match="divisible"):
        ViT(10, 4, 1, 2)
    with pytest.raises(ValueError, match=r"ViT.forward: expected images of shape \(N, 1, 12, 12\)"):
        ViT(12, 4, 1, 2, 16, 2, 1, 32)(torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match="max_len"):
        DecoderOnlyTransformer(10, 16, 2, 1, max_len=4)(ids(1, 5))


def test_lstm_regressor_starts_with_forget_bias_one():
    model = SequenceRegressor(2, 4, "lstm")
    assert torch.equal(model.rnn.bias_ih_l0[4:8], torch.ones(4))


def test_charlm_sample_is_seeded_and_greedy_is_deterministic():
    lm = CharLM(8, 16, "gru", embed_dim=4)
    a = lm.sample([4, 5], 10, temperature=1.0, generator=torch.Generator().manual_seed(1))
    b = lm.sample([4, 5], 10, temperature=1.0, generator=torch.Generator().manual_seed(1))
    assert a == b and len(a) == 12 and a[:2] == [4, 5] and all(0 <= i < 8 for i in a)
    assert lm.sample([4], 6, temperature=0) == lm.sample([4], 6, temperature=0)
    # feeding the state back step by step equals running the whole sequence at once
    x = ids(1, 6, vocab=8)
    full, _ = lm(x)
    _, state = lm(x[:, :3])
    rest, _ = lm(x[:, 3:], state)
    torch.testing.assert_close(full[:, 3:], rest)
    with pytest.raises(ValueError, match="temperature"):
        lm.sample([4], 3, temperature=-1)


def test_additive_attention_weights_and_mask():
    att = AdditiveAttention(4, 6, 5)
    keys = torch.randn(2, 3, 6)
    mask = torch.tensor([[False, False, True], [False, False, False]])
    c, a = att(torch.randn(2, 4), keys, mask)
    torch.testing.assert_close(a.sum(-1), torch.ones(2))
    assert a[0, 2] == 0
    torch.testing.assert_close(c, (a.unsqueeze(-1) * keys).sum(1))


@pytest.mark.parametrize("attention", [False, True])
def test_seq2seq_greedy_decode_matches_teacher_forcing(attention):
    model = Seq2Seq(10, 10, 8, attention=attention)
    src = ids(4, 5)
    tokens, A = model.greedy_decode(src, bos=1, eos=2, max_len=7)
    assert tokens.shape[0] == 4 and tokens.shape[1] <= 7
    if attention:
        assert tuple(A.shape) == (4, tokens.shape[1], 5)
        torch.testing.assert_close(A[:, 0].sum(-1), torch.ones(4))
    else:
        assert A is None
    # feeding the greedy output back with teacher forcing gives the same argmaxes
    y_in = torch.cat([torch.ones(4, 1, dtype=torch.long), tokens[:, :-1]], 1)
    first_row_len = int((tokens[0] != 0).sum()) if (tokens[0] == 2).any() else tokens.shape[1]
    logits = model(src[:1], y_in[:1, :first_row_len])
    assert torch.equal(logits.argmax(-1)[0], tokens[0, :first_row_len])


def test_seq2seq_masks_source_padding():
    model = Seq2Seq(10, 10, 8, attention=True)
    src = torch.tensor([[5, 6, 7, 0, 0]])
    _, A = model.greedy_decode(src, 1, 2, 4)
    assert float(A[0, :, 3:].abs().sum()) == 0.0


@pytest.mark.parametrize("attention", [False, True])
def test_captioner_accepts_grid_or_vector(attention):
    cap = Captioner(6, 9, 8, attention=attention)
    tokens, A = cap.greedy_decode(torch.randn(2, 4, 6), 1, 2, max_len=5)
    assert tokens.shape[0] == 2 and (A is None) != attention
    assert tuple(cap(torch.randn(2, 6), ids(2, 3, vocab=9)).shape) == (2, 3, 9)


def test_patchify_layout():
    x = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).view(2, 3, 4, 4)
    p = patchify(x, 2)
    assert tuple(p.shape) == (2, 4, 12)
    torch.testing.assert_close(p[1, 3], x[1, :, 2:, 2:].reshape(-1))


def test_transformers_are_causal():
    gpt = DecoderOnlyTransformer(10, 16, 2, 2, 32, max_len=8)
    x = ids(2, 8)
    y = x.clone()
    y[:, 5:] = 4  # change only the future
    torch.testing.assert_close(gpt(x)[:, :5], gpt(y)[:, :5])
    tr = Seq2SeqTransformer(10, 10, 16, 2, 1, 1, 32)
    src = ids(2, 5)
    torch.testing.assert_close(tr(src, x)[:, :5], tr(src, y)[:, :5])


def test_generate_and_greedy_decode_shapes():
    gpt = DecoderOnlyTransformer(10, 16, 2, 1, 32, max_len=12)
    prefix = ids(3, 4)
    g = torch.Generator().manual_seed(0)
    out = gpt.generate(prefix, 5, temperature=0.8, generator=g)
    again = gpt.generate(prefix, 5, temperature=0.8, generator=torch.Generator().manual_seed(0))
    assert (
        tuple(out.shape) == (3, 9) and torch.equal(out[:, :4], prefix) and torch.equal(out, again)
    )
    with pytest.raises(ValueError, match="temperature"):
        gpt.generate(prefix, 2, temperature=0.0)
    tr = Seq2SeqTransformer(10, 10, 16, 2, 1, 1, 32)
    tokens = tr.greedy_decode(ids(3, 5), 1, 2, max_len=6)
    assert tokens.shape[0] == 3 and tokens.shape[1] <= 6


def test_tied_embeddings_share_one_matrix_and_count_it_once():
    tied = Seq2SeqTransformer(12, 12, 16, 2, 1, 1, 32, tie_embeddings=True)
    untied = Seq2SeqTransformer(12, 12, 16, 2, 1, 1, 32)
    assert tied.src_embed.weight is tied.tgt_embed.weight is tied.out.weight
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(untied) - count(tied) == 2 * 12 * 16
    src, tgt = torch.randint(3, 12, (2, 5)), torch.randint(3, 12, (2, 4))
    tied(src, tgt).sum().backward()  # the one matrix gets the gradient of all three uses
    assert tied.src_embed.weight.grad is not None
    with pytest.raises(ValueError, match="src_vocab=10 and tgt_vocab=12"):
        Seq2SeqTransformer(10, 12, tie_embeddings=True)


def test_paper_sizes_on_the_meta_device():
    # "Attention Is All You Need", base model: shared 37k vocabulary, tied embeddings.
    base = Seq2SeqTransformer(37000, 37000, 512, 8, 6, 6, 2048, tie_embeddings=True, device="meta")
    assert sum(p.numel() for p in base.parameters()) == 63_119_496
    vit_b16 = ViT(224, 16, 3, 1000, 768, 12, 12, 3072, device="meta")  # ViT-B/16: "86M"
    assert sum(p.numel() for p in vit_b16.parameters()) == 86_567_656


def test_decoder_only_generate_keeps_to_the_token_range():
    torch.manual_seed(0)
    lm = DecoderOnlyTransformer(
        20, d_model=16, nhead=2, num_layers=1, dim_feedforward=32, max_len=12
    )
    prefix = torch.tensor([[1, 2, 3]])
    free = lm.generate(prefix, 8, greedy=True)
    kept = lm.generate(prefix, 8, greedy=True, token_range=(10, 20))
    assert torch.equal(kept[:, :3], prefix) and bool((kept[:, 3:] >= 10).all())
    assert not bool((free[:, 3:] >= 10).all())  # without the range this model strays
    with pytest.raises(ValueError, match="0 <= lo < hi <= 20"):
        lm.generate(prefix, 1, token_range=(15, 25))
