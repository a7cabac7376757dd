"""The figures in docs/assets/figures are up to date, self-contained and used by the notes.

Every figure is redrawn from seqnotes code (:mod:`seqnotes.viz`) and compared
byte for byte with the checked-in SVG. Another matplotlib version may lay the
same figure out differently, so the byte comparison runs where the matplotlib
version matches the one recorded in the file (the lock pins one version per
Python; `make figures` records it).
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

matplotlib = pytest.importorskip("matplotlib")

from seqnotes import viz  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIG_DIR = ROOT / "docs" / "assets" / "figures"
DOCS = ROOT / "docs"
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
# The seq2seq alignment comes from a training demo (cached in-process, shared with test_demos).
SLOW = {"seq2seq-alignment.svg"}
NAMES = [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in viz.FIGURES]


def _recorded_version(svg: str) -> str | None:
    m = re.search(r"<!-- made by seqnotes\.viz .*?matplotlib (\S+) -->", svg)
    return m.group(1) if m else None


@pytest.mark.parametrize("name", NAMES)
def test_figure_is_up_to_date(name: str, tmp_path: Path) -> None:
    checked_in = FIG_DIR / name
    assert checked_in.is_file(), f"docs/assets/figures/{name} is missing: run `make figures`"
    recorded = _recorded_version(checked_in.read_text(encoding="utf-8"))
    if recorded is not None and recorded != matplotlib.__version__:
        pytest.skip(
            f"docs/assets/figures/{name} was drawn with matplotlib {recorded}, "
            f"this environment has {matplotlib.__version__}"
        )
    (fresh,) = viz.write_figures(tmp_path, [name])
    assert fresh.read_bytes() == checked_in.read_bytes(), (
        f"docs/assets/figures/{name} is out of date: run `make figures`"
    )


def test_saving_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    fig = viz.FIGURES["self-attention-heatmap.svg"]()
    a = viz.save_svg(fig, tmp_path / "a.svg").read_bytes()
    b = viz.save_svg(fig, tmp_path / "b.svg").read_bytes()
    assert a == b


def test_no_stray_files() -> None:
    on_disk = {p.name for p in FIG_DIR.iterdir()}
    assert on_disk == set(viz.FIGURES), (
        f"docs/assets/figures holds {sorted(on_disk - set(viz.FIGURES))} that seqnotes.viz "
        f"does not draw, or lacks {sorted(set(viz.FIGURES) - on_disk)}: run `make figures`"
    )


@pytest.mark.parametrize("name", list(viz.FIGURES))
def test_figure_is_self_contained(name: str) -> None:
    text = (FIG_DIR / name).read_text(encoding="utf-8")
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert urls <= {SVG_NS, XLINK_NS}, f"{name} refers to {sorted(urls - {SVG_NS, XLINK_NS})}"
    root = ElementTree.fromstring(text)
    for image in root.iter(f"{{{SVG_NS}}}image"):
        href = image.get(f"{{{XLINK_NS}}}href") or image.get("href") or ""
        assert href.startswith("data:image/png;base64,"), f"{name}: <image> links to {href[:60]}"
    for tag in ("script", "foreignObject"):
        assert root.find(f".//{{{SVG_NS}}}{tag}") is None, f"{name} contains <{tag}>"
    assert "@import" not in text and "@font-face" not in text, f"{name} loads a font or style"


@pytest.mark.parametrize("name", list(viz.FIGURES))
def test_figure_is_used_with_alt_text_in_both_languages(name: str) -> None:
    pattern = re.compile(r"!\[([^\]]*)\]\(\.\./assets/figures/" + re.escape(name) + r"\)")
    uses: dict[str, list[tuple[str, str]]] = {"ko": [], "en": []}
    for lang in uses:
        for page in sorted(DOCS.rglob(f"*.{lang}.md")):
            for alt in pattern.findall(page.read_text(encoding="utf-8")):
                uses[lang].append((page.relative_to(DOCS).as_posix(), alt.strip()))
    stems = {lang: sorted(p.split(".")[0] for p, _ in found) for lang, found in uses.items()}
    assert stems["ko"], f"no page shows assets/figures/{name}"
    assert stems["ko"] == stems["en"], f"{name} is shown on different pages: {stems}"
    for lang, found in uses.items():
        for page, alt in found:
            assert alt, f"docs/{page}: {name} has no alt text"
            hangul = re.search(r"[\uac00-\ud7a3]", alt) is not None
            assert hangul == (lang == "ko"), f"docs/{page}: alt text of {name} is not in {lang}"
