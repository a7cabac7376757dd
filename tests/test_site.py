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
    """The site's pages (not the 404 page, not the print editions in _print/)."""
    return sorted(
        p for p in site.rglob("*.html") if p.name != "404.html" and "_print" not in p.parts
    )


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
    formulas = re.findall(r'<span class="katex(?: seqnotes-lazy)?">', html)
    assert html.count('class="katex-display"') >= 6 and len(formulas) > 20
    # Nothing left for a client-side renderer: no \( \[ delimiters, no $$.
    for page in _pages(site):
        text = page.read_text(encoding="utf-8")
        leftover = re.search(r'class="arithmatex">\s*\\[\(\[]', text)
        assert leftover is None, f"{page.relative_to(site)}: a formula was not rendered"
        assert "$$" not in re.sub(r"<(script|code|pre)[\s\S]*?</\1>", "", text), page


def test_formulas_below_the_first_screen_wait_in_a_template(site):
    """hooks/katex.py: the first screen is drawn by KaTeX from the start; each later
    formula carries its drawing in a <template> and its MathML in the page."""
    for chapter in ("rnn", "en/transformer"):
        html = (site / chapter / "index.html").read_text(encoding="utf-8")
        article = html[html.index("<article") :]
        eager = article.count('<span class="katex">')
        lazy = re.findall(
            r'<span class="katex seqnotes-lazy"><span class="katex-mathml"><math\b.*?</math>'
            r'</span><seqnotes-visual data-search-exclude><template><span class="katex-html"',
            article,
            re.S,
        )
        assert 1 <= eager < len(lazy), (chapter, eager, len(lazy))
        assert article.count("seqnotes-lazy") == len(lazy)
        assert article.index('<span class="katex">') < article.index("seqnotes-lazy")
    # The print edition and the search index keep every formula whole.
    for lang in ("ko", "en"):
        assert "seqnotes-lazy" not in (site / "_print" / f"{lang}.html").read_text("utf-8")


def test_no_table_is_a_child_of_the_article(site):
    """hooks/html_fixes.py: the theme wraps each table when it starts; each sits in a
    <div> of its own so that the change stays inside it (see the hook)."""
    seen = 0
    for page in _pages(site):
        html = page.read_text(encoding="utf-8")
        for m in re.finditer(r"<table(?![^>]*\bclass=)[^>]*>", html):
            seen += 1
            assert html[: m.start()].endswith("<div>"), (page, html[m.start() - 80 : m.end()])
    assert seen > 100  # the glossary's, the API's, a few chapters'


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


# The theme's script is inserted by an inline loader (overrides/main.html), not a tag.
_LOADER = re.compile(r'theme\.src = "([^"]+)"')


@pytest.fixture(scope="module")
def requests_of(site) -> dict[Path, list[str]]:
    """Every page's URLs the browser fetches on its own; each page parsed once."""
    found = {}
    for page in _pages(site):
        text = page.read_text(encoding="utf-8")
        parser = _Requests()
        parser.feed(text)
        found[page] = parser.urls + _LOADER.findall(text)
    return found


def test_no_page_requests_another_origin(site, requests_of):
    for page, urls in requests_of.items():
        foreign = [u for u in urls if urlparse(u).scheme or u.startswith("//")]
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


def test_every_local_resource_exists(site, requests_of):
    for page, urls in requests_of.items():
        # The theme's script too: its name is written in overrides/main.html.
        assert any("javascripts/bundle." in u for u in urls), page
        for url in urls:
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


def _split(separator: str, text: str) -> list[str]:
    """Tokens of ``text`` as the site's search splits them (JavaScript regex: node)."""
    script = (
        "const [sep, text] = JSON.parse(process.argv[1]);"
        "console.log(JSON.stringify(text.split(new RegExp(sep)).filter(Boolean)));"
    )
    out = subprocess.run(
        ["node", "-e", script, json.dumps([separator, text])],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_one_search_index_per_language(site):
    import gzip

    ko = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    en = json.loads((site / "en" / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert ko["docs"] and en["docs"]
    assert not any(d["location"].startswith("en/") for d in ko["docs"])
    assert {"sequences/", "transformer/"} <= {d["location"] for d in ko["docs"]}
    assert {"sequences/", "transformer/"} <= {d["location"] for d in en["docs"]}  # relative to en/
    assert not re.search(r"[가-힣]", " ".join(d["title"] for d in en["docs"]))
    for path in (
        site / "search" / "search_index.json",
        site / "en" / "search" / "search_index.json",
    ):
        size = len(gzip.compress(path.read_bytes(), 9))
        assert size <= 130 * 1024, f"{path.relative_to(site)}: {size / 1024:.0f} KB gzipped"
    # English pages look for the index (and resolve result links) under en/.
    page = (site / "en" / "transformer" / "index.html").read_text(encoding="utf-8")
    assert '"base": ".."' in page


def test_korean_search_drops_particles_like_spaces(site):
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    sep = index["config"]["separator"]
    assert _split(sep, "임베딩(embedding)은 은닉 상태「h」") == [
        "임베딩",
        "embedding",
        "은닉",
        "상태",
        "h",
    ]
    assert _split(sep, "어텐션을 트랜스포머는 역전파에서 기울기가 LSTM의 GRU로") == [
        "어텐션", "트랜스포머", "역전파", "기울기", "LSTM", "GRU"
    ]  # fmt: skip
    # Short endings are dropped only after a word the notes use: 길이 stays whole.
    assert _split(sep, "길이 길이를 길이가 결과 정도") == ["길이", "길이", "길이", "결과", "정도"]
    en = json.loads((site / "en" / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert _split(en["config"]["separator"], "hidden-state (RNN)") == ["hidden", "state", "RNN"]


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


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_print_edition_holds_every_page_with_working_links(site, lang):
    doc = (site / "_print" / f"{lang}.html").read_text(encoding="utf-8")
    sections = re.findall(r'<section class="print-page" id="([^"]+)"', doc)
    chapters = [p.parent.name for p in sorted((ROOT / "docs").glob(f"*/index.{lang}.md"))]
    assert sections[0] == "home" and set(chapters) <= set(sections)
    nav = yaml_nav_order()
    assert [s for s in sections if s in nav] == [s for s in nav if s in sections]  # nav order
    ids = re.findall(r'\bid="([^"]+)"', doc)
    assert len(ids) == len(set(ids)), "ids collide between pages"
    targets = set(re.findall(r'href="#([^"]+)"', doc))
    assert targets and targets <= set(ids), sorted(targets - set(ids))[:5]
    assert 'href="../' not in re.sub(r'<link [^>]*>|src="[^"]*"', "", doc.split("<article")[1])


def yaml_nav_order() -> list[str]:
    """Page slugs in mkdocs.yml's nav order (home first)."""
    nav = re.findall(r"^\s+- ([\w/.-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), re.M)
    return ["home" if n == "index.md" else n.split("/")[0].removesuffix(".md") for n in nav]


def test_each_home_page_links_its_pdf(site):
    sys.path.insert(0, str(ROOT / "scripts"))
    from make_pdf import output_path

    for lang, home in (("ko", site / "index.html"), ("en", site / "en" / "index.html")):
        hrefs = re.findall(r'href="([^"]+\.pdf)"', home.read_text(encoding="utf-8"))
        assert hrefs, f"the {lang} home page does not link its PDF"
        assert (home.parent / hrefs[0]).resolve() == output_path(site, lang).resolve()
