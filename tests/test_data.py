"""seqnotes.data: seeded synthetic tasks, toy corpora and Vocab."""

from __future__ import annotations

import numpy as np
import pytest

from seqnotes import data

SEEDED = [
    lambda s: data.adding_problem(8, 12, seed=s),
    lambda s: data.binary_counting(8, 12, seed=s),
    lambda s: data.copy_task(8, 6, seed=s),
    lambda s: data.reverse_task(8, 6, seed=s),
    lambda s: data.shape_images(8, seed=s, noise=0.1),
    lambda s: data.text_image_pairs(8, seed=s),
    lambda s: data.number_translation_pairs(8, (2, 5), seed=s),
]


def _flat(x) -> list:
    if isinstance(x, np.ndarray):
        return [x.tolist()]
    if isinstance(x, (tuple, list)):
        return [v for item in x for v in _flat(item)]
    return [x]


@pytest.mark.parametrize("make", SEEDED)
def test_same_seed_same_data_other_seed_other_data(make):
    assert _flat(make(0)) == _flat(make(0))
    assert _flat(make(0)) != _flat(make(1))


def test_generator_seed_is_accepted():
    a = data.adding_problem(4, 6, seed=np.random.default_rng(3))
    b = data.adding_problem(4, 6, seed=3)
    assert np.array_equal(a[0], b[0])


