"""A notebook and a script per chapter page, and the buttons to download them or open Colab.

For every chapter (``docs/<chapter>/index.<lang>.md``) the build writes, next
to the page, ``<chapter>.ipynb`` and ``<chapter>.py``:

- prose becomes Markdown cells (formulas stay ``$…$`` / ``$$…$$`` for Jupyter;
  admonitions and tabs become a bold title over their content; links and
  images point at the published site);
- every ``pycon`` / ``python`` block becomes code, in page order. A ``pycon``
  block is split after each statement that shows an output, so every output
  sits under the code that printed it; the outputs the page shows are stored in
  the notebook, so it reads well before it is run. A statement that raises on
  purpose is tagged ``raises-exception`` (Jupyter runs on past it);
- a first cell installs ``seqnotes`` where it is missing (Colab).

The script is the same page in the "percent" format (``# %%`` cells that VS
Code, Spyder and Jupytext understand): prose as comments, code as code, the
page's outputs as comments under it.

The conversion (:func:`parse`, :func:`notebook`, :func:`script`) has no
mkdocs dependency: tests/test_notebooks.py builds every notebook from the
Markdown and runs it in a Jupyter kernel.
"""

from __future__ import annotations

import ast
import doctest
import json
import posixpath
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------- parsing

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)$")
_CONTAINER = re.compile(
    r'^(?P<indent> *)(?:!!!|\?\?\?\+?|===)\s*(?P<kind>[\w-]*)\s*(?:"(?P<title>[^"]*)")?\s*$'
)
_ANCHOR = re.compile(r"\s*\{\s*#[^}]*\}\s*$")
_SKIP = re.compile(r"<!--\s*skip:\s*next\s*(?P<reason>.*?)\s*-->")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_LINK = re.compile(r"(\]\()([^)\s]+)(\))")


@dataclass
class Cell:
    """One cell: Markdown text, or code with the outputs the page shows for it."""

    kind: str  # "markdown" or "code"
    source: str
    want: str = ""  # expected output (stdout and/or the value of the last expression)
    error: str = ""  # expected "ExceptionName: message", when the code raises on purpose
    value: bool = False  # the output is the value of the last expression (not printed)
    skip: str = ""  # why the page does not run this code (Sybil skip); then no outputs
    tags: list[str] = field(default_factory=list)


def _flatten(lines: list[str]) -> list[str]:
    """Turn admonitions (``!!!``, ``???``) and tabs (``===``) into a bold title over their body."""
    out: list[str] = []
    stack: list[int] = []  # indents of the open containers' headers
    in_fence = ""
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        if not in_fence and line.strip():
            while stack and indent <= stack[-1]:
                stack.pop()
        strip = 4 * len(stack)
        text = line[min(strip, indent) :] if line.strip() else ""
        fence = _FENCE.match(text)
        if fence:
            marker = fence.group("fence")
            if not in_fence:
                in_fence = marker
            elif text.strip() == in_fence:
                in_fence = ""
            out.append(text)
            continue
        m = None if in_fence else _CONTAINER.match(text)
        if m:
            title = m.group("title") or m.group("kind").capitalize()
            out.append(f"{m.group('indent')}**{title}**")
            out.append("")
            stack.append(indent)
            continue
        out.append(text)
    return out


def _code_cells(body: str, info: str, skip: str) -> list[Cell]:
    if info == "python" or skip:
        return [Cell("code", body.rstrip("\n"), skip=skip)]
    cells: list[Cell] = []
    source: list[str] = []
    for ex in doctest.DocTestParser().get_examples(body):
        source.append(ex.source)
        if ex.want or ex.exc_msg is not None:
            cells.append(_cell(source, ex))
            source = []
    if source:
        cells.append(Cell("code", "".join(source).rstrip("\n")))
    return cells


def _cell(source: list[str], ex: doctest.Example) -> Cell:
    code = "".join(source).rstrip("\n")
    if ex.exc_msg is not None:
        return Cell("code", code, error=ex.exc_msg.strip(), tags=["raises-exception"])
    last = ast.parse(code).body[-1]
    printed = (
        not isinstance(last, ast.Expr)
        or isinstance(last.value, ast.Call)
        and getattr(last.value.func, "id", "") == "print"
    )
    return Cell("code", code, want=ex.want, value=not printed)


