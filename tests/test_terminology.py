"""One Korean term per concept: the glossary's term table is the single source.

docs/glossary.ko.md has a table whose columns include 한국어 (the preferred term)
and 피할 표기 (comma-separated variants that the Korean pages must not use).
Every Korean page is checked line by line, outside code blocks, display and
inline math, inline code, link targets and anchors. A failure names file:line,
the variant and the glossary term to write instead.

Matching suited to Korean: particles attach to the end of a word, so a variant
matches only where a word starts (the character before it is not a Hangul
syllable) and may be followed by anything. "상관" therefore matches "상관입니다"
but not "상호상관". Words that merely begin with a variant ("상관없이",
"폭발") are listed in NOT_A_VARIANT. Where variants overlap, the longest wins
("시간 폭" is reported as a variant of 시간 범위, not of 너비).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from docs_tools import DOCS, prose

GLOSSARY_KO = DOCS / "glossary.ko.md"
GLOSSARY_EN = DOCS / "glossary.en.md"
TERMS_ANCHOR = "terms"
AVOID_KO, PREFERRED_KO, ENGLISH_KO = "피할 표기", "한국어", "영어"
AVOID_EN, KOREAN_EN = "Avoid (Korean)", "Korean"

# Words that begin with a variant but are ordinary Korean with another meaning.
NOT_A_VARIANT: dict[str, tuple[str, ...]] = {
    "상관": ("상관없", "상관 없", "상관이 없", "상관있", "상관 있", "상관이 있", "상관관계"),
    "폭": ("폭발", "폭넓"),
    "질의": ("질의응답",),
}

HANGUL = "가-힣"
_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_RULE = re.compile(r"^\s*\|?\s*:?-{3,}")


@dataclass(frozen=True)
class Variant:
    text: str  # the variant as written in the glossary
    preferred: str  # the glossary's Korean term
    english: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Hit:
    path: Path
    line: int
    column: int
    variant: Variant
    context: str

    def __str__(self) -> str:
        path = self.path.relative_to(DOCS.parent) if self.path.is_relative_to(DOCS) else self.path
        where = f"{path}:{self.line}"
        v = self.variant
        return (
            f'{where}: "{v.text}" → write "{v.preferred}" ({v.english})  …{self.context.strip()}…'
        )


def _cells(line: str) -> list[str]:
    m = _ROW.match(line)
    if not m:
        return []
    return [c.strip() for c in re.split(r"(?<!\\)\|", m.group(1))]


def table_after_anchor(path: Path, anchor: str) -> list[dict[str, str]]:
    """The first Markdown table after the heading `{ #anchor }`, as one dict per row."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(
        (i for i, line in enumerate(lines) if re.search(rf"\{{\s*#{anchor}\s*\}}\s*$", line)),
        None,
    )
    if start is None:
        raise AssertionError(f"{path.name}: no heading with {{ #{anchor} }}")
    i = start + 1
    while i < len(lines) and not _ROW.match(lines[i]):
        i += 1
    header = _cells(lines[i])
    assert i + 1 < len(lines) and _RULE.match(lines[i + 1]), f"{path.name}:{i + 2}: no table rule"
    rows = []
    for j in range(i + 2, len(lines)):
        cells = _cells(lines[j])
        if not cells:
            break
        assert len(cells) == len(header), (
            f"{path.name}:{j + 1}: {len(cells)} cells, the header has {len(header)}"
        )
        rows.append(dict(zip(header, cells, strict=True)) | {"_line": str(j + 1)})
    return rows


def split_variants(cell: str) -> list[str]:
    return [v.strip() for v in cell.split(",") if v.strip()]


def _pattern(variant: str) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(part) for part in variant.split())
    return re.compile(rf"(?<![{HANGUL}]){body}")


def variants(glossary: Path = GLOSSARY_KO) -> list[Variant]:
    """Every variant of the glossary's term table, longest first."""
    out = [
        Variant(v, row[PREFERRED_KO], row[ENGLISH_KO], _pattern(v))
        for row in table_after_anchor(glossary, TERMS_ANCHOR)
        for v in split_variants(row[AVOID_KO])
    ]
    return sorted(out, key=lambda v: -len(v.text))


def _is_exception(variant: str, text: str, start: int) -> bool:
    rest = text[start:]
    return any(
        re.match(r"\s+".join(map(re.escape, word.split())), rest)
        for word in NOT_A_VARIANT.get(variant, ())
    )


def _blank_avoid_column(lines):
    """Blank the 피할 표기 column of any table, so that the glossary may list variants."""
    column = None
    for item in lines:
        cells = _cells(item.text)
        if not cells:
            column = None
        elif AVOID_KO in cells:
            column = cells.index(AVOID_KO)
        elif column is not None and not _RULE.match(item.text):
            bars = [m.start() for m in re.finditer(r"(?<!\\)\|", item.text)]
            if len(bars) > column + 1:
                a, b = bars[column], bars[column + 1]
                item = type(item)(item.line, item.text[: a + 1] + " " * (b - a - 1) + item.text[b:])
        yield item


