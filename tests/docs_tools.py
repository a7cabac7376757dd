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
ONE_LINE_MATH = re.compile(r"^\s*\$\$(.+)\$\$\s*$")

# Text-mode commands whose argument is words, not symbols (KaTeX renders Hangul
# only in text mode: \mathrm{손실} warns, \text{손실} does not).
TEXT_COMMAND = re.compile(
    r"\\(?:text|textrm|textnormal|textup|textmd|textit|textbf|textsf)(?![A-Za-z])\s*\{"
)


@dataclass(frozen=True)
class Item:
    """One thing that must match across languages, with the line it starts on.

    ``text`` is what a failure message shows; ``key``, when given, is what the
    two languages must agree on (e.g. a formula with its words masked).
    """

    line: int
    text: str
    key: str | None = None

    @property
    def compared(self) -> str:
        return self.text if self.key is None else self.key


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
    """Yield (kind, line, payload) for headings, code blocks and display math.

    Every line outside code blocks and display math is also yielded once as
    ("text", line, the line itself), headings included.
    """
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
        elif ONE_LINE_MATH.match(line):
            yield "math", i + 1, ONE_LINE_MATH.match(line).group(1).strip()
        else:
            h = HEADING.match(line)
            if h:
                yield "heading", i + 1, h.group(2)
            yield "text", i + 1, line
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


def _closing_brace(tex: str, start: int) -> int:
    """Index of the brace that closes the group opened at tex[start] ('{'), or -1."""
    depth, i = 0, start
    while i < len(tex):
        c = tex[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _escaped(tex: str, pos: int) -> bool:
    """Whether the backslash at tex[pos] is itself escaped (preceded by an odd run of them)."""
    run = 0
    while pos - run - 1 >= 0 and tex[pos - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def _is_label(tex: str, pos: int) -> bool:
    """Whether the command at tex[pos] is a sub- or superscript: `_\\text{…}` or `^{\\text{…}}`."""
    j = pos - 1
    while j >= 0 and tex[j].isspace():
        j -= 1
    if j >= 0 and tex[j] in "_^":
        return True
    if j >= 0 and tex[j] == "{":
        j -= 1
        while j >= 0 and tex[j].isspace():
            j -= 1
        return j >= 0 and tex[j] in "_^"
    return False


def mask_text_words(tex: str) -> str:
    """The formula with the words inside \\text{…} (and \\textrm{…} etc.) replaced by `…`.

    A display formula must be the same in both languages, except that a word
    written in text mode may be translated: `\\text{loss}` and `\\text{손실}` both
    become `\\text{…}`. A text command used as a sub- or superscript
    (`d_\\text{model}`, `P_{\\text{GRU}}`) names a symbol and is kept as it is,
    and so is everything outside text mode.
    """
    out, pos = [], 0
    for m in TEXT_COMMAND.finditer(tex):
        if m.start() < pos or _escaped(tex, m.start()) or _is_label(tex, m.start()):
            continue
        end = _closing_brace(tex, m.end() - 1)
        if end < 0:  # unbalanced: leave the rest alone, KaTeX will complain
            break
        out.append(tex[pos : m.end()] + "…}")
        pos = end + 1
    out.append(tex[pos:])
    return "".join(out)


def display_math(path: Path) -> list[Item]:
    """Display formulas; they are compared with the words inside \\text{…} masked."""
    return [
        Item(line, payload, key=mask_text_words(payload))
        for kind, line, payload in _scan(path.read_text(encoding="utf-8"))
        if kind == "math"
    ]


INLINE_CODE = re.compile(r"(`+).+?\1")
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(?:\\.|[^$\\])+?\$")
HTML_COMMENT = re.compile(r"<!--.*?-->")
LINK_TARGET = re.compile(r"(?<=\])\([^)\s]*(?:\s+\"[^\"]*\")?\)")
ATTRIBUTES = re.compile(r"\{\s*[#.:][^}]*\}")


def _blank(m: re.Match[str]) -> str:
    return " " * len(m.group(0))


def prose(path: Path) -> list[Item]:
    """The running text of a page, line by line, for style checks.

    Code blocks and display math are left out; inline code, inline math, HTML
    comments, link targets and `{ #anchor }` attributes are blanked with spaces,
    so that columns still point into the original line.
    """
    out = []
    for kind, line, payload in _scan(path.read_text(encoding="utf-8")):
        if kind != "text":
            continue
        text = payload
        for pattern in (INLINE_CODE, HTML_COMMENT, INLINE_MATH, LINK_TARGET, ATTRIBUTES):
            text = pattern.sub(_blank, text)
        out.append(Item(line, text))
    return out


def first_difference(a: list[Item], b: list[Item]) -> tuple[int, Item | None, Item | None] | None:
    """The index and items of the first mismatch between two ordered lists, or None."""
    for k in range(max(len(a), len(b))):
        x = a[k] if k < len(a) else None
        y = b[k] if k < len(b) else None
        if x is None or y is None or x.compared != y.compared:
            return k, x, y
    return None
