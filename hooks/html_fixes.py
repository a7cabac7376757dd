"""Small fixes to the theme's HTML, for a clean browser console and for accessibility.

- The head's ``<link rel="alternate" hreflang>`` tags go. Material reads them to
  fetch ``sitemap.xml`` under each alternate URL, which mkdocs-static-i18n makes
  the translated *page* (``/en/transformer/sitemap.xml``): two 404s on every
  page. The language menu keeps its links (they already lead to the same page in
  the other language) and sitemap.xml keeps the hreflang pairs for search engines.
- The search dialog gets an accessible name: the label of its own input.
- Images in the notes load lazily and decode off the main thread: most are far
  below the first screen of a long chapter.
- Each table of the notes sits in a ``<div>`` of its own. The theme's script
  wraps every table in a scrolling box when it starts; done to a child of the
  article, that made Chromium style the whole article again (MathML's built-in
  ``:nth-child`` rules tie every child to its siblings). Inside the ``<div>`` the
  same change concerns the table alone. The ``<div>`` has no style of its own,
  so the page looks the same.
"""

from __future__ import annotations

import re

_ALTERNATE = re.compile(r'\s*<link rel="alternate" href="[^"]*" hreflang="[^"]*">')
_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'
_INPUT_LABEL = re.compile(r'<input type="text" class="md-search__input"[^>]*aria-label="([^"]+)"')
# The tables the theme wraps: those without a class (a code block's line-number table has one).
_TABLE = re.compile(r"<table(?![^>]*\bclass=)[^>]*>.*?</table>", re.S)


def on_page_content(html: str, page, config, files, **kwargs) -> str:
    html = _TABLE.sub(lambda m: f"<div>{m.group(0)}</div>", html)
    return html.replace("<img ", '<img loading="lazy" decoding="async" ')


def on_post_page(output: str, page, config, **kwargs) -> str:
    output = _ALTERNATE.sub("", output)
    label = _INPUT_LABEL.search(output)
    if label:
        output = output.replace(_DIALOG, _DIALOG[:-1] + f' aria-label="{label.group(1)}">', 1)
    return output
