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
