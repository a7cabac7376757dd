"""Collect every snippet of the notes (both languages) and every docstring doctest.

- ```pycon blocks in docs/**/*.md are doctests (Sybil has no pycon parser; the
  small one below is FencedCodeBlockLexer("pycon") + DocTestStringParser).
- ```python blocks in docs/ are executed as plain code.
- `<!-- skip: next "reason" -->` skips the next snippet; the reason (a Python
  string, as Sybil evaluates it) is required, or collection fails naming the
  file and line.
- Docstring doctests in src/ run here, once (pytest's --doctest-modules is not used).
At the end of the run the number of executed snippets per language is printed.

Trained demo results are kept in .cache/demos (SEQNOTES_DEMO_CACHE), so that
both editions, every test worker and every notebook kernel share one training
run. A result is reused only by the same package code, library versions and
CPU kernel path (see seqnotes.demos).
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser
from sybil.parsers.rest import DocTestParser

ROOT = Path(__file__).parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("SEQNOTES_DEMO_CACHE", str(ROOT / ".cache" / "demos"))
from snippets import FLAGS, PyconParser, ReasonedSkipParser  # noqa: E402

docs = Sybil(
    parsers=[ReasonedSkipParser(), PyconParser(), PythonCodeBlockParser(doctest_optionflags=FLAGS)],
    path="docs",
    patterns=["*.md"],  # right-anchored: matches docs/**/name.ko.md and name.en.md
    name="docs",
)
docstrings = Sybil(
    parsers=[DocTestParser(optionflags=FLAGS)],
    path="src",
    patterns=["*.py"],
    name="docstrings",
)
pytest_collect_file = (docs + docstrings).pytest()


_executed: Counter[str] = Counter()


def _language(path: str) -> str | None:
    for lang in ("ko", "en"):
        if path.endswith(f".{lang}.md"):
            return lang
    return None


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed:
        lang = _language(str(report.fspath))
        if lang:
            _executed[lang] += 1


def pytest_terminal_summary(terminalreporter):
    if _executed:
        terminalreporter.write_sep("-", "executed note snippets per language")
        for lang in ("ko", "en"):
            terminalreporter.write_line(f"{lang}: {_executed[lang]} snippets executed")
