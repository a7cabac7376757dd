"""`mkdocs build --strict` of the whole site, and what the built pages must satisfy.

The build runs once per session into a temporary folder (~5 s). A second, tiny
site built with the same hooks proves that a TeX error, a broken link and a
missing anchor each fail the strict build with a message naming file and line.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
MKDOCS = [sys.executable, "-m", "mkdocs"]
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def _build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MKDOCS, "build", "--strict", "-f", str(config), "-d", str(site)],
        capture_output=True,
        text=True,
        cwd=config.parent,
        env=ENV,
        timeout=120,
    )


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    res = _build(ROOT / "mkdocs.yml", out)
    if res.returncode != 0:
        warnings = "\n".join(l for l in res.stderr.splitlines() if "WARNING" in l or "ERROR" in l)
        pytest.fail(
            f"mkdocs build --strict failed:\n{warnings or res.stderr[-3000:]}", pytrace=False
        )
    return out


def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


def test_every_page_exists_in_both_editions(site):
    ko = {
        p.relative_to(site).as_posix()
        for p in _pages(site)
        if not p.relative_to(site).as_posix().startswith("en/")
    }
    en = {p.relative_to(site / "en").as_posix() for p in _pages(site / "en")}
    assert ko == en and "sequences/index.html" in ko


@pytest.mark.parametrize("edition,lang", [("", "ko"), ("en/", "en")])
def test_html_lang(site, edition, lang):
    for page in (
        _pages(site / edition)
        if edition
        else [p for p in _pages(site) if "/en/" not in p.as_posix()]
    ):
        head = page.read_text(encoding="utf-8")[:300]
        assert f'<html lang="{lang}"' in head, f"{page.relative_to(site)}: wrong <html lang>"


def test_formulas_are_prerendered(site):
    html = (site / "sequences" / "index.html").read_text(encoding="utf-8")
    assert html.count('class="katex-display"') >= 6 and html.count('class="katex"') > 20
    # Nothing left for a client-side renderer: no \( \[ delimiters, no $$.
    for page in _pages(site):
        text = page.read_text(encoding="utf-8")
        leftover = re.search(r'class="arithmatex">\s*\\[\(\[]', text)
        assert leftover is None, f"{page.relative_to(site)}: a formula was not rendered"
        assert "$$" not in re.sub(r"<(script|code|pre)[\s\S]*?</\1>", "", text), page


def test_chapter_pages_say_what_ran_their_snippets(site):
    from importlib import metadata

    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    versions = f"PyTorch {metadata.version('torch')}, NumPy {metadata.version('numpy')}"
    for edition, phrase in (("", "테스트에서 실행"), ("en/", "run by the test suite")):
        for chapter in ("sequences", "transformer", "beyond-text"):
            text = (site / edition / chapter / "index.html").read_text(encoding="utf-8")
            m = re.search(r'<p class="seqnotes-provenance">(.*?)</p>', text, re.S)
            assert m, f"{edition}{chapter}: no line saying what ran the snippets"
            assert phrase in m.group(1) and versions in m.group(1), m.group(1)
            assert not commit or f"/commit/{commit}" in m.group(1), m.group(1)
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "seqnotes-provenance" not in home  # no snippets, no claim


def test_every_chapter_links_its_notebook_script_and_colab(site, tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    from collect_notebooks import collect

    chapters = sorted(p.parent.name for p in (ROOT / "docs").glob("*/index.ko.md"))
    branch = tmp_path / "notebooks"
    collected = {p.relative_to(branch).as_posix() for p in collect(site, branch)}
    for edition, lang in (("", "ko"), ("en/", "en")):
        for chapter in chapters:
            folder = site / edition / chapter
            page = (folder / "index.html").read_text(encoding="utf-8")
            bar = re.search(r'<nav class="seqnotes-run"[^>]*>(.*?)</nav>', page, re.S)
            assert bar, f"{edition}{chapter}: no notebook/script/Colab links"
            hrefs = re.findall(r'href="([^"]+)"', bar.group(1))
            assert hrefs[:2] == [f"{chapter}.ipynb", f"{chapter}.py"], hrefs
            for name in hrefs[:2]:
                assert (folder / name).is_file(), f"{edition}{chapter}/{name} is not in the site"
            repo = os.environ.get("REPO_NAME", "seqnotes/seqnotes")
            colab = f"https://colab.research.google.com/github/{repo}/blob/notebooks/{lang}/{chapter}.ipynb"
            assert hrefs[2] == colab, hrefs
            assert f"{lang}/{chapter}.ipynb" in collected  # what the Colab link opens


def test_required_tex_renders(site):
    from importlib import import_module

    sys.path.insert(0, str(ROOT / "hooks"))
    katex = import_module("katex")
    for tex in [
        r"\begin{aligned} a &= b \\ c &= d \end{aligned}",
        r"\left(\frac{a}{b}\right)",
        r"p(x_t \mid x_{t-1})",
        r"\prod_{t=1}^{T}",
        r"\sqrt{d_k}",
        r"\operatorname{softmax}(z)",
        r"a \odot b",
        r"\mathbb{R}^{N \times T}",
    ]:
        res = katex.render(tex, display=True)
        assert "error" not in res and "katex" in res["html"], (tex, res)
    assert "error" in katex.render(r"\frac{1}{", display=False)


class _Requests(HTMLParser):
    """Collect every URL the browser would fetch on its own (not links to click)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "audio", "video", "embed") and a.get("src"):
            self.urls.append(a["src"])
        if tag == "link" and a.get("href") and a.get("rel") not in ("canonical", "alternate"):
            self.urls.append(a["href"])
        if tag == "object" and a.get("data"):
            self.urls.append(a["data"])


