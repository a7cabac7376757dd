"""Gather the built notebooks into the tree that the `notebooks` branch holds, for Colab.

    python scripts/collect_notebooks.py SITE_DIR OUT_DIR

The site has ``<chapter>/<chapter>.ipynb`` (Korean) and ``en/<chapter>/<chapter>.ipynb``
(English). The "Open in Colab" buttons open ``<lang>/<chapter>.ipynb`` on the
repository's ``notebooks`` branch, which the Pages workflow force-pushes from OUT_DIR.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

README = """# seqnotes notebooks

Generated from the notes by the site build (do not edit here): one notebook per
chapter, in Korean (`ko/`) and English (`en/`). Open one in Colab from the
"Open in Colab" button of its chapter.
"""


def collect(site: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for nb in sorted(site.glob("**/*.ipynb")):
        rel = nb.relative_to(site)
        if nb.stem != nb.parent.name:  # only <chapter>/<chapter>.ipynb
            continue
        lang = "en" if rel.parts[0] == "en" else "ko"
        target = out / lang / nb.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(nb, target)
        written.append(target)
    (out / "README.md").write_text(README, encoding="utf-8")
    return written


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    files = collect(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{len(files)} notebooks in {sys.argv[2]}")
