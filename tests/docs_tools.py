"""Reading the notes' Markdown for the parity and style tests (no mkdocs needed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LANGS = ("ko", "en")

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
ANCHOR = re.compile(r"\{\s*#([A-Za-z0-9_\-]+)[^}]*\}\s*$")
PROMPT = re.compile(r"^(>>> |\.\.\. |>>>$|\.\.\.$)")


@dataclass(frozen=True)
class Item:
    """One thing that must match across languages, with the line it starts on."""

    line: int
    text: str


def pages() -> dict[str, dict[str, Path]]:
    """Map each page stem (docs-relative, without .ko.md/.en.md) to its files per language."""
    out: dict[str, dict[str, Path]] = {}
    for path in sorted(DOCS.rglob("*.md")):
        m = re.match(r"(.*)\.(ko|en)\.md$", path.relative_to(DOCS).as_posix())
        if m:
            out.setdefault(m.group(1), {})[m.group(2)] = path
    return out


def untranslated() -> list[Path]:
    """Markdown files in docs/ that are neither .ko.md nor .en.md."""
    return [p for p in sorted(DOCS.rglob("*.md")) if not re.search(r"\.(ko|en)\.md$", p.name)]


def _scan(text: str):
    """Yield (kind, line, payload) for headings, code blocks and display math."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence:
            start, marker, indent = i, fence.group("fence"), fence.group("indent")
            body = []
            i += 1
            while i < len(lines) and not (
                lines[i].strip().startswith(marker) and lines[i].strip().strip(marker[0]) == ""
            ):
                body.append(
                    lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i].lstrip()
                )
                i += 1
            yield "code", start + 1, (fence.group("info").strip(), body)
        elif line.strip() == "$$":
            start, body = i, []
            i += 1
            while i < len(lines) and lines[i].strip() != "$$":
                body.append(lines[i].strip())
                i += 1
            yield "math", start + 1, "\n".join(body)
        else:
            h = HEADING.match(line)
            if h:
                yield "heading", i + 1, h.group(2)
        i += 1


def _strip_comments(info: str, body: list[str]) -> str:
    """Code without whole-line comments, so comments may be translated."""
    kept = []
    for raw in body:
        code = PROMPT.sub("", raw) if info == "pycon" else raw
        if code.strip().startswith("#"):
            continue
        kept.append(raw.rstrip())
    return "\n".join(kept).strip("\n")


def anchors(path: Path) -> list[Item]:
    """The explicit `{ #id }` of every heading, in order (missing ones as '<none>')."""
    out = []
    for kind, line, payload in _scan(path.read_text(encoding="utf-8")):
        if kind == "heading":
            m = ANCHOR.search(payload)
            out.append(Item(line, m.group(1) if m else f"<no explicit anchor: {payload!r}>"))
    return out


def code_blocks(path: Path) -> list[Item]:
    return [
        Item(line, f"```{info}\n{_strip_comments(info, body)}")
        for kind, line, payload in _scan(path.read_text(encoding="utf-8"))
        if kind == "code"
        for info, body in [payload]
    ]


def display_math(path: Path) -> list[Item]:
    return [
        Item(line, payload)
        for kind, line, payload in _scan(path.read_text(encoding="utf-8"))
        if kind == "math"
    ]


def first_difference(a: list[Item], b: list[Item]) -> tuple[int, Item | None, Item | None] | None:
    """The index and items of the first mismatch between two ordered lists, or None."""
    for k in range(max(len(a), len(b))):
        x = a[k] if k < len(a) else None
        y = b[k] if k < len(b) else None
        if x is None or y is None or x.text != y.text:
            return k, x, y
    return None
