"""The figures in docs/assets/figures are up to date, self-contained and used by the notes.

Every figure is drawn by seqnotes code (:mod:`seqnotes.viz`) from seeded data,
and the SVG stores that data. Two checks, so that they hold on every machine:

- the data, recomputed here, matches the stored data within the figure's
  tolerance (a model trained on another CPU rounds differently, so its
  weights may move a little, never much);
- the stored data, drawn again, gives the checked-in file byte for byte.
  Another matplotlib version may lay the same figure out differently, so
  this runs where the matplotlib version matches the one recorded in the
  file (the lock pins one version per Python; `make figures` records it).
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest

from seqnotes import viz

ROOT = Path(__file__).resolve().parent.parent
FIG_DIR = ROOT / "docs" / "assets" / "figures"
DOCS = ROOT / "docs"
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
# The seq2seq alignment comes from a training demo (cached, shared with test_demos).
SLOW = {"seq2seq-alignment.svg"}
NAMES = [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in viz.FIGURES]


def _recorded_version(svg: str) -> str | None:
    m = re.search(r"<!-- made by seqnotes\.viz .*?matplotlib (\S+) -->", svg)
    return m.group(1) if m else None


def _stored(name: str) -> dict:
    checked_in = FIG_DIR / name
    assert checked_in.is_file(), f"docs/assets/figures/{name} is missing: run `make figures`"
    data = viz.stored_data(checked_in.read_text(encoding="utf-8"))
    assert data is not None, f"docs/assets/figures/{name} holds no data: run `make figures`"
    return data


def differences(
    fresh: object, stored: object, atol: float, rtol: float = 0.0, where: str = ""
) -> list[str]:
    """Where ``fresh`` and ``stored`` differ: numbers by more than ``atol + rtol * |stored|``,
    anything else at all."""
    if isinstance(stored, dict) and isinstance(fresh, dict):
        if fresh.keys() != stored.keys():
            return [f"{where or 'data'}: keys {sorted(fresh)} != {sorted(stored)}"]
        return [
            d for k in stored for d in differences(fresh[k], stored[k], atol, rtol, f"{where}.{k}")
        ]
    a, b = np.asarray(fresh, dtype=object), np.asarray(stored, dtype=object)
    if a.shape != b.shape:
        return [f"{where}: shape {a.shape} != {b.shape}"]
    try:
        a, b = a.astype(float), b.astype(float)
    except (TypeError, ValueError):
        return [] if a.tolist() == b.tolist() else [f"{where}: {a.tolist()} != {b.tolist()}"]
    excess = np.abs(a - b) - (atol + rtol * np.abs(b))
    if excess.size == 0 or excess.max() <= 0:
        return []
    k = np.unravel_index(excess.argmax(), excess.shape)
    return [f"{where}{list(k)}: {a[k]:.6g} != {b[k]:.6g} (tolerance {atol:g} + {rtol:g} * |x|)"]


@pytest.mark.parametrize("name", NAMES)
def test_figure_data_is_up_to_date(name: str) -> None:
    spec = viz.FIGURES[name]
    fresh = viz._jsonable(spec.data())
    diff = differences(fresh, _stored(name), spec.atol, spec.rtol)
    assert not diff, f"docs/assets/figures/{name} is out of date ({diff[0]}): run `make figures`"


@pytest.mark.parametrize("name", list(viz.FIGURES))
def test_figure_is_drawn_from_its_data(name: str, tmp_path: Path) -> None:
    checked_in = FIG_DIR / name
    recorded = _recorded_version(checked_in.read_text(encoding="utf-8"))
    if recorded != matplotlib().__version__:
        pytest.skip(
            f"docs/assets/figures/{name} was drawn with matplotlib {recorded}, "
            f"this environment has {matplotlib().__version__} (its data is still checked)"
        )
    (fresh,) = viz.write_figures(tmp_path, [name], data={name: _stored(name)})
    assert fresh.read_bytes() == checked_in.read_bytes(), (
        f"docs/assets/figures/{name} is not what seqnotes.viz draws: run `make figures`"
    )


def test_the_data_check_catches_a_real_change() -> None:
    stored = _stored("seq2seq-alignment.svg")
    atol = viz.FIGURES["seq2seq-alignment.svg"].atol
    moved = dict(stored, weights=np.roll(stored["weights"], 1, axis=1).tolist())
    assert differences(moved, stored, atol)  # attention one symbol off: a different picture
    relabelled = dict(stored, row_labels=stored["row_labels"][::-1])
    assert differences(relabelled, stored, atol)
    nudged = dict(stored, weights=(np.asarray(stored["weights"]) + atol / 2).tolist())
    assert not differences(nudged, stored, atol)  # another CPU's rounding: the same picture


def matplotlib():
    return pytest.importorskip("matplotlib")


def test_saving_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    matplotlib()
    fig = viz.FIGURES["self-attention-heatmap.svg"].figure()
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
