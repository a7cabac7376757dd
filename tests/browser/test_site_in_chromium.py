"""Drive headless Chromium against the built site served on 127.0.0.1.

Checks what only a browser can: formulas are rendered (KaTeX markup, no raw
TeX visible), the language switch lands on the same page in the other language
and back, the copy button on a pycon block puts runnable code on the clipboard,
and no request leaves the site's own origin.

Run with `make browser-test`. It uses the system Chromium (Debian's
`chromium` package; no browser is downloaded) and skips, saying why, where
there is none.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = (
    os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

if CHROMIUM is None:
    pytest.skip(
        "Chromium is not installed (Debian: apt-get install chromium chromium-driver); "
        "the browser test needs it and never downloads a browser",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in requirements.lock")


@pytest.fixture(scope="module")
def origin(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    res = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert res.returncode == 0, res.stderr[-3000:]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None  # keep the test output quiet
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser(origin, tmp_path_factory):
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh --user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
        )
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
        requests: list[str] = []
        context.on("request", lambda r: requests.append(r.url))
        yield context, requests
        context.close()


def _open(browser, url):
    context, _ = browser
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    return page


def test_formulas_are_rendered(browser, origin):
    page = _open(browser, f"{origin}/sequences/")
    assert page.locator(".katex-display").count() >= 6
    assert page.locator(".katex").count() > 20
    text = page.locator("article").inner_text()
    assert "$$" not in text and "\\frac" not in text and "\\prod" not in text
    # KaTeX's fonts are loaded (from our own origin: see the origin test).
    assert page.evaluate("document.fonts.check('12px KaTeX_Main')")
    page.close()


def test_language_switch_keeps_the_page(browser, origin):
    page = _open(browser, f"{origin}/sequences/#chain-rule")
    assert page.get_attribute("html", "lang") == "ko"
    page.hover(".md-header__option .md-select")
    page.click('.md-select__link[hreflang="en"]')
    page.wait_for_load_state("networkidle")
    assert page.url.startswith(f"{origin}/en/sequences/")
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("h1").inner_text().startswith("Sequential data")
    page.hover(".md-header__option .md-select")
    page.click('.md-select__link[hreflang="ko"]')
    page.wait_for_load_state("networkidle")
    assert page.url.startswith(f"{origin}/sequences/")
    assert page.get_attribute("html", "lang") == "ko"
    page.close()


def _copy_block(page, index: int) -> str:
    block = page.locator("div.language-pycon").nth(index)
    block.hover()
    block.locator("button.md-code__button, button.md-clipboard").first.click()
    return page.evaluate("navigator.clipboard.readText()")


def test_copy_button_gives_runnable_code(browser, origin):
    page = _open(browser, f"{origin}/en/sequences/")
    imports = _copy_block(page, 0)
    chain = _copy_block(page, 1)
    page.close()
    assert imports.splitlines() == [
        "import numpy as np",
        "from seqnotes.scratch.markov import CountAR, MarkovModel, LinearAR, latent_states",
    ]
    # No prompts, no output lines, and the code runs as pasted.
    assert ">>>" not in chain and "0.226692" not in chain and "True" not in chain.splitlines()
    assert chain.splitlines()[0] == "rng = np.random.default_rng(0)"
    run = subprocess.run(
        [sys.executable, "-c", imports + "\n" + chain + "\nprint(round(chain, 6))"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "0.226692"


def test_no_request_leaves_the_origin(browser, origin):
    _, requests = browser
    for path in ("/", "/sequences/", "/en/", "/en/api/", "/guide/"):
        _open(browser, origin + path).close()
    assert requests, "the browser made no requests at all?"
    foreign = sorted(
        {u for u in requests if not u.startswith(origin) and not u.startswith("data:")}
    )
    assert not foreign, f"requests to other origins: {foreign}"
