"""``make pdf``: print each language's edition of the built site to one PDF.

    python scripts/make_pdf.py SITE_DIR [LANG ...]

Serves SITE_DIR on 127.0.0.1, opens ``_print/<lang>.html`` (written by
hooks/print_edition.py) in headless Chromium (``$CHROMIUM`` or the system's
chromium; nothing is downloaded), opens every exercise solution, lays every tab
of a tab set out under its label, waits for the fonts, and prints A4 with page
numbers to ``seqnotes-ko.pdf`` (site root, next to the Korean home page) and
``en/seqnotes-en.pdf``. Korean text needs a Korean font on the machine (Debian:
fonts-noto-cjk).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
# What paper cannot do: open a collapsed solution, click a tab.
PREPARE = """() => {
  for (const d of document.querySelectorAll("details")) d.open = true;
  for (const set of document.querySelectorAll(".tabbed-set")) {
    const labels = [...set.querySelectorAll(":scope > .tabbed-labels > label")];
    const blocks = set.querySelectorAll(":scope > .tabbed-content > .tabbed-block");
    blocks.forEach((block, k) => {
      const p = document.createElement("p");
      p.className = "print-tab-label";
      p.textContent = labels[k] ? labels[k].textContent.trim() : "";
      block.prepend(p);
    });
  }
  return document.fonts.ready.then(() => document.querySelectorAll(".print-page").length);
}"""
FOOTER = (
    '<div style="width:100%;font-size:8px;text-align:center;color:#555;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


def output_path(site: Path, lang: str) -> Path:
    return site / f"seqnotes-{lang}.pdf" if lang == "ko" else site / lang / f"seqnotes-{lang}.pdf"


def chromium() -> str:
    found = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        sys.exit("make pdf needs Chromium (Debian: apt-get install chromium fonts-noto-cjk)")
    return found


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, without a log line per request."""

    def log_message(self, *args) -> None:
        pass


@contextmanager
def serve(site: Path):
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def make_pdfs(site: Path, langs: list[str], executable: str | None = None) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with serve(site) as origin, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable or chromium(), args=FLAGS)
        for lang in langs:
            source = site / "_print" / f"{lang}.html"
            if not source.is_file():
                sys.exit(f"{source} is missing: build the site first (make build)")
            page = browser.new_page()
            page.goto(f"{origin}/_print/{lang}.html", wait_until="networkidle")
            sections = page.evaluate(PREPARE)
            out = output_path(site, lang)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(
                path=str(out),
                prefer_css_page_size=True,
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=FOOTER,
                outline=True,
                tagged=True,
            )
            page.close()
            print(f"{out}: {sections} pages of the notes")
            written.append(out)
        browser.close()
    return written


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    site, langs = Path(sys.argv[1]), sys.argv[2:] or ["ko", "en"]
    # One process per language: printing a long document keeps one core busy.
    with ProcessPoolExecutor(max_workers=len(langs)) as pool:
        list(pool.map(make_pdfs, [site] * len(langs), [[lang] for lang in langs]))
