"""Translation parity: every page exists in both languages and says the same things.

Checked per page: both files exist; heading anchors are the same, in the same
order; code blocks are the same, in the same order (whole-line `#` comments may
differ, so they can be translated); display formulas are the same, except for
the words inside `\\text{…}` (so the Korean page may write `\\text{손실}` where the
English one writes `\\text{loss}`; a `\\text{…}` used as a sub- or superscript,
as in `d_\\text{model}`, is part of a symbol and must match).
"""

from __future__ import annotations

import pytest

from docs_tools import (
    DOCS,
    anchors,
    code_blocks,
    display_math,
    first_difference,
    pages,
    untranslated,
)

PAGES = pages()


def _where(path, item) -> str:
    return (
        f"{path.relative_to(DOCS.parent)}:{item.line}"
        if item
        else f"{path.relative_to(DOCS.parent)}:(end)"
    )


def _assert_same(stem: str, what: str, extract, note: str = "") -> None:
    ko, en = PAGES[stem]["ko"], PAGES[stem]["en"]
    diff = first_difference(extract(ko), extract(en))
    if diff is not None:
        k, a, b = diff
        pytest.fail(
            f"{what} of docs/{stem}.ko.md and docs/{stem}.en.md differ at #{k + 1}:\n"
            f"  {_where(ko, a)}: {a.text if a else '<missing>'!s}\n"
            f"  {_where(en, b)}: {b.text if b else '<missing>'!s}" + (f"\n{note}" if note else ""),
            pytrace=False,
        )


def test_there_are_pages():
    assert "index" in PAGES and "sequences/index" in PAGES


def test_no_markdown_without_language_suffix():
    assert untranslated() == [], "every page must be name.ko.md + name.en.md"


@pytest.mark.parametrize("stem", sorted(PAGES))
def test_both_languages_exist(stem):
    missing = [lang for lang in ("ko", "en") if lang not in PAGES[stem]]
    if missing:
        have = next(iter(PAGES[stem].values()))
        pytest.fail(
            f"{have.relative_to(DOCS.parent)} has no counterpart: "
            + ", ".join(f"docs/{stem}.{lang}.md" for lang in missing)
            + " is missing",
            pytrace=False,
        )


def _pair_stems():
    return sorted(s for s, v in PAGES.items() if set(v) == {"ko", "en"})


@pytest.mark.parametrize("stem", _pair_stems())
def test_same_heading_anchors(stem):
    _assert_same(stem, "Heading anchors", anchors)


@pytest.mark.parametrize("stem", _pair_stems())
def test_same_code_blocks(stem):
    _assert_same(stem, "Code blocks", code_blocks)


@pytest.mark.parametrize("stem", _pair_stems())
def test_same_display_formulas(stem):
    _assert_same(
        stem,
        "Display formulas",
        display_math,
        note="(only the words inside \\text{…} may differ between the languages)",
    )


@pytest.mark.parametrize("stem", _pair_stems())
def test_every_heading_has_an_explicit_anchor(stem):
    for lang in ("ko", "en"):
        path = PAGES[stem][lang]
        for item in anchors(path):
            assert not item.text.startswith("<no explicit anchor"), (
                f"{path.relative_to(DOCS.parent)}:{item.line}: {item.text}; "
                "write it as `## Title {{ #english-slug }}` with the same slug in both languages"
            )
