"""The parity checks and the skip rule must be able to fail: feed them broken pages."""

from __future__ import annotations

import textwrap

import pytest
from sybil import Document

import docs_tools
from snippets import ReasonedSkipParser


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_anchor_drift_is_found(tmp_path):
    ko = _write(tmp_path, "a.ko.md", "# 제목 { #title }\n\n## 은닉 상태 { #hidden-state }\n")
    en = _write(tmp_path, "a.en.md", "# Title { #title }\n\n## Hidden state { #hidden }\n")
    k, a, b = docs_tools.first_difference(docs_tools.anchors(ko), docs_tools.anchors(en))
    assert (k, a.text, b.text, a.line) == (1, "hidden-state", "hidden", 3)


def test_code_differs_but_translated_comments_do_not_count(tmp_path):
    ko = _write(tmp_path, "b.ko.md", "```pycon\n>>> # 한국어 주석\n>>> x = 1\n>>> x\n1\n```\n")
    en = _write(
        tmp_path, "b.en.md", "```pycon\n>>> # an English comment\n>>> x = 1\n>>> x\n1\n```\n"
    )
    assert (
        docs_tools.first_difference(docs_tools.code_blocks(ko), docs_tools.code_blocks(en)) is None
    )
    en.write_text("```pycon\n>>> x = 2\n>>> x\n2\n```\n", encoding="utf-8")
    assert (
        docs_tools.first_difference(docs_tools.code_blocks(ko), docs_tools.code_blocks(en))
        is not None
    )


def test_formula_drift_and_missing_heading_anchor(tmp_path):
    ko = _write(tmp_path, "c.ko.md", "## 수식\n\n$$\na = b\n$$\n")
    en = _write(tmp_path, "c.en.md", "## Equations { #eq }\n\n$$\na = c\n$$\n")
    assert docs_tools.first_difference(docs_tools.display_math(ko), docs_tools.display_math(en))
    assert docs_tools.anchors(ko)[0].text.startswith("<no explicit anchor")


def test_skip_without_reason_fails_with_file_and_line(tmp_path):
    page = _write(tmp_path, "d.en.md", "text\n\n<!-- skip: next -->\n```pycon\n>>> 1\n1\n```\n")
    doc = Document(page.read_text(), str(page))
    with pytest.raises(ValueError, match=r"d\.en\.md:3: .*needs a reason"):
        list(ReasonedSkipParser()(doc))


def test_skip_with_reason_is_accepted(tmp_path):
    page = _write(
        tmp_path, "e.en.md", '<!-- skip: next "opens a plot window" -->\n```pycon\n>>> 1\n1\n```\n'
    )
    doc = Document(page.read_text(), str(page))
    assert len(list(ReasonedSkipParser()(doc))) == 1


def _formula_pair(tmp_path, ko_tex, en_tex):
    ko = _write(tmp_path, "f.ko.md", f"## 수식 {{ #eq }}\n\n$$\n{ko_tex}\n$$\n")
    en = _write(tmp_path, "f.en.md", f"## Equations {{ #eq }}\n\n$$\n{en_tex}\n$$\n")
    return docs_tools.first_difference(docs_tools.display_math(ko), docs_tools.display_math(en))


def test_formula_may_differ_only_inside_text(tmp_path):
    en = r"\mathcal{L} = \sum_t \mathcal{L}_t \quad \text{(total loss)}"
    ko = r"\mathcal{L} = \sum_t \mathcal{L}_t \quad \text{(전체 손실)}"
    assert _formula_pair(tmp_path, ko, en) is None
    aligned_en = r"f_t &= \sigma(W_f x) && \textrm{forget gate}"
    aligned_ko = r"f_t &= \sigma(W_f x) && \textrm{망각 게이트}"
    assert _formula_pair(tmp_path, aligned_ko, aligned_en) is None


def test_formula_differing_outside_text_fails(tmp_path):
    en = r"\mathcal{L} = \sum_t \mathcal{L}_t \quad \text{(total loss)}"
    ko = r"\mathcal{L} = \sum_{t=1}^{T} \mathcal{L}_t \quad \text{(전체 손실)}"
    k, a, b = _formula_pair(tmp_path, ko, en)
    assert (k, a.line, b.line) == (0, 3, 3)
    assert "전체 손실" in a.text and "total loss" in b.text  # the message shows the originals


def test_text_as_subscript_is_part_of_the_symbol(tmp_path):
    assert _formula_pair(tmp_path, r"d_\text{모델}", r"d_\text{model}") is not None
    assert _formula_pair(tmp_path, r"P_{\text{게이트}}", r"P_{\text{GRU}}") is not None
    assert _formula_pair(tmp_path, r"x^{\text{img}}", r"x^{\text{img}}") is None


def test_masking_keeps_the_structure():
    mask = docs_tools.mask_text_words
    assert mask(r"a \text{if } b") == r"a \text{…} b"
    assert mask(r"\text{a {nested} b} + \text{c}") == r"\text{…} + \text{…}"
    labels = r"C_\text{in} \text{ and } C_{\text{out}}"
    assert mask(labels) == r"C_\text{in} \text{…} C_{\text{out}}"
    symbols = r"\mathrm{ctx}_t \operatorname{softmax}"
    assert mask(symbols) == symbols
    assert mask(r"\\text{x}") == r"\\text{x}"  # a line break followed by letters, not \text
    # a different number of words, or a word moved elsewhere, is a difference
    assert mask(r"a \text{x}") != mask(r"a \text{x} \text{y}")
    assert mask(r"\text{x} a") != mask(r"a \text{x}")


def test_prose_leaves_out_code_and_math(tmp_path):
    page = _write(
        tmp_path,
        "g.ko.md",
        """\
        # 제목 { #title }

        본문 `코드` 그리고 $\\text{수식}$ 뒤 [링크](a/b.md#c) <!-- 주석 --> 끝

        ```pycon
        >>> "코드 블록"
        ```

        $$
        \\text{표시 수식}
        $$
        """,
    )
    lines = {item.line: item.text for item in docs_tools.prose(page)}
    assert lines[1].startswith("# 제목") and "#title" not in lines[1]
    assert "본문" in lines[3] and "끝" in lines[3] and "[링크]" in lines[3]
    assert not any(w in lines[3] for w in ("코드", "수식", "b.md", "주석"))
    assert len(lines[3]) == len(page.read_text(encoding="utf-8").splitlines()[2])
    assert not any("코드 블록" in t or "표시 수식" in t for t in lines.values())
