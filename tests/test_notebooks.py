"""The notebook and the script of every chapter: valid, the same code in both languages, and
run top to bottom in a real Jupyter kernel, reproducing every output the page shows.

The notebooks are built here from the Markdown with the same code the site build
uses (hooks/notebooks.py). Both editions' code cells and outputs are identical
(the parity test already demands identical code blocks; this checks that the
conversion keeps them so), so the kernel runs the Korean edition's notebook and
thereby the English one's code too. Outputs are compared with the same doctest
flags as Sybil (tests/snippets.py).
"""

from __future__ import annotations

import doctest
import json
import sys
from pathlib import Path

import pytest

from docs_tools import DOCS
from snippets import FLAGS

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hooks"))
import notebooks as convert  # noqa: E402

CHAPTERS = sorted(
    p.parent.name for p in DOCS.glob("*/index.ko.md") if "```pycon" in p.read_text("utf-8")
)
SITE = "https://seqnotes.github.io/seqnotes/"
REQ = "seqnotes[torch] @ git+https://github.com/seqnotes/seqnotes.git"


def build(chapter: str, lang: str) -> tuple[dict, str]:
    text = (DOCS / chapter / f"index.{lang}.md").read_text(encoding="utf-8")
    return convert.chapter_files(text, chapter, lang, SITE, REQ)


def _code(nb: dict) -> list[tuple[str, list]]:
    return [("".join(c["source"]), c["outputs"]) for c in nb["cells"] if c["cell_type"] == "code"]


def test_every_chapter_has_a_notebook():
    assert len(CHAPTERS) >= 9 and "transformer" in CHAPTERS


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_notebooks_are_valid_and_the_same_code_in_both_languages(chapter):
    (ko, ko_py), (en, en_py) = build(chapter, "ko"), build(chapter, "en")
    for nb in (ko, en):
        nbformat.validate(nbformat.from_dict(nb))
    code_ko, code_en = _code(ko), _code(en)
    assert code_ko[1:] == code_en[1:], f"{chapter}: the two editions' notebooks differ in code"
    assert len(code_ko) > 5 and any(outputs for _, outputs in code_ko)
    markdown = "".join("".join(c["source"]) for c in ko["cells"] if c["cell_type"] == "markdown")
    assert "$" in markdown and "{ #" not in markdown and "!!!" not in markdown
    assert "](../" not in markdown, "relative links break outside the site"
    for py in (ko_py, en_py):
        compile(py, f"{chapter}.py", "exec")  # a valid Python script
    code_lines = lambda py: [ln for ln in py.splitlines() if ln and not ln.startswith("#")]  # noqa: E731
    assert code_lines(ko_py) == code_lines(en_py)


def _text(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def _got(outputs: list[dict]) -> tuple[str, str]:
    text, error = "", ""
    for out in outputs:
        if out["output_type"] == "stream" and out["name"] == "stdout":
            text += _text(out["text"])
        elif out["output_type"] == "execute_result":
            text += _text(out["data"].get("text/plain", "")) + "\n"
        elif out["output_type"] == "error":
            error = f"{out['ename']}: {out['evalue']}"
    return text, error


def mismatches(expected: dict, executed) -> list[str]:
    """Code cells of ``executed`` whose output differs from the one ``expected`` stores."""
    checker = doctest.OutputChecker()
    want_cells = [c for c in expected["cells"] if c["cell_type"] == "code"]
    got_cells = [c for c in executed["cells"] if c["cell_type"] == "code"]
    if len(want_cells) != len(got_cells):
        return [f"{len(got_cells)} code cells, expected {len(want_cells)}"]
    found = []
    for k, (want_cell, got_cell) in enumerate(zip(want_cells, got_cells, strict=True)):
        want, want_error = _got(want_cell["outputs"])
        got, got_error = _got(got_cell["outputs"])
        where = f"code cell {k}:\n{_text(want_cell['source'])}"
        if want_error:
            if not checker.check_output(want_error + "\n", got_error + "\n", FLAGS):
                found.append(
                    f"{where}\nexpected the error {want_error!r}, got {got_error or got!r}"
                )
        elif got_error:
            found.append(f"{where}\nraised {got_error}")
        elif not checker.check_output(want, got, FLAGS):
            found.append(f"{where}\nexpected:\n{want}got:\n{got}")
    return found


def run_notebook(chapter: str) -> None:
    nb, _ = build(chapter, "ko")
    run = nbformat.reads(json.dumps(nb), as_version=4)
    nbclient.NotebookClient(run, timeout=600, kernel_name="python3").execute(cwd=str(ROOT))
    found = mismatches(nb, run)
    assert not found, f"{chapter}.ipynb does not reproduce the page:\n" + "\n\n".join(found)


def _notebook_class(chapter: str) -> type:
    @pytest.mark.slow
    def test_runs_in_jupyter(self) -> None:
        run_notebook(chapter)

    name = "TestNotebook_" + chapter.replace("-", "_")
    return type(name, (), {"test_runs_in_jupyter": test_runs_in_jupyter})


# One class per chapter: `make test` spreads tests over workers by class (pytest-xdist
# --dist loadscope), so the kernels of different chapters run side by side.
for _chapter in CHAPTERS:
    _cls = _notebook_class(_chapter)
    globals()[_cls.__name__] = _cls
