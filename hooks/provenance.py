"""Say what was run: a footer line on every page whose snippets the tests execute.

The line names the seqnotes commit and the PyTorch and NumPy versions of the
build, read when the site is built (never typed by hand), in the page's
language. The Pages workflow builds the site only after the test suite has run
every snippet with that same environment.
"""

from __future__ import annotations

import html
import subprocess
from importlib import metadata
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
_TEXT = {
    "ko": "이 페이지의 코드는 모두 테스트에서 실행해 출력을 확인했습니다: {run}.",
    "en": "Every snippet on this page was run by the test suite, which checked its output: {run}.",
}
_DIRTY = {"ko": " + 커밋하지 않은 변경", "en": " + uncommitted changes"}
_facts: dict[str, str] = {}


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args], cwd=_ROOT, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def on_config(config, **kwargs):
    commit = _git("rev-parse", "HEAD")
    _facts.update(
        commit=commit,
        dirty="yes" if commit and _git("status", "--porcelain", "--untracked-files=no") else "",
        torch=_version("torch"),
        numpy=_version("numpy"),
    )
    return config


def _run_html(repo_url: str, lang: str) -> str:
    commit = _facts.get("commit", "")
    if commit:
        label = commit[:7] + (_DIRTY.get(lang, _DIRTY["en"]) if _facts.get("dirty") else "")
        url = f"{repo_url.rstrip('/')}/commit/{commit}" if repo_url else ""
        code = f"<code>{html.escape(label)}</code>"
        ref = f'<a href="{html.escape(url)}">{code}</a>' if url else code
    else:
        ref = "<code>unknown commit</code>"
    return f"seqnotes {ref}, PyTorch {_facts['torch']}, NumPy {_facts['numpy']}"


def on_page_content(html_out: str, page, config, files, **kwargs) -> str:
    if 'class="language-pycon' not in html_out and 'class="language-python' not in html_out:
        return html_out
    lang = str(config.theme.get("language") or "en")
    text = _TEXT.get(lang, _TEXT["en"]).format(run=_run_html(config.repo_url or "", lang))
    return html_out + f'\n<p class="seqnotes-provenance">{text}</p>\n'