def find_variants(path: Path, table: list[Variant]) -> list[Hit]:
    """Every place in a Korean page where a variant from the glossary is used."""
    hits = []
    for item in _blank_avoid_column(prose(path)):
        taken: list[tuple[int, int]] = []
        for v in table:  # longest first, so a longer variant claims its span
            for m in v.pattern.finditer(item.text):
                if _is_exception(v.text, item.text, m.start()):
                    continue
                if any(a < m.end() and m.start() < b for a, b in taken):
                    continue
                taken.append((m.start(), m.end()))
                context = " ".join(item.text[max(0, m.start() - 12) : m.end() + 12].split())
                hits.append(Hit(path, item.line, m.start() + 1, v, context))
    return sorted(hits, key=lambda h: (h.line, h.column))


KO_PAGES = sorted(DOCS.rglob("*.ko.md"))
TABLE = variants()


def _page_id(path: Path) -> str:
    return path.relative_to(DOCS).as_posix()


@pytest.mark.parametrize("path", KO_PAGES, ids=_page_id)
def test_korean_page_uses_the_glossary_terms(path):
    hits = find_variants(path, TABLE)
    if hits:
        pytest.fail(
            f"{len(hits)} variant(s) the glossary says to avoid "
            f"(docs/glossary.ko.md#terms, column {AVOID_KO}):\n" + "\n".join(map(str, hits)),
            pytrace=False,
        )


def test_glossary_variants_are_well_formed():
    rows = table_after_anchor(GLOSSARY_KO, TERMS_ANCHOR)
    preferred = {row[PREFERRED_KO] for row in rows}
    seen: dict[str, str] = {}
    for row in rows:
        for v in split_variants(row[AVOID_KO]):
            where = f"glossary.ko.md:{row['_line']}"
            assert v not in seen, f"{where}: {v!r} is also listed for {seen[v]!r}"
            assert v not in preferred, f"{where}: {v!r} is itself a glossary term"
            seen[v] = row[PREFERRED_KO]
    assert set(NOT_A_VARIANT) <= set(seen), "an exception names a word that is not a variant"
    assert len(seen) >= 50


def test_english_glossary_lists_the_same_variants():
    ko = table_after_anchor(GLOSSARY_KO, TERMS_ANCHOR)
    en = table_after_anchor(GLOSSARY_EN, TERMS_ANCHOR)
    assert [r[PREFERRED_KO] for r in ko] == [r[KOREAN_EN] for r in en], (
        "the two term tables must list the same Korean terms in the same order"
    )
    for k, e in zip(ko, en, strict=True):
        assert split_variants(k[AVOID_KO]) == split_variants(e[AVOID_EN]), (
            f"glossary.en.md:{e['_line']}: {AVOID_EN} of {e[KOREAN_EN]!r} differs from "
            f"glossary.ko.md:{k['_line']}"
        )


def _page(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "planted.ko.md"
    page.write_text(textwrap.dedent(text), encoding="utf-8")
    return page


def test_check_fires_on_planted_variants(tmp_path):
    page = _page(
        tmp_path,
        """\
        # 심은 페이지 { #planted }

        원천 시퀀스를 인코더가 읽습니다.
        가중치 기울기는 입력과 G의 상관입니다. 시간 폭은 τ입니다.
        이미지의 폭이 12입니다. 혼잡도가 낮습니다.
        """,
    )
    found = [(h.line, h.variant.text, h.variant.preferred) for h in find_variants(page, TABLE)]
    assert found == [
        (3, "원천", "소스 시퀀스"),
        (4, "상관", "상호상관"),
        (4, "시간 폭", "시간 범위"),
        (5, "폭", "너비"),
        (5, "혼잡도", "퍼플렉서티"),
    ]
    message = str(find_variants(page, TABLE)[0])
    assert message.startswith(f'{page}:3: "원천" → write "소스 시퀀스" (source sequence)')
    assert "원천 시퀀스를" in message  # with the surrounding words


def test_check_does_not_fire_on_exceptions_code_or_math(tmp_path):
    page = _page(
        tmp_path,
        """\
        # 예외 { #exceptions }

        비율은 D와 상관없이 3/4이고, H와도 상관이 없습니다. 상호상관을 씁니다.
        기울기 폭발과 시각 질의응답은 폭넓게 그대로 씁니다. `원천` 그리고 $\\text{원천}$.

        ```pycon
        >>> "원천 혼잡도 폭"
        ```

        $$
        \\text{혼잡도}
        $$

        | 한국어 | 피할 표기 |
        |---|---|
        | 퍼플렉서티 | 혼잡도 |
        """,
    )
    assert find_variants(page, TABLE) == []


def test_glossary_pages_pass_their_own_check():
    assert find_variants(GLOSSARY_KO, TABLE) == []