def test_no_page_requests_another_origin(site):
    for page in _pages(site):
        parser = _Requests()
        parser.feed(page.read_text(encoding="utf-8"))
        foreign = [u for u in parser.urls if urlparse(u).scheme or u.startswith("//")]
        assert not foreign, f"{page.relative_to(site)} requests {foreign}"
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        assert not re.search(
            r"@import\s+url\(\s*['\"]?(https?:)?//|url\(\s*['\"]?(https?:)?//", text
        ), css


def test_katex_css_and_fonts_are_served(site):
    css = site / "assets" / "katex" / "katex.min.css"
    # Exactly the pinned KaTeX version's CSS (it must match the prerendered HTML).
    assert (
        css.read_bytes()
        == (ROOT / "node_modules" / "katex" / "dist" / "katex.min.css").read_bytes()
    )
    fonts = re.findall(r"url\((fonts/[^)]+\.woff2)\)", css.read_text(encoding="utf-8"))
    assert fonts and all((css.parent / f).exists() for f in fonts)


def test_every_local_resource_exists(site):
    for page in _pages(site):
        parser = _Requests()
        parser.feed(page.read_text(encoding="utf-8"))
        for url in parser.urls:
            path = urlparse(url).path
            if path and not urlparse(url).scheme:
                target = (page.parent / path).resolve()
                assert target.exists(), f"{page.relative_to(site)} requests missing {url}"


def test_language_switcher_keeps_the_page(site):
    ko = (site / "sequences" / "index.html").read_text(encoding="utf-8")
    en = (site / "en" / "sequences" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'href="[^"]*en/sequences/"[^>]*hreflang="en"', ko), (
        "ko page must link to en twin"
    )
    assert re.search(r'href="(\.\./)+sequences/"[^>]*hreflang="ko"', en), (
        "en page must link to ko twin"
    )


def test_copy_button_is_on_and_pycon_has_prompt_spans(site):
    html = (site / "sequences" / "index.html").read_text(encoding="utf-8")
    assert '"content.code.copy"' in html
    assert (
        'class="language-pycon highlight"' in html
        and '<span class="gp">&gt;&gt;&gt; </span>' in html
    )
    assert re.search(r'<span id="__span-\d+-\d+"><span class="go">', html), (
        "output lines need line spans"
    )


def test_korean_search(site):
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    sep = index["config"]["separator"]
    assert [t for t in re.split(sep, "임베딩(embedding)은 은닉 상태「h」") if t] == [
        "임베딩",
        "embedding",
        "은",
        "은닉",
        "상태",
        "h",
    ]
    assert set(index["config"]["lang"]) >= {"ko", "en"}
    locs = [d["location"] for d in index["docs"]]
    assert any(l.startswith("sequences/") for l in locs) and any(
        l.startswith("en/sequences/") for l in locs
    )


def test_api_labels_follow_the_edition(site):
    def labels(page):
        html = page.read_text(encoding="utf-8")
        return set(re.findall(r'doc-section-title">([^<:]+):', html))

    ko, en = labels(site / "api" / "index.html"), labels(site / "en" / "api" / "index.html")
    assert {"매개변수", "반환", "예"} <= ko and not ko & {"Parameters", "Returns", "Examples"}, ko
    assert {"Parameters", "Returns", "Examples"} <= en and not en & {"매개변수", "반환", "예"}, en
    assert 'class="katex' in (site / "api" / "index.html").read_text(encoding="utf-8")


def test_headings_have_english_slugs(site):
    for page in _pages(site):
        ids = re.findall(r'<h[1-6] id="([^"]+)"', page.read_text(encoding="utf-8"))
        bad = [i for i in ids if re.fullmatch(r"_\d*", i) or re.search(r"[^\x00-\x7f]", i)]
        assert not bad, f"{page.relative_to(site)}: heading ids {bad}"


def test_edit_button(site):
    assert "edit/main/docs/sequences/index.ko.md" in (site / "sequences" / "index.html").read_text(
        encoding="utf-8"
    )


def test_strict_build_fails_on_tex_error_broken_link_and_anchor(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(
        textwrap.dedent("""\
        # Broken { #broken }

        Inline $\\frac{1}{$ is not TeX.

        A [missing page](nowhere.md) and a [missing anchor](#not-there).
        """),
        encoding="utf-8",
    )
    (tmp_path / "mkdocs.yml").write_text(
        textwrap.dedent(f"""\
        site_name: broken
        validation: {{unrecognized_links: warn, anchors: warn}}
        hooks: [{ROOT / "hooks" / "katex.py"}]
        markdown_extensions: [attr_list, {{pymdownx.arithmatex: {{generic: true}}}}]
        """),
        encoding="utf-8",
    )
    res = _build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert res.returncode != 0
    assert "docs/index.md:3: TeX error" in res.stderr
    assert "nowhere.md" in res.stderr and "not-there" in res.stderr
