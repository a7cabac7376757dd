"""Prerender every formula with KaTeX at build time: no CDN, no client-side JS.

pymdownx.arithmatex (``generic: true``) turns ``$...$`` into
``<span class="arithmatex">\\(...\\)</span>`` and ``$$...$$`` into
``<div class="arithmatex">\\[...\\]</div>``. This hook replaces each with the
HTML that KaTeX renders, using ONE long-lived node process for the whole build
(scripts/katex-server.cjs), and copies KaTeX's CSS and fonts of the pinned
version into the site. A TeX error is logged as a warning that names the page
and line, so ``mkdocs build --strict`` fails on it.

On a phone, KaTeX's visual HTML is most of a chapter's elements (8k of 15k), and
the browser styles and lays out every one of them at load. So only the formulas of
about the first screen keep it in the page; every later formula carries it in a
``<template>`` (parsed, but not styled, laid out or counted), and
assets/javascripts/long-pages.js puts it in place when the reader comes near. Until
then the browser draws the formula's MathML, which stays in the page for screen
readers either way.
"""

from __future__ import annotations

import html
import json
import logging
import re
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.katex")

_ROOT = Path(__file__).resolve().parent.parent
_KATEX_DIST = _ROOT / "node_modules" / "katex" / "dist"
_SERVER = _ROOT / "scripts" / "katex-server.cjs"
_CSS_URL = "assets/katex/katex.min.css"

_INLINE = re.compile(r'<span class="arithmatex">\\\((.+?)\\\)</span>', re.S)
_DISPLAY = re.compile(r'<div class="arithmatex">\\\[(.+?)\\\]</div>', re.S)

_proc: subprocess.Popen[str] | None = None