def parse(markdown: str) -> list[Cell]:
    """Cells of one page, in order: Markdown prose and the code it shows."""
    lines = _flatten(markdown.splitlines())
    cells: list[Cell] = []
    prose: list[str] = []
    skip = ""

    def flush() -> None:
        text = _COMMENT.sub("", "\n".join(prose)).strip("\n")
        if text.strip():
            cells.append(Cell("markdown", text))
        prose.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        m = _SKIP.search(line)
        if m:
            skip = m.group("reason").strip().strip("\"'") or "skipped"
        fence = _FENCE.match(line)
        if fence:
            indent, marker = len(fence.group("indent")), fence.group("fence")
            info = fence.group("info").strip().split()[0] if fence.group("info").strip() else ""
            body = []
            i += 1
            while i < len(lines) and lines[i].strip() != marker:
                body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
                i += 1
            if info in ("pycon", "python"):
                flush()
                cells.extend(_code_cells("\n".join(body) + "\n", info, skip))
                skip = ""
            else:
                prose.extend([f"```{info}", *body, "```"])
        else:
            heading = re.match(r"^(#{1,6}\s.*?)" + _ANCHOR.pattern, line)
            prose.append(heading.group(1) if heading else line)
        i += 1
    flush()
    return cells


# --------------------------------------------------------------------------- links


def absolute_links(text: str, page_src: str, page_base: str, site_root: str) -> str:
    """Point relative links at the published site.

    ``page_src`` is the page's path under docs/ without the language suffix
    (``transformer/index.md``); ``page_base`` the URL of its edition's root
    (``…/`` or ``…/en/``); ``site_root`` the site's root, where assets live.
    """

    def fix(m: re.Match[str]) -> str:
        target = m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target):
            return m.group(0)
        path, _, anchor = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page_src), path))
        if resolved.startswith("assets/"):
            url = site_root + resolved
        elif resolved.endswith(".md"):
            stem = resolved[: -len(".md")]
            stem = stem[: -len("index")] if stem.endswith("index") else stem + "/"
            url = page_base + stem.lstrip("/")
        else:
            url = page_base + resolved
        return f"{m.group(1)}{url}{'#' + anchor if anchor else ''}{m.group(3)}"

    return _LINK.sub(fix, text)


# --------------------------------------------------------------------------- writing

_INSTALL = {
    "ko": "# Colab이나 새 파이썬 환경에서는 seqnotes(와 PyTorch)가 없으면 먼저 설치합니다.",
    "en": "# In Colab or a fresh Python, install seqnotes (with PyTorch) if it is missing.",
}
_OUT = {"ko": "출력", "en": "Out"}
_RAISES = {"ko": "일부러 내는 오류입니다", "en": "raised on purpose"}
_SKIPPED = {"ko": "노트에서도 실행하지 않는 코드입니다", "en": "not run in the notes either"}


def install_code(lang: str, requirement: str) -> str:
    return "\n".join(
        [
            _INSTALL[lang],
            "import importlib.util",
            "import subprocess",
            "import sys",
            "",
            'if importlib.util.find_spec("seqnotes") is None:',
            "    subprocess.check_call(",
            f'        [sys.executable, "-m", "pip", "install", "-q", {requirement!r}]',
            "    )",
        ]
    )


def _lines(text: str) -> list[str]:
    parts = text.splitlines(keepends=True)
    return parts


def notebook(cells: list[Cell], lang: str, requirement: str) -> dict:
    """An nbformat 4.5 notebook (a dict) with the page's outputs already in place."""
    nb_cells: list[dict] = [_code(install_code(lang, requirement), "install", None, [])]
    count = 0
    for k, cell in enumerate(cells):
        cid = f"cell-{k:03d}"
        if cell.kind == "markdown":
            nb_cells.append(
                {"cell_type": "markdown", "id": cid, "metadata": {}, "source": _lines(cell.source)}
            )
            continue
        if cell.skip:
            text = f"# {_SKIPPED[lang]}: {cell.skip}\n" + "\n".join(
                f"# {ln}" for ln in cell.source.splitlines()
            )
            nb_cells.append(_code(text, cid, None, []))
            continue
        count += 1
        outputs: list[dict] = []
        if cell.error:
            ename, _, evalue = cell.error.partition(":")
            outputs.append(
                {
                    "output_type": "error",
                    "ename": ename.strip(),
                    "evalue": evalue.strip(),
                    "traceback": [cell.error],
                }
            )
        elif cell.want and cell.value:
            outputs.append(
                {
                    "output_type": "execute_result",
                    "execution_count": count,
                    "metadata": {},
                    "data": {"text/plain": _lines(cell.want.rstrip("\n"))},
                }
            )
        elif cell.want:
            outputs.append({"output_type": "stream", "name": "stdout", "text": _lines(cell.want)})
        nb_cells.append(_code(cell.source, cid, count, outputs, cell.tags))
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "cells": nb_cells,
    }


def _code(
    source: str, cid: str, count: int | None, outputs: list[dict], tags: list[str] | None = None
) -> dict:
    return {
        "cell_type": "code",
        "id": cid,
        "metadata": {"tags": tags} if tags else {},
        "execution_count": count,
        "outputs": outputs,
        "source": _lines(source),
    }


