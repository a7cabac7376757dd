# Two commands for a new user: `make serve` and `make test`.
# Both create or update the local environment first (pinned Python packages in
# .venv/, pinned npm packages in node_modules/), then run.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Extra pip options, e.g. PIP_FLAGS="--extra-index-url <PyTorch CPU wheel index>"
PIP_FLAGS ?=

PY_STAMP   := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.DEFAULT_GOAL := help
.PHONY: help setup serve test test-kernels browser-test pdf-test portability dist pdf lighthouse build bench figures lock clean

help:
	@echo "make serve         build the site and serve it at http://127.0.0.1:8000 (live reload)"
	@echo "make test          run every test: unit tests, all snippets (ko + en), docstrings,"
	@echo "                   translation parity, lint, workflows, and mkdocs build --strict"
	@echo "make browser-test  drive headless Chromium against the built site (needs chromium)"
	@echo "make pdf-test      build both PDFs and check them: every chapter, no raw TeX"
	@echo "make test-kernels  the snippets, demo and figure tests again on PyTorch's plain C++"
	@echo "                   kernels (CI runs it after make test)"
	@echo "make portability   check the notes' trained results on every CPU kernel path this"
	@echo "                   machine offers, 1 and 2 threads, seeds 0-4 (~12 min; not part of test)"
	@echo "make dist          build the sdist and wheel, twine check, install the wheel in fresh"
	@echo "                   venvs (NumPy only; with [torch], running every snippet)"
	@echo "make bench         compare seqnotes models with torch.nn on CPU (not part of test)"
	@echo "make pdf           build the site and print each language to one PDF"
	@echo "                   (site/seqnotes-ko.pdf, site/en/seqnotes-en.pdf; needs chromium)"
	@echo "make lighthouse    Lighthouse mobile performance of every chapter, both languages"
	@echo "make figures       redraw the figures in docs/assets/figures (checked in, tested)"

$(PY_STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
	  || { echo "seqnotes needs Python >= 3.10; $(PYTHON) is $$($(PYTHON) --version)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(PIP_FLAGS) -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v node >/dev/null || { echo "seqnotes needs Node.js >= 18 (to prerender formulas with KaTeX)"; exit 1; }
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 18 ? 1 : 0)' \
	  || { echo "seqnotes needs Node.js >= 18; found $$(node --version)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(PY_STAMP) $(NODE_STAMP)

serve: setup
	SITE_URL=http://127.0.0.1:8000/ $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000 --livereload

# Tests run on every core; a page's snippets (one session), a module's doctests and
# a test class stay on one worker (--dist loadscope).
test: setup
	$(BIN)/ruff check src tests hooks scripts conftest.py
	$(BIN)/python -m pytest -n auto --dist loadscope

browser-test: setup
	$(BIN)/python -m pytest -m "browser and not pdf" -rs tests/browser

pdf-test: setup
	$(BIN)/python -m pytest -m pdf -rs tests/browser

build: setup
	$(BIN)/mkdocs build --strict

pdf: build
	$(BIN)/python scripts/make_pdf.py site

LH_STAMP := tools/lighthouse/node_modules/.installed
$(LH_STAMP): tools/lighthouse/package.json tools/lighthouse/package-lock.json
	cd tools/lighthouse && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lighthouse: build $(LH_STAMP)
	$(BIN)/python scripts/lighthouse.py site

test-kernels: setup
	$(BIN)/python scripts/portability.py --quick

portability: setup
	$(BIN)/python scripts/portability.py

dist: setup
	bash scripts/check_dist.sh $(BIN)/python

bench: setup
	$(BIN)/python benchmarks/bench.py

figures: setup
	$(BIN)/python scripts/make_figures.py

# Regenerate requirements.lock from requirements.in (one lock for Python 3.10+;
# torch is pinned by hand at the end so the lock never lists CUDA wheels).
lock: setup
	$(BIN)/python -m pip install --quiet uv==0.13.9
	$(BIN)/uv pip compile requirements.in --universal --python-version 3.10 \
	  --no-header --no-annotate --quiet \
	  | grep -vE '^(torch|triton|nvidia-[a-z0-9-]+|cuda-[a-z-]+)==' > requirements.lock.tmp
	{ echo "# Pinned set for 'make setup' (Python 3.10+). Regenerate with 'make lock'."; \
	  cat requirements.lock.tmp; echo "torch==2.13.0"; } > requirements.lock
	rm -f requirements.lock.tmp

clean:
	rm -rf site dist .pytest_cache .cache
