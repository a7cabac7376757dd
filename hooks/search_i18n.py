"""One search index per language, and Korean search that understands particles.

**Per language.** mkdocs-static-i18n merges both editions into one
``search/search_index.json``, so every reader downloaded both languages and a
Korean query also listed English sections. After the build this hook splits
it: ``search/search_index.json`` keeps the Korean pages and
``en/search/search_index.json`` the English ones (their locations made
relative to ``en/``), and each English page's ``__config.base`` (which Material
uses only to find the search index and to resolve result links) is pointed at
``en/``.

**Particles.** Korean attaches particles and endings to the word: a reader
types 「어텐션을」 or 「트랜스포머는」 and lunr, which matches whole tokens (with a
trailing wildcard), misses the pages that say 「어텐션」. The Korean index's
``separator`` (the one regular expression Material's search uses to split both
the indexed text and the query) also matches a particle that ends a word, so
the particle is dropped like a space. Unambiguous particles (를, 는, 에서, …)
are dropped after any word; short ones that also end ordinary nouns (이, 가, 의,
과, 도, …) only after a known stem: a Korean word of the Korean pages that occurs
on its own and also with a particle attached, or a glossary term. So 「길이」
stays whole while 「길이를」 and 「길이가」 become 「길이」. Index and query go through the
same expression, so 「어텐션을」 finds what 「어텐션」 finds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mkdocs.plugins import CombinedEvent, event_priority

# Particles and endings that attach to a noun. Those in ANYWHERE are cut after any
# Hangul, Latin letter or digit ("LSTM의", "트랜스포머는"); the short ones in AFTER_STEM,
# which also end ordinary words ("길이", "결과", "정도"), only after a known stem.
ANYWHERE = (
    "이라는 라는 이라고 라고 에서는 에서도 에서의 으로는 으로도 으로의 에게는 에게서 에게 "
    "에서 으로 까지 부터 보다 처럼 마다 를 을 는 은"
).split()
AFTER_STEM = (
    "이나 이란 이며 이고 이다 입니다 와의 과의 에는 에도 로는 로도 로의 이 가 의 에 로 와 과 도 만"
).split()
PARTICLES = sorted(ANYWHERE + AFTER_STEM, key=len, reverse=True)
_HANGUL_WORD = re.compile(r"[가-힣]+")
_TAG = re.compile(r"<[^>]+>")
_BASE = re.compile(r'("base": )"[^"]*"')
_GLOSSARY = Path(__file__).resolve().parent.parent / "docs" / "glossary.ko.md"


def glossary_terms() -> set[str]:
    """Korean terms of the glossary's term table (one-word terms only)."""
    terms = set()
    for line in _GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and _HANGUL_WORD.fullmatch(cells[0] or "-"):
            terms.add(cells[0])
    return terms


def stems(texts: list[str]) -> set[str]:
    """Words that occur alone and also with a particle attached somewhere in ``texts``."""
    words: set[str] = set()
    for text in texts:
        words.update(_HANGUL_WORD.findall(_TAG.sub(" ", text)))
    found = set()
    for word in words:
        for particle in PARTICLES:
            stem = word[: -len(particle)]
            if word.endswith(particle) and stem in words:
                found.add(stem)
    # 「길」 takes particles, but 「길이」 is a noun of its own (it takes them too): a stem
    # that a short ending would turn into another stem cannot tell the two apart.
    return {s for s in found if not any(s + p in found for p in AFTER_STEM)}


def korean_separator(base: str, known: set[str]) -> str:
    """``base`` plus the particle that ends a word, consumed as a separator.

    Consumed, not just split off: a query 「어텐션을」 becomes the single term
    「어텐션」, with no stray 「을」 to match every page.
    """
    end = "(?![가-힣])"
    anywhere = "|".join(sorted(ANYWHERE, key=len, reverse=True))
    after_stem = "|".join(sorted(AFTER_STEM, key=len, reverse=True))
    stem_alt = "|".join(sorted(known, key=lambda s: (-len(s), s)))
    # Particles attach after Latin words, digits and closing brackets too: "LSTM의", "(Q)는".
    other = r"[A-Za-z0-9)\]」』》〉】）］]"
    return (
        f"{base}|(?<=[가-힣]|{other})(?:{anywhere}){end}"
        f"|(?<=(?:{stem_alt})|{other})(?:{after_stem}){end}"
    )


