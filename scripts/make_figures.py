"""Regenerate the figures of the notes: ``make figures``.

Writes every figure of :data:`seqnotes.viz.FIGURES` as SVG to
docs/assets/figures/ (run from the repository root). The files are checked in;
tests/test_figures.py fails when one of them is out of date.
"""

from pathlib import Path

from seqnotes.viz import write_figures

OUT_DIR = Path(__file__).resolve().parent.parent / "docs" / "assets" / "figures"

if __name__ == "__main__":
    for path in write_figures(OUT_DIR):
        print(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)