def test_adding_problem_target_and_markers():
    T = 20
    x, y = data.adding_problem(500, T, seed=0)
    assert x.shape == (500, T, 2) and y.shape == (500,) and x.dtype == np.float64
    markers = x[..., 1]
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert (markers.sum(1) == 2).all()
    # one marker in each half: the dependency spans about T/2 steps or more
    assert (markers[:, : T // 2].sum(1) == 1).all() and (markers[:, T // 2 :].sum(1) == 1).all()
    for i in range(20):
        a, b = np.flatnonzero(markers[i])
        assert y[i] == pytest.approx(x[i, a, 0] + x[i, b, 0])
    assert ((0 <= x[..., 0]) & (x[..., 0] < 1)).all()
    # predicting the mean gives MSE = Var(U + U) = 1/6
    assert np.var(data.adding_problem(20_000, 10, seed=1)[1]) == pytest.approx(1 / 6, abs=0.01)
    with pytest.raises(ValueError, match="T >= 2"):
        data.adding_problem(3, 1)


def test_binary_counting():
    x, y = data.binary_counting(50, 9, seed=0)
    assert x.shape == (50, 9) and set(np.unique(x)) <= {0.0, 1.0}
    assert np.array_equal(y, x.sum(1))


def test_copy_and_reverse_tasks():
    src, tgt = data.copy_task(30, length=7, n_symbols=5, seed=0)
    assert src.shape == (30, 7) and tgt.shape == (30, 9) and src.dtype == tgt.dtype == np.int64
    assert src.min() >= data.N_SPECIALS and src.max() < data.N_SPECIALS + 5
    assert (tgt[:, 0] == data.BOS_ID).all() and (tgt[:, -1] == data.EOS_ID).all()
    assert np.array_equal(tgt[:, 1:-1], src)
    src, tgt = data.reverse_task(30, length=7, seed=0)
    assert np.array_equal(tgt[:, 1:-1], src[:, ::-1])
    v = data.symbol_vocab(10)
    assert v.decode(tgt[0]) == " ".join(v.itos[i] for i in src[0, ::-1])


def test_vocab_specials_roundtrip_and_aliases():
    v = data.Vocab.from_texts(["<start> horizontal bar top <end>", "<start> square left <end>"])
    assert v.itos[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]
    assert (v.pad_id, v.bos_id, v.eos_id, v.unk_id) == (0, 1, 2, 3)
    assert "<start>" in v and "<start>" not in v.itos  # an alias, not a new token
    ids = v.encode("<start> square top <end>")
    assert ids[0] == v.bos_id and ids[-1] == v.eos_id
    assert v.decode(ids) == "square top"
    assert v.decode(ids, strip=False) == "<bos> square top <eos>"
    assert v.encode("square circle") == [v["square"], v.unk_id]
    assert len(v) == 4 + 5
    text = "hello world"
    c = data.Vocab.from_texts([text], level="char")
    assert c.decode(c.encode(text, bos=True, eos=True)) == text
    assert c.decode([*c.encode("he"), c.eos_id, *c.encode("llo")]) == "he"  # stops at <eos>


def test_vocab_encode_batch_pads_and_decode_checks_ids():
    v = data.Vocab.from_texts(["a b c"])
    batch = v.encode_batch(["a", "a b c"], bos=True, eos=True)
    assert batch.shape == (2, 5) and batch.dtype == np.int64 and batch[0, -1] == data.PAD_ID
    assert v.encode_batch(["a b c"], length=2).tolist() == [[4, 5]]
    with pytest.raises(ValueError, match=r"Vocab.decode: expected ids in \[0, 7\)"):
        v.decode([4, 99])
    with pytest.raises(ValueError, match="level"):
        data.Vocab(level="byte")


def test_hello_vocab_is_the_lectures():
    v = data.Vocab.from_texts([data.HELLO], level="char")
    assert v.itos[4:] == ["h", "e", "l", "o"]
    assert set(data.TINY_CORPUS) <= set(
        data.Vocab.from_texts([data.TINY_CORPUS], level="char").itos
    )


def test_number_translation_pairs():
    pairs = data.number_translation_pairs(20, length=(1, 6), seed=0)
    for src, tgt in pairs:
        words, digits = src.split(), tgt.split()
        assert 1 <= len(words) <= 6
        assert [data.NUMBER_WORDS.index(w) for w in words] == [int(d) for d in digits]
    src, tgt = data.number_translation_pairs(1, 4, seed=0, reverse=True)[0]
    assert [data.NUMBER_WORDS.index(w) for w in src.split()][::-1] == [int(d) for d in tgt.split()]


def test_shape_images_labels_and_captions_agree():
    x, y, caps = data.shape_images(200, size=12, seed=0)
    assert x.shape == (200, 1, 12, 12) and y.shape == (200,) and len(caps) == 200
    for img, label, cap in zip(x[:, 0], y, caps, strict=True):
        words = cap.split()
        assert words[0] == "<start>" and words[-1] == "<end>"
        assert " ".join(words[1:-2]) == data.SHAPES[label]
        rows, cols = np.nonzero(img)
        zone = 4
        if label == 0:  # horizontal bar: one row, named by its zone
            assert len(set(rows)) == 1 and data.ROW_WORDS[rows[0] // zone] == words[-2]
        elif label == 1:
            assert len(set(cols)) == 1 and data.COL_WORDS[cols[0] // zone] == words[-2]
        else:  # 3×3 shapes: 9 pixels (square) or 5 (cross)
            assert img.sum() == (9 if label == 2 else 5)
    assert set(y.tolist()) == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="multiple of 3"):
        data.shape_images(2, size=10)


def test_text_image_prompts_render():
    prompts = data.all_text_image_prompts()
    assert len(prompts) == len(set(prompts)) == 64
    grid = data.render_prompt("yellow square top right")
    assert grid.tolist() == [[0, 0, 4, 4], [0, 0, 4, 4], [0, 0, 0, 0], [0, 0, 0, 0]]
    grids = {p: data.render_prompt(p).tobytes() for p in prompts}
    assert len(set(grids.values())) == 64  # every prompt draws a different image
    with pytest.raises(ValueError, match="render_prompt"):
        data.render_prompt("purple square top left")
    ps, imgs = data.text_image_pairs(5, seed=0)
    assert imgs.shape == (5, 4, 4) and all(
        np.array_equal(data.render_prompt(p), g) for p, g in zip(ps, imgs, strict=True)
    )