def split(index: dict) -> tuple[dict, dict]:
    """The Korean and the English index (English locations relative to en/)."""
    ko = [d for d in index["docs"] if not d["location"].startswith("en/")]
    en = [
        dict(d, location=d["location"][len("en/") :])
        for d in index["docs"]
        if d["location"].startswith("en/")
    ]
    config = index["config"]
    known = stems([d.get("title", "") + " " + d.get("text", "") for d in ko]) | glossary_terms()
    ko_config = dict(config, separator=korean_separator(config["separator"], known))
    en_config = dict(config, lang=["en"])
    return {"config": ko_config, "docs": ko}, {"config": en_config, "docs": en}


# Pages that mention every term but teach none: a chapter should rank above them.
BOOST = {"glossary": 0.5, "references": 0.3, "api": 0.3}


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    boost = BOOST.get(page.file.src_uri.split(".")[0])
    if boost is not None:
        page.meta.setdefault("search", {}).setdefault("boost", boost)
    return markdown


def on_page_content(html: str, page, config, files, **kwargs) -> str:
    # In the API reference a reader searches for a name or what it does: its heading
    # and its description. The doctest examples (code a reader runs), the signatures
    # (the name is the heading) and the parameter tables (type columns) were over a
    # third of each index and stay on the page only.
    if page.file.src_uri.startswith("api."):
        for block in (
            '<div class="language-pycon highlight">',
            '<div class="language-python doc-signature highlight">',
        ):
            html = html.replace(block, block[:-1] + " data-search-exclude>")
        html = html.replace("<table>", "<table data-search-exclude>")
    return html


# Material's search plugin reads every page's HTML with Python's HTMLParser, including
# KaTeX's visual copy of every formula, which it then drops (data-search-exclude): on
# the API page alone that is 40,000 elements. It gets the page without them (the index
# comes out the same) and the page gets them back before its template is rendered.
_SKIPPED = re.compile(
    r"<seqnotes-visual data-search-exclude>.*?</seqnotes-visual>"
    r'|<annotation encoding="application/x-tex" data-search-exclude>.*?</annotation>',
    re.S,
)
_full: dict[str, str] = {}


@event_priority(100)  # before the search plugin reads the page
def _strip(context, page, config, nav, **kwargs):
    if page.content and "data-search-exclude" in page.content:
        _full[page.file.src_uri] = page.content
        page.content = _SKIPPED.sub("", page.content)
    return context


@event_priority(-100)  # after it, before the template renders the page
def _restore(context, page, config, nav, **kwargs):
    full = _full.pop(page.file.src_uri, None)
    if full is not None:
        page.content = full
    return context


on_page_context = CombinedEvent(_strip, _restore)


def _dump(data: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


@event_priority(-200)  # after mkdocs-static-i18n (-100) has written the merged index
def on_post_build(config, **kwargs) -> None:
    site = Path(config.site_dir)
    path = site / "search" / "search_index.json"
    if not path.is_file():
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    if not any(d["location"].startswith("en/") for d in index["docs"]):
        return  # an inner, single-language build: the merged index comes later
    ko, en = split(index)
    _dump(ko, path)
    _dump(en, site / "en" / "search" / "search_index.json")
    for page in (site / "en").rglob("*.html"):
        depth = len(page.relative_to(site / "en").parts) - 1
        base = "/".join([".."] * depth) or "."
        html = page.read_text(encoding="utf-8")
        page.write_text(_BASE.sub(rf'\g<1>"{base}"', html, count=1), encoding="utf-8")