def _server() -> subprocess.Popen[str]:
    global _proc
    if _proc is None or _proc.poll() is not None:
        if not (_KATEX_DIST / "katex.min.css").exists():
            raise RuntimeError(
                "KaTeX is not installed: run `npm ci` (the Makefile does it for you)"
            )
        _proc = subprocess.Popen(
            ["node", str(_SERVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            cwd=_ROOT,
        )
    return _proc


def render(tex: str, display: bool) -> dict:
    """Render one formula; returns {"html": ...} or {"error": ...}."""
    proc = _server()
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps({"tex": tex, "display": display}) + "\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError("the KaTeX node process exited unexpectedly")
    return json.loads(line)


def _line_of(tex: str, page) -> str:
    """Where the formula stands in the source, as 'docs/x.md:LINE'."""
    src = Path(page.file.abs_src_path)
    where = f"docs/{page.file.src_uri}"
    try:
        text = src.read_text(encoding="utf-8")
    except OSError:
        return where
    first = tex.strip().splitlines()[0].strip() if tex.strip() else ""
    pos = text.find(first) if first else -1
    return f"{where}:{text.count(chr(10), 0, pos) + 1}" if pos >= 0 else where


_VISUAL = '<span class="katex-html" aria-hidden="true">'
# The wrapper of that visual HTML (see _search_once); on_post_page finds it again.
_WRAP = "<seqnotes-visual data-search-exclude>"


def _search_once(rendered: str, display: bool) -> str:
    """Keep a formula in the search index once: as MathML text, not also as TeX and visual copy.

    KaTeX writes each formula three times: MathML (read by screen readers), its
    TeX source (an <annotation>) and the visual HTML (aria-hidden). Material's
    search skips elements marked data-search-exclude, but it matches elements by
    tag, so an excluded <span> stops being excluded at the first nested </span>:
    the visual copy is wrapped in an element of its own instead (display:
    contents in extra.css, so the layout does not change).
    """
    rendered = rendered.replace(
        '<annotation encoding="application/x-tex">',
        '<annotation encoding="application/x-tex" data-search-exclude>',
    )
    # The visual HTML is the last child of .katex (itself inside .katex-display for
    # display math), so its closing tag is the first of the closing run at the end.
    closing = "</span>" * (3 if display else 2)
    start = rendered.find(_VISUAL)
    if start < 0 or not rendered.endswith(closing):
        return rendered
    end = len(rendered) - len(closing) + len("</span>")
    return f"{rendered[:start]}{_WRAP}{rendered[start:end]}</seqnotes-visual>{rendered[end:]}"


def _replace(pattern: re.Pattern[str], display: bool, out: str, page) -> str:
    def sub(m: re.Match[str]) -> str:
        tex = html.unescape(m.group(1))
        res = render(tex, display)
        if "error" in res:
            log.warning("%s: TeX error: %s", _line_of(tex, page), res["error"])
            return m.group(0)
        for w in res.get("warnings", []):
            log.warning("%s: TeX warning: %s", _line_of(tex, page), w)
        tag = "div" if display else "span"
        return f'<{tag} class="arithmatex">{_search_once(res["html"], display)}</{tag}>'

    return pattern.sub(sub, out)


# ---- Formulas below the first screen: drawn when the reader comes near --------------

# How much of the article counts as the first screen of a phone (412 px wide): text
# in width units (a Hangul syllable is about two Latin letters wide), an inline
# formula as a short word, a display formula as three lines.
_FIRST_SCREEN = 1400
_INLINE_WIDTH, _DISPLAY_WIDTH = 4, 150
_ARTICLE = '<article class="md-content__inner'
_FORMULA = re.compile(
    r'<span class="katex">(<span class="katex-mathml">.*?</span>)'
    + re.escape(_WRAP)
    + r"(.*?)</seqnotes-visual>",
    re.S,
)
_TAG_OR_MATH = re.compile(
    r"<math\b.*?</math>|<seqnotes-visual\b.*?</seqnotes-visual>|<[^>]*>", re.S
)


def _width(text: str) -> int:
    return sum(2 if "\u1100" <= ch <= "\ud7a3" or "\u3000" <= ch <= "\u9fff" else 1 for ch in text)


def _first_screen_end(out: str, start: int) -> int:
    """The offset in ``out`` where the article's first phone screen ends."""
    used, pos = 0, start
    for m in _TAG_OR_MATH.finditer(out, start):
        used += _width(html.unescape(out[pos : m.start()]).strip())
        if m.group(0).startswith("<math"):
            used += _DISPLAY_WIDTH if 'display="block"' in m.group(0)[:100] else _INLINE_WIDTH
        if used > _FIRST_SCREEN:
            return m.start()
        pos = m.end()
    return len(out)


def _lazy(m: re.Match[str]) -> str:
    return (
        f'<span class="katex seqnotes-lazy">{m.group(1)}'
        f"{_WRAP}<template>{m.group(2)}</template></seqnotes-visual>"
    )


def on_post_page(output: str, page, config, **kwargs) -> str:
    # After the search index and the print edition took the page (both want every
    # formula as it is): only the page a browser loads gets lazy formulas.
    start = output.find(_ARTICLE)
    if start < 0 or '<span class="katex">' not in output[start:]:
        return output
    cut = _first_screen_end(output, start)
    return output[:cut] + _FORMULA.sub(_lazy, output[cut:])


def on_config(config, **kwargs):
    if _CSS_URL not in config.extra_css:
        config.extra_css.insert(0, _CSS_URL)
    _server()
    return config


def on_page_content(html_out: str, page, config, files, **kwargs) -> str:
    if "arithmatex" not in html_out:
        return html_out
    html_out = _replace(_DISPLAY, True, html_out, page)
    return _replace(_INLINE, False, html_out, page)


def on_post_build(config, **kwargs) -> None:
    # The CSS and fonts of exactly the KaTeX version that rendered the HTML.
    dest = Path(config.site_dir) / "assets" / "katex"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(_KATEX_DIST / "katex.min.css", dest / "katex.min.css")
    shutil.copytree(_KATEX_DIST / "fonts", dest / "fonts", dirs_exist_ok=True)


def on_shutdown(**kwargs) -> None:
    global _proc
    if _proc is not None and _proc.poll() is None:
        _proc.stdin.close()  # type: ignore[union-attr]
        _proc.wait(timeout=10)
    _proc = None
