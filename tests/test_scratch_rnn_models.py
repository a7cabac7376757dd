"""seqnotes.scratch.rnn_models: char LM training, seq2seq and captioner behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from _compare import NUM_RTOL, rng
from seqnotes.scratch.functional import gradcheck
from seqnotes.scratch.optim import SGD, Adam
from seqnotes.scratch.rnn_models import Captioner, CharRNNLM, Seq2Seq

HELLO = np.array([[0, 1, 2, 2, 3]])  # h e l l o


@pytest.mark.parametrize(("cell", "embedding_dim"), [("rnn", 3), ("lstm", None), ("gru", 2)])
def test_char_lm_gradients(cell, embedding_dim):
    lm = CharRNNLM(4, 3, embedding_dim=embedding_dim, cell=cell, rng=1)
    ids = np.array([[0, 1, 2, 2, 3], [3, 2, 1, 0, 0]])
    lm.loss(ids)
    grads = lm.backward()
    assert set(grads) == set(lm.params())
    for name, p in lm.params().items():
        assert gradcheck(lambda: lm.loss(ids), p, grads[name]) < NUM_RTOL, name


@pytest.mark.parametrize(("cell", "opt"), [("rnn", "adam"), ("lstm", "adam"), ("rnn", "sgd")])
def test_char_lm_learns_hello(cell, opt):
    lm = CharRNNLM(4, 16, cell=cell, rng=0)
    first = lm.loss(HELLO)
    if opt == "adam":
        optimizer = Adam(lm.params(), lr=0.05)
    else:
        optimizer = SGD(lm.params(), lr=0.5, momentum=0.9)
    for _ in range(150):
        loss = lm.loss(HELLO)
        optimizer.step(lm.backward())
    assert loss < 0.02 < first
    assert lm.sample([0], 4, temperature=0) == [0, 1, 2, 2, 3]
    # low temperature sampling also spells it; the draw is reproducible from the seed
    assert lm.sample([0], 4, temperature=0.1, rng=3) == [0, 1, 2, 2, 3]
    a, b = lm.sample([0], 10, temperature=5.0, rng=7), lm.sample([0], 10, temperature=5.0, rng=7)
    assert a == b and len(a) == 11


def test_char_lm_bad_inputs():
    lm = CharRNNLM(4, 3)
    with pytest.raises(ValueError, match=r"CharRNNLM.loss: expected ids in \[0, 4\)"):
        lm.loss(np.array([[0, 1, 4]]))
    with pytest.raises(ValueError, match=r"CharRNNLM.forward: expected ids in \[0, 4\)"):
        lm.forward(np.array([[0, -1]]))
    with pytest.raises(TypeError, match="integer dtype"):
        lm.forward(np.array([[0.0, 1.0]]))
    with pytest.raises(RuntimeError, match="call loss before backward"):
        CharRNNLM(4, 3).backward()
    with pytest.raises(ValueError, match="cell"):
        CharRNNLM(4, 3, cell="transformer")


BOS, EOS = 0, 1


@pytest.mark.parametrize("attention", [False, True])
@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_seq2seq_teacher_forcing_and_greedy_agree(attention, cell):
    model = Seq2Seq(8, 9, embedding_dim=4, hidden_size=6, attention=attention, cell=cell, rng=2)
    src = rng(0).integers(2, 8, size=(3, 5))
    decoded = model.greedy_decode(src, BOS, EOS, max_len=6)
    assert len(decoded) == 3
    for n, ys in enumerate(decoded):
        assert 1 <= len(ys) <= 6
        assert EOS not in ys[:-1]  # stops right after <eos>
        tgt_in = np.array([[BOS] + ys[:-1]])
        logits = model.forward(src[n : n + 1], tgt_in)
        assert logits.shape == (1, len(ys), 9)
        assert np.argmax(logits[0], axis=-1).tolist() == ys  # greedy = argmax of teacher forcing
    if attention:
        w = model.attention_weights
        assert w.shape == (1, len(decoded[-1]), 5)
        np.testing.assert_allclose(w.sum(-1), 1.0)
    else:
        assert model.attention_weights is None


def test_seq2seq_stops_at_eos_and_respects_max_len():
    model = Seq2Seq(5, 6, embedding_dim=3, hidden_size=4, rng=0)
    src = np.array([[2, 3, 4], [4, 3, 2]])
    model.decoder.head.bias[EOS] = 100.0  # <eos> always wins
    assert model.greedy_decode(src, BOS, EOS, max_len=10) == [[EOS], [EOS]]
    model.decoder.head.bias[EOS] = -100.0  # <eos> never wins
    assert [len(ys) for ys in model.greedy_decode(src, BOS, EOS, max_len=7)] == [7, 7]


def test_seq2seq_attention_ignores_padding():
    model = Seq2Seq(6, 6, embedding_dim=3, hidden_size=4, attention=True, rng=1)
    src = np.array([[2, 3, 4, 0, 0], [2, 3, 4, 5, 5]])
    mask = np.array([[False, False, False, True, True], [False] * 5])
    model.forward(src, np.array([[BOS, 2, 3], [BOS, 4, 5]]), src_mask=mask)
    w = model.attention_weights
    assert np.all(w[0, :, 3:] == 0) and np.all(w[1] > 0)
    np.testing.assert_allclose(w.sum(-1), 1.0)


def test_seq2seq_bad_inputs():
    model = Seq2Seq(5, 6, embedding_dim=3, hidden_size=4)
    with pytest.raises(ValueError, match=r"Seq2Seq.encode: expected src in \[0, 5\)"):
        model.forward(np.array([[1, 5]]), np.array([[0]]))
    with pytest.raises(ValueError, match=r"Seq2Seq.forward: expected tgt_in of shape \(1, T\)"):
        model.forward(np.array([[1, 2]]), np.array([[0], [1]]))
    with pytest.raises(ValueError, match=r"Seq2Seq.encode: expected src of shape \(N, S\)"):
        model.forward(np.array([1, 2]), np.array([[0]]))


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_captioner_without_attention(cell):
    cap = Captioner(feature_dim=6, vocab_size=10, embedding_dim=4, hidden_size=5, cell=cell, rng=0)
    feats = rng(1).normal(size=(2, 6))
    logits = cap.forward(feats, np.array([[BOS, 3, 4], [BOS, 5, 6]]))
    assert logits.shape == (2, 3, 10) and cap.attention_weights is None
    # the image decides the caption: different features, different first-word scores
    assert not np.allclose(logits[0, 0], logits[1, 0])
    cap.decoder.head.bias[EOS] = 100.0
    assert cap.greedy_decode(feats, BOS, EOS) == [[EOS], [EOS]]


def test_captioner_attention_over_grid():
    cap = Captioner(6, 10, embedding_dim=4, hidden_size=5, attention=True, rng=0)
    grid = rng(2).normal(size=(3, 7, 6))  # 7 regions of 6 features
    captions = cap.greedy_decode(grid, BOS, EOS, max_len=5)
    assert len(captions) == 3 and all(1 <= len(c) <= 5 for c in captions)
    cap.forward(grid, np.array([[BOS] + captions[0][:-1]] * 3))
    w = cap.attention_weights
    assert w.shape == (3, len(captions[0]), 7)
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-12)
    assert np.all(w > 0)


def test_captioner_bad_inputs():
    cap = Captioner(6, 10, 4, 5, attention=True)
    with pytest.raises(
        ValueError, match=r"Captioner.forward: expected features of shape \(N, P, 6\), got \(2, 6\)"
    ):
        cap.forward(np.zeros((2, 6)), np.array([[0], [0]]))
    with pytest.raises(TypeError, match="floating-point"):
        Captioner(6, 10, 4, 5).forward(np.zeros((2, 6), dtype=int), np.array([[0], [0]]))
    with pytest.raises(ValueError, match=r"expected y_in in \[0, 10\)"):
        Captioner(6, 10, 4, 5).forward(np.zeros((2, 6)), np.array([[0], [10]]))
