"""Drive headless Chromium against the built site served on 127.0.0.1.

Checks what only a browser can: formulas are rendered (KaTeX markup, no raw
TeX visible; those below the first screen drawn as the reader comes near, and
all of them for printing), the language switch lands on the same page in the other language
and back, the copy button on a pycon block puts runnable code on the clipboard,
no request leaves the site's own origin, no page logs a console error or fails
a request, axe-core finds no serious or critical WCAG 2.1 AA violation on any
page in either colour scheme, Korean search finds the chapter that teaches a
term even with a particle attached, and the print edition of each language
becomes a PDF with every chapter and no raw TeX.

Run with `make browser-test`. It uses the system Chromium (Debian's
`chromium` package; no browser is downloaded) and skips, saying why, where
there is none.
"""

from __future__ import annotations

import functools
import http.server
import os
import queue
import re
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
sys.path.insert(0, str(ROOT / "scripts"))
from make_pdf import FLAGS, QuietHandler  # noqa: E402  (the same Chromium flags as `make pdf`)

if CHROMIUM is None:
    pytest.skip(
        "Chromium is not installed (Debian: apt-get install chromium chromium-driver); "
        "the browser test needs it and never downloads a browser",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in requirements.lock")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    res = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return site


@pytest.fixture(scope="module")
def origin(site):
    handler = functools.partial(QuietHandler, directory=str(site))
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
        yield context
        context.close()


def _open(browser, url):
    page = browser.new_page()
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


LAZY = ".katex.seqnotes-lazy"
ON_SCREEN = """sel => [...document.querySelectorAll(sel)].filter(el => {
  const r = el.getBoundingClientRect();
  return r.bottom > 0 && r.top < innerHeight && r.width > 0;
}).length"""


def test_formulas_below_the_first_screen_are_drawn_on_the_way(browser, origin):
    page = browser.new_page()
    page.set_viewport_size({"width": 412, "height": 823})  # a phone
    page.goto(f"{origin}/en/rnn/", wait_until="networkidle")
    waiting = page.locator(LAZY).count()
    total = page.locator(".katex").count()
    assert 0.5 * total < waiting < total, (waiting, total)
    # The first screen is KaTeX's drawing from the start: nothing on it waits.
    assert page.evaluate(ON_SCREEN, ".katex") >= 1
    assert page.evaluate(ON_SCREEN, LAZY) == 0
    # A waiting formula shows its MathML meanwhile, with a size, not an empty gap.
    shown = page.evaluate(
        "sel => { const m = document.querySelector(sel + ' > .katex-mathml');"
        " const r = m.getBoundingClientRect(), s = getComputedStyle(m);"
        " return [r.width, r.height, s.clipPath, s.position]; }",
        LAZY,
    )
    assert shown[0] > 5 and shown[1] > 5 and shown[2:] == ["none", "static"], shown
    # Halfway down the page, what is on screen has been drawn by KaTeX.
    page.evaluate("scrollTo(0, document.body.scrollHeight / 2)")
    page.wait_for_function(f"() => ({ON_SCREEN})('.katex') > 0 && ({ON_SCREEN})('{LAZY}') == 0")
    assert 0 < page.locator(LAZY).count() < waiting
    # Printing draws every formula.
    page.evaluate("dispatchEvent(new Event('beforeprint'))")
    assert page.locator(LAZY).count() == 0
    assert page.locator(".katex .katex-html").count() == total
    page.close()


PALETTE = """() => ({
  scheme: document.body.dataset.mdColorScheme,
  meta: [...document.querySelectorAll('meta[name=color-scheme]')].map((m) => m.content),
  bar: document.querySelector('meta[name=theme-color]').content,
  header: getComputedStyle(document.querySelector('.md-header')).backgroundColor,
  toggles: [...document.querySelectorAll('.md-header__option label')]
    .filter((l) => getComputedStyle(l).display !== 'none').map((l) => l.title),
})"""


def _hex(rgb: str) -> str:
    return "#" + "".join(f"{int(c):02x}" for c in re.findall(r"\d+", rgb)[:3])


def test_the_colour_toggle_switches_the_scheme_and_keeps_it(browser, origin):
    """partials/javascripts/palette.html stands in for the theme's palette component."""
    page = _open(browser, f"{origin}/404.html")
    page.evaluate("localStorage.clear()")  # a first visit
    page.emulate_media(color_scheme="dark")
    page.goto(f"{origin}/en/rnn/", wait_until="commit")
    # The system's scheme is taken before anything is drawn, and the toggle to the other
    # scheme is there from the first paint, before the theme's script runs.
    page.wait_for_selector(".md-header__option label:not([hidden])", state="attached")
    state = page.evaluate(PALETTE)
    assert state["scheme"] == "slate" and state["meta"] == ["dark"], state
    assert state["toggles"] == ["Light mode"], state
    page.wait_for_load_state("networkidle")
    state = page.evaluate(PALETTE)
    assert state["bar"] == _hex(state["header"]), state  # the phone's browser bar
    # A click switches the scheme (no colour animated on the way).
    page.click(".md-header__option label:not([hidden])")
    page.wait_for_function("!document.body.hasAttribute('data-md-color-switching')")
    state = page.evaluate(PALETTE)
    assert state["scheme"] == "default" and state["meta"] == ["light"], state
    assert state["toggles"] == ["Dark mode"] and state["bar"] == _hex(state["header"]), state
    # The choice is kept on the next page, though the system still prefers dark.
    page.goto(f"{origin}/gru/", wait_until="networkidle")
    assert page.evaluate(PALETTE)["scheme"] == "default"
    # From the keyboard: Enter on the focused option switches to the next one.
    page.focus("input.md-option:checked")
    page.keyboard.press("Enter")
    page.wait_for_function("!document.body.hasAttribute('data-md-color-switching')")
    state = page.evaluate(PALETTE)
    assert state["scheme"] == "slate" and state["meta"] == ["dark"], state
    assert page.evaluate("document.activeElement.matches('input.md-option:checked')")
    page.evaluate("localStorage.clear()")
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
    button = block.locator("button.md-code__button, button.md-clipboard").first
    # A code block gets its buttons when it comes into view (content.lazy). A jump from
    # the top to the middle of a long page lands a little off at first: the blocks
    # above take their real heights as they are drawn. So scroll to it until it stays.
    for _ in range(5):
        block.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        if button.count():
            break
    block.hover()
    button.click()
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


# --------------------------------------------------------------------------- every page


def _site_pages(site: Path) -> list[str]:
    """URL paths of every page of both editions."""
    pages = []
    for page in sorted(site.rglob("index.html")):
        rel = page.parent.relative_to(site).as_posix()
        if rel.startswith(("assets", "_print", "search")):
            continue
        pages.append("/" if rel == "." else f"/{rel}/")
    return pages


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCHEME = "s => document.body.getAttribute('data-md-color-scheme') === s"
# Only colours change with the scheme, so the dark pass runs the colour rules only.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


# axe checks the contrast of every element with text, and on a page of 15,000 (the API
# reference: 60,000) elements that was most of its time. The contrast of a text depends
# only on its colour, size and weight, the colours behind it and the opacity above it:
# of the elements that agree on all of these, axe checks the first and skips the repeats
# (KaTeX's spans and the highlighted tokens of code are most of them). Computed again in
# each colour scheme.
SAMPLE = """() => {
  for (const el of document.querySelectorAll("[data-axe-repeat]")) {
    el.removeAttribute("data-axe-repeat");
  }
  const seen = new Set();
  let repeats = 0;
  const clear = (c) => c === "transparent" || c === "rgba(0, 0, 0, 0)";
  const walk = (el, behind, opacity) => {
    const s = getComputedStyle(el);
    const own = s.backgroundColor;
    const image = s.backgroundImage !== "none" ? s.backgroundImage : "";
    if (!clear(own) || image) behind = `${behind}>${own}${image}`;
    opacity *= Number(s.opacity);
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.data.trim());
    if (text) {
      const key = [s.color, behind, opacity, s.fontSize, s.fontWeight, s.textShadow].join("|");
      if (seen.has(key)) { el.setAttribute("data-axe-repeat", ""); repeats++; }
      else seen.add(key);
    }
    for (const child of el.children) walk(child, behind, opacity);
  };
  walk(document.documentElement, "", 1);
  return [seen.size, repeats];
}"""
ONLY_FIRSTS = (
    "axe.configure({rules: [{id: 'color-contrast', selector: '*:not([data-axe-repeat])'}]})"
)


def _axe(page, options: dict) -> list[str]:
    result = page.evaluate(
        "opts => axe.run(document, opts)",
        {**options, "resultTypes": ["violations"]},
    )
    return [
        f"{v['id']} on {len(v['nodes'])} nodes: "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


SHOW_ALL = (
    "* { content-visibility: visible !important; }"
    " *, *::before, *::after { transition: none !important; animation: none !important; }"
)
THEME_STARTED = """document.addEventListener("seqnotes:theme-started", () => {
  window.seqnotesThemeStarted = true;
});"""
OPEN_ALL = """() => {
  document.querySelectorAll('details').forEach((d) => { d.open = true; });
  dispatchEvent(new Event('beforeprint'));
}"""
# What a page shows when long-pages.js never finishes: each block it should have checked.
UNCHECKED = """() => [...document.querySelectorAll('.md-typeset :is(.katex-display, pre > code)')]
  .map((el) => ({
    block: el.tagName + (el.id ? '#' + el.id : '') + ' ' + el.textContent.slice(0, 40),
    connected: el.isConnected,
    width: el.getBoundingClientRect().width,
    lazy: !!el.querySelector('.seqnotes-lazy'),
    inside: el.closest('details, .tabbed-block, [hidden]')?.outerHTML.slice(0, 80) ?? null,
  }))
  .filter((b) => b.lazy || !b.width)"""
SWEEPERS = 3  # browsers checking pages side by side: a page waits on I/O part of the time


def _check_pages(origin: str, todo: queue.Queue, found: dict[str, list[str]]) -> None:
    """Take pages from ``todo`` until it is empty; one thread, its own Playwright and browser."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        page = browser.new_page()
        page.add_init_script("localStorage.clear()")  # each page starts from the system's scheme
        page.add_init_script(THEME_STARTED)
        here = {"path": ""}
        console = found["console"]
        page.on(
            "console", lambda m: m.type == "error" and console.append(f"{here['path']}: {m.text}")
        )
        page.on("pageerror", lambda e: console.append(f"{here['path']}: {e}"))
        page.on("requestfailed", lambda r: console.append(f"{here['path']}: failed {r.url}"))
        page.on(
            "response",
            lambda r: r.status >= 400 and console.append(f"{here['path']}: {r.status} {r.url}"),
        )

        def request(r) -> None:
            found["requests"].append(r.url)
            if not r.url.startswith((origin, "data:")):
                found["foreign"].append(f"{here['path']}: {r.url}")

        page.on("request", request)
        while True:
            try:
                path = todo.get_nowait()
            except queue.Empty:
                break
            here["path"] = path
            page.emulate_media(color_scheme="light")
            page.goto(origin + path, wait_until="networkidle")
            assert page.evaluate(SCHEME, "default"), f"{path}: not in the light scheme"
            # The page as a reader has it: the theme starts after the first paint, which on a
            # busy machine can come after the network has gone quiet.
            page.wait_for_function("window.seqnotesThemeStarted")
            # Check every block, not only those on screen: the site lets the browser skip
            # off-screen blocks (content-visibility), and axe would skip them too. No
            # transitions: axe must see the scheme's colours, not a colour on its way there.
            page.add_style_tag(content=SHOW_ALL)
            # Every solution open (a closed <details> hides its content from axe and from
            # long-pages.js alike) and every formula drawn.
            page.evaluate(OPEN_ALL)
            try:
                page.wait_for_selector("html[data-scrollers-checked]", state="attached")
            except sync_api.TimeoutError:
                pytest.fail(f"{path}: long-pages.js never checked {page.evaluate(UNCHECKED)}")
            page.add_script_tag(path=str(AXE))  # served from this machine, not a CDN
            page.evaluate(ONLY_FIRSTS)
            page.evaluate(SAMPLE)
            found["light"] += [
                f"{path}: {v}" for v in _axe(page, {"runOnly": {"type": "tag", "values": WCAG}})
            ]
            # The dark scheme, as the theme's toggle sets it (the choice is kept per visit,
            # so a change of the system's preference alone does not switch a loaded page).
            page.emulate_media(color_scheme="dark")
            page.evaluate("document.body.setAttribute('data-md-color-scheme', 'slate')")
            page.evaluate(SAMPLE)
            found["dark"] += [
                f"{path}: {v}"
                for v in _axe(page, {"runOnly": {"type": "rule", "values": COLOUR_RULES}})
            ]
        browser.close()


@pytest.fixture(scope="module")
def every_page(origin, site) -> dict[str, list[str]]:
    """Load every page of both editions once; collect console errors, failed requests and
    axe-core's serious/critical WCAG 2.1 AA violations in the light and the dark scheme."""
    found: dict[str, list[str]] = {
        "console": [],
        "light": [],
        "dark": [],
        "requests": [],
        "foreign": [],
    }
    pages = _site_pages(site)
    assert len(pages) >= 28 and "/en/transformer/" in pages
    # Largest pages first, so that the sweepers finish at about the same time.
    todo: queue.Queue[str] = queue.Queue()
    for path in sorted(pages, key=lambda p: -(site / p.strip("/") / "index.html").stat().st_size):
        todo.put(path)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            _check_pages(origin, todo, found)
        except BaseException as err:  # noqa: BLE001 - re-raised in the test's thread below
            errors.append(err)

    threads = [threading.Thread(target=sweep) for _ in range(SWEEPERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return found


def test_no_request_leaves_the_origin(every_page):
    assert every_page["requests"], "the browser made no requests at all?"
    assert not every_page["foreign"], f"requests to other origins: {every_page['foreign']}"


def test_every_page_has_a_quiet_console_and_no_failed_request(every_page):
    assert not every_page["console"], "\n".join(every_page["console"][:20])


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violation_on_any_page(every_page, scheme):
    assert not every_page[scheme], "\n".join(every_page[scheme])


# --------------------------------------------------------------------------- search

# A Korean reader types words with particles and endings attached.
KOREAN_QUERIES = {
    "어텐션을": "attention",
    "셀프 어텐션에서": "attention",
    "트랜스포머는": "transformer",
    "멀티헤드 어텐션은": "transformer",
    "위치 인코딩을": "transformer",
    "역전파를": "rnn",
    "기울기 클리핑은": "rnn",
    "LSTM의": "lstm",
    "게이트의": "lstm",
    "GRU는": "gru",
    "합성곱을": "convolution",
    "교사 강요를": "rnn-applications",
    "캡셔닝에서": "rnn-applications",
    "마르코프 모델은": "sequences",
    "패치로": "beyond-text",
}
ENGLISH_QUERIES = {
    "attention": "attention",
    "transformer": "transformer",
    "backpropagation": "rnn",
    "teacher forcing": "rnn-applications",
    "convolution": "convolution",
    "Markov": "sequences",
}


def _search(page, query: str) -> list[str]:
    """The pages of the search results, in order (their first path segment)."""
    # Empty the box first and wait for the list to clear: otherwise the wait below could
    # return at once on the previous query's results.
    page.fill(".md-search__input", "")
    page.dispatch_event(".md-search__input", "keyup")
    page.wait_for_function("() => document.querySelector('.md-search-result__list li') === null")
    page.fill(".md-search__input", query)
    # Typing Hangul goes through an input method; fill + keyup is what the theme listens to.
    page.dispatch_event(".md-search__input", "keyup")
    page.wait_for_function(
        "() => document.querySelector('.md-search-result__list li') !== null"
        " || /\\b0\\b/.test(document.querySelector('.md-search-result__meta').textContent)"
    )
    hrefs = page.eval_on_selector_all(
        ".md-search-result__item > a", "els => els.map(e => new URL(e.href).pathname)"
    )
    chapters: list[str] = []
    for href in hrefs:
        parts = [p for p in href.split("/") if p and p != "en"]
        name = parts[0] if parts else "home"
        if name not in chapters:
            chapters.append(name)
    return chapters


@pytest.mark.parametrize(
    "edition, queries", [("/", KOREAN_QUERIES), ("/en/", ENGLISH_QUERIES)], ids=["ko", "en"]
)
def test_search_finds_the_chapter_that_teaches_a_term(browser, origin, edition, queries):
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda r: "search_index" in r.url and requests.append(r.url))
    page.goto(origin + edition, wait_until="networkidle")
    page.click(".md-search__input")
    missed = {}
    for query, chapter in queries.items():
        top = _search(page, query)[:3]
        if chapter not in top:
            missed[query] = top
    page.close()
    assert not missed, f"the chapter is not in the top 3: {missed}"
    # Each edition downloads its own language's index, and only that.
    assert requests == [f"{origin}{edition}search/search_index.json"], requests


# --------------------------------------------------------------------------- print edition


@pytest.mark.pdf
def test_a_pdf_per_language_with_every_chapter_and_no_raw_tex(site):
    pypdf = pytest.importorskip("pypdf")
    # `make pdf`'s script, in its own process (a Playwright of its own).
    res = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_pdf.py"), str(site)],
        env={**os.environ, "CHROMIUM": CHROMIUM},
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    chapters = sorted(p.parent.name for p in (ROOT / "docs").glob("*/index.ko.md"))
    pdfs = [site / "seqnotes-ko.pdf", site / "en" / "seqnotes-en.pdf"]
    for lang, pdf in zip(("ko", "en"), pdfs, strict=True):
        reader = pypdf.PdfReader(pdf)
        assert len(reader.pages) >= 40, f"{pdf.name}: only {len(reader.pages)} pages"
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
        squeezed = "".join(text.split())
        for chapter in chapters:  # "# 트랜스포머 { #transformer }" -> "트랜스포머"
            first = (ROOT / "docs" / chapter / f"index.{lang}.md").read_text("utf-8").split("\n")[0]
            title = "".join(first.lstrip("# ").split(" {")[0].split())
            assert title in squeezed, f"{pdf.name} lacks the chapter {title!r}"
        for raw in ("$$", "\\frac", "\\mathbb", "\\begin{", "\\mid"):
            assert raw not in text, f"{pdf.name} shows raw TeX: {raw}"
        assert re.search(r"\b1\s*/\s*\d+", text), "no page numbers in the footer"
        if lang == "ko":
            hangul = len(re.findall(r"[가-힣]", text))
            assert hangul > 10_000, f"{hangul} Hangul syllables: is a Korean font installed?"
