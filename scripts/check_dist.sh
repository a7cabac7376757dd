#!/usr/bin/env bash
# `make dist`: build the sdist and the wheel, check them, and install the wheel
# where a reader would: a fresh venv with NumPy only (scratch and data work,
# seqnotes.nn says how to get PyTorch), then with [torch], running every snippet
# of the notes against the installed package instead of the source tree.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

rm -rf dist
"$PY" -m build --sdist --wheel --outdir dist . >/dev/null
"$PY" -m twine check --strict dist/*
WHEEL=$(ls dist/seqnotes-*.whl)

# 1. NumPy only.
"$PY" -m venv "$WORK/numpy-only"
"$WORK/numpy-only/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL"
(cd "$WORK" && "$WORK/numpy-only/bin/python" - <<'PY'
import importlib.util

import numpy as np

import seqnotes
from seqnotes import data, scratch

assert importlib.util.find_spec("torch") is None, "torch must not come with the base install"
lstm = scratch.LSTM(3, 4, rng=0)
out, _ = lstm.forward(np.zeros((2, 5, 3)))
vocab = data.Vocab.from_texts(["hello"], level="char")
assert out.shape == (2, 5, 4) and vocab.decode(vocab.encode("hello")) == "hello"
try:
    import seqnotes.nn  # noqa: F401
except ImportError as err:
    assert 'pip install "seqnotes[torch]"' in str(err), err
else:
    raise AssertionError("import seqnotes.nn worked without torch")
print(f"seqnotes {seqnotes.__version__} without torch: scratch and data work, nn says how to get torch")
PY
)

# 2. With [torch] (pinned as in the lock: a looser pin may pull a CUDA build of
#    several GB): every snippet of the notes, both languages, against the wheel.
"$PY" -m venv "$WORK/torch"
"$WORK/torch/bin/python" -m pip install --quiet --disable-pip-version-check \
  "${WHEEL}[torch]" "$(grep '^torch==' requirements.lock)" $(grep -E '^(pytest|pytest-xdist|sybil|execnet|iniconfig|pluggy|packaging)==' requirements.lock | grep -v "python_full_version <" | sed 's/ ;.*//')
where=$(cd "$WORK" && "$WORK/torch/bin/python" -c 'import seqnotes; print(seqnotes.__file__)')
case "$where" in "$WORK"/*) ;; *) echo "seqnotes imported from $where, not the wheel"; exit 1 ;; esac
SEQNOTES_DEMO_CACHE="$WORK/cache" "$WORK/torch/bin/python" -m pytest -q -n auto --dist loadscope docs \
  | tail -n 4
