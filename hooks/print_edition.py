"""A print edition per language: one HTML page with every page of the notes, for ``make pdf``.

The build writes ``_print/<lang>.html``: a cover, a table of contents and every
page of the language's navigation in order, each page's element ids prefixed
with the page's slug so that links between pages become links inside the
document. It uses the site's own stylesheets (formulas stay KaTeX, figures stay
SVG) plus ``assets/stylesheets/print.css``. ``scripts/make_pdf.py`` prints these
pages to PDF with headless Chromium, after opening the exercise solutions and
laying out every tab of a tab set one after the other (paper cannot be clicked).
"""

from __future__ import annotations

import html
import posixpath
import re
from pathlib import Path

from mkdocs.plugins import event_priority

_TITLE = {"ko": "차례", "en": "Contents"}
_COVER = {
    "ko": "시퀀스 모델 강의 노트 · 인쇄판",
    "en": "Lecture notes on sequence models · print edition",
}
_pages: dict[str, dict[str, tuple[str, str]]] = {}  # lang -> page url -> (title, content html)
_order: dict[str, list[str]] = {}  # lang -> page urls in navigation order
_description: dict[str, str] = {}  # lang -> site_description of that edition

_ID = re.compile(r'\bid="([^"]+)"')
_HREF = re.compile(r'\b(href|src)="([^"]+)"')


def _lang(config) -> str:
    return str(config.theme.get("language") or "en")


def _slug(url: str) -> str:
    """``en/transformer/`` -> ``transformer``; the home page -> ``home``."""
    parts = [p for p in url.strip("/").split("/") if p and p != "en"]
    return parts[-1] if parts else "home"


@event_priority(-200)  # after mkdocs-static-i18n has made the navigation of this language
def on_nav(nav, config, files, **kwargs):
    _order[_lang(config)] = [page.url for page in nav.pages]
    _description[_lang(config)] = config.site_description or ""
    return nav


@event_priority(-200)  # after every other hook has changed the content
def on_page_context(context, page, config, nav, **kwargs):
    _pages.setdefault(_lang(config), {})[page.url] = (page.title or "", page.content or "")
    return context


def _rewrite(content: str, page_url: str, print_url: str, known: set[str]) -> str:
    """Prefix ids with the page slug; point links at the document, assets at the site."""
    slug = _slug(page_url)
    content = re.sub(r'<nav class="seqnotes-run".*?</nav>', "", content, flags=re.S)
    # The PDF's own download button means nothing on paper.
    content = re.sub(r"<p><a [^>]*\bdownload\b[^>]*>.*?</a></p>", "", content, flags=re.S)
    content = _ID.sub(lambda m: f'id="{slug}--{m.group(1)}"', content)

    def link(m: re.Match[str]) -> str:
        attr, target = m.group(1), html.unescape(m.group(2))
        if re.match(r"^[a-z][a-z0-9+.-]*:|^//", target):
            return m.group(0)
        if target.startswith("#"):
            return f'{attr}="#{slug}--{target[1:]}"'
        path, _, anchor = target.partition("#")
        absolute = posixpath.normpath(posixpath.join(posixpath.dirname(page_url + "x"), path))
        absolute = absolute.lstrip("./") if absolute != "." else ""
        as_page = absolute.rstrip("/") + "/" if absolute else ""
        if attr == "href" and as_page in known:
            return f'href="#{_slug(as_page)}--{anchor or _slug(as_page)}"'
        rel = posixpath.relpath(absolute or ".", posixpath.dirname(print_url) or ".")
        return f'{attr}="{html.escape(rel)}{"#" + anchor if anchor else ""}"'

    return _HREF.sub(link, content)


def document(lang: str, config) -> str:
    """The print edition of ``lang`` as one HTML document."""
    print_url = f"_print/{lang}.html"
    up = posixpath.relpath(".", "_print")
    order = [u for u in _order.get(lang, []) if u in _pages.get(lang, {})]
    known = set(order)
    toc, body = [], []
    for url in order:
        title, content = _pages[lang][url]
        slug = _slug(url)
        toc.append(f'<li><a href="#{slug}--{slug}">{html.escape(title)}</a></li>')
        body.append(
            f'<section class="print-page" id="{slug}">'
            f"{_rewrite(content, url, print_url, known)}</section>"
        )
    css = [
        *(f"{up}/{p.relative_to(Path(config.site_dir)).as_posix()}" for p in _theme_css(config)),
        *(f"{up}/{c}" for c in config.extra_css),
        f"{up}/assets/stylesheets/print.css",
    ]
    # Pages may repeat an id (the API page's code blocks each count their lines from 1):
    # one document must not, or a link could land on the wrong element.
    seen: dict[str, int] = {}

    def unique(m: re.Match[str]) -> str:
        n = seen[m.group(1)] = seen.get(m.group(1), 0) + 1
        return m.group(0) if n == 1 else f'id="{m.group(1)}-{n}"'

    body = [_ID.sub(unique, section) for section in body]
    links = "".join(f'<link rel="stylesheet" href="{c}">' for c in dict.fromkeys(css))
    description = _description.get(lang, "")
    contents = _TITLE.get(lang, _TITLE["en"])
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(config.site_name)}</title>{links}</head>"
        f'<body class="print-edition" data-md-color-scheme="default">'
        f'<section class="print-cover"><h1>{html.escape(config.site_name)}</h1>'
        f"<p>{html.escape(_COVER.get(lang, _COVER['en']))}</p><p>{html.escape(description)}</p>"
        f'<p class="print-url">{html.escape(config.site_url or "")}</p></section>'
        f'<nav class="print-toc"><h2>{contents}</h2><ol>{"".join(toc)}</ol></nav>'
        f'<article class="md-typeset">{"".join(body)}</article></body></html>'
    )


def _theme_css(config) -> list[Path]:
    folder = Path(config.site_dir) / "assets" / "stylesheets"
    return sorted(folder.glob("main.*.min.css")) + sorted(folder.glob("palette.*.min.css"))


@event_priority(-200)  # mkdocs-static-i18n builds the other edition inside its own post-build
def on_post_build(config, **kwargs) -> None:
    for lang in _pages:
        out = Path(config.site_dir) / "_print" / f"{lang}.html"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(document(lang, config), encoding="utf-8")