def script(cells: list[Cell], lang: str, requirement: str) -> str:
    """The same page as a Python script in the percent format."""
    parts = ["# %%\n" + install_code(lang, requirement) + "\n"]
    for cell in cells:
        if cell.kind == "markdown":
            text = "\n".join(f"# {ln}".rstrip() for ln in cell.source.splitlines())
            parts.append(f"# %% [markdown]\n{text}\n")
        elif cell.skip:
            body = "\n".join(f"# {ln}" for ln in cell.source.splitlines())
            parts.append(f"# %%\n# {_SKIPPED[lang]}: {cell.skip}\n{body}\n")
        elif cell.error:
            ename = cell.error.partition(":")[0].strip()
            body = "\n".join(f"    {ln}" for ln in cell.source.splitlines())
            parts.append(
                f"# %%\n# {_RAISES[lang]}\ntry:\n{body}\nexcept {ename} as error:\n"
                f'    print(f"{ename}: {{error}}")\n'
            )
        else:
            out = ""
            if cell.want:
                out = "\n".join(
                    f"# {_OUT[lang]}: {ln}".rstrip() for ln in cell.want.rstrip("\n").splitlines()
                )
                out += "\n"
            parts.append(f"# %%\n{cell.source}\n{out}")
    return "\n".join(parts)


# --------------------------------------------------------------------------- the mkdocs hook

_LABELS = {
    "ko": (
        "노트북 받기 (.ipynb)",
        "스크립트 받기 (.py)",
        "Colab에서 열기",
        "이 페이지를 직접 실행하기",
    ),
    "en": (
        "Download notebook (.ipynb)",
        "Download script (.py)",
        "Open in Colab",
        "Run this page yourself",
    ),
}
_CHAPTER = re.compile(r"^(?P<chapter>[\w-]+)/index\.(?P<lang>ko|en)\.md$")
_built: dict[str, tuple[str, str]] = {}  # dest folder (site-relative) -> (ipynb, py)


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=_ROOT, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def github_repo(repo_url: str) -> str | None:
    """``owner/name`` of a GitHub ``repo_url``, else None."""
    m = re.match(r"^https://github\.com/([^/]+/[^/#?]+?)(?:\.git)?/?$", repo_url or "")
    return m.group(1) if m else None


def requirement(repo_url: str) -> str:
    """What the install cell asks pip for: this site's package at this site's commit."""
    commit = _git("rev-parse", "HEAD")
    clean = commit and not _git("status", "--porcelain", "--untracked-files=no")
    ref = f"@{commit}" if clean else ""
    return (
        f"seqnotes[torch] @ git+{repo_url.rstrip('/')}.git{ref}" if repo_url else "seqnotes[torch]"
    )


def colab_url(repo: str, lang: str, chapter: str) -> str:
    return f"https://colab.research.google.com/github/{repo}/blob/notebooks/{lang}/{chapter}.ipynb"


def chapter_files(
    markdown: str, chapter: str, lang: str, site_url: str, req: str
) -> tuple[dict, str]:
    """The notebook (a dict) and the script of ``docs/<chapter>/index.<lang>.md``."""
    base = site_url if lang == "ko" else site_url + "en/"
    cells = parse(absolute_links(markdown, f"{chapter}/index.md", base, site_url))
    return notebook(cells, lang, req), script(cells, lang, req)


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    m = _CHAPTER.match(page.file.src_uri)
    if not m or "```pycon" not in markdown:
        return markdown
    chapter, lang = m.group("chapter"), m.group("lang")
    req = requirement(config.repo_url or "")
    nb, py = chapter_files(markdown, chapter, lang, config.site_url or "/", req)
    text = json.dumps(nb, ensure_ascii=False, indent=1) + "\n"
    _built[posixpath.dirname(page.file.dest_uri)] = (text, py)
    page.meta["seqnotes_notebook"] = (chapter, lang)
    return markdown


def on_page_content(html: str, page, config, files, **kwargs) -> str:
    found = page.meta.get("seqnotes_notebook")
    if not found:
        return html
    chapter, lang = found
    nb_label, py_label, colab_label, aria = _LABELS[lang]
    links = [
        f'<a class="md-button" href="{chapter}.ipynb" download>{nb_label}</a>',
        f'<a class="md-button" href="{chapter}.py" download>{py_label}</a>',
    ]
    repo = github_repo(config.repo_url or "")
    if repo:
        links.append(
            f'<a class="md-button" href="{colab_url(repo, lang, chapter)}">{colab_label}</a>'
        )
    bar = (
        f'<nav class="seqnotes-run" aria-label="{aria}" data-search-exclude>{"".join(links)}</nav>'
    )
    head = re.search(r"</h1>", html)
    return html[: head.end()] + bar + html[head.end() :] if head else bar + html


def on_post_build(config, **kwargs) -> None:
    site = Path(config.site_dir)
    for folder, (nb, py) in _built.items():
        chapter = posixpath.basename(folder)
        (site / folder).mkdir(parents=True, exist_ok=True)
        (site / folder / f"{chapter}.ipynb").write_text(nb, encoding="utf-8")
        (site / folder / f"{chapter}.py").write_text(py, encoding="utf-8")
    _built.clear()
