# netpolkit: `make lab` opens the course, `make test` checks everything.
# Both create .venv and install the pinned versions themselves on a fresh machine (needs python3 >= 3.11).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# The Python used to create .venv (override: make lab PYTHON=python3.12).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
EXTRAS := dev,notebooks,live,widgets,dask,ui

# Extra arguments for JupyterLab, e.g. make lab LAB_ARGS="--no-browser --port 8899"
LAB_ARGS ?=
# JupyterLab refuses to run as root (containers, CI machines) unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
# Extra arguments for pytest, e.g. make test PYTEST_ARGS="-m 'not notebook'"
PYTEST_ARGS ?=
# pytest-xdist workers (CI machines have 2 cores).
PYTEST_WORKERS ?= 2
# Extra arguments for the browser tests (tests/ui), e.g. make test UI_PYTEST_ARGS="-x"
UI_PYTEST_ARGS ?=
START_NOTEBOOK := notebooks/00-start-here.ipynb

.PHONY: help lab test test-ui ui-deps lint format strip binder-check bench exercises picture clean distclean check-python install

help:
	@echo "make lab           start JupyterLab on $(START_NOTEBOOK) (creates .venv on first use)"
	@echo "make test          ruff, ruff format --check, lint-imports, pytest, then the browser tests (creates .venv on first use)"
	@echo "make test-ui       only the browser tests (tests/ui: JupyterLab driven in headless Chromium)"
	@echo "make ui-deps       make sure Chromium is there for the browser tests (apt-get install as root on Debian/Ubuntu)"
	@echo "make lint          ruff check, ruff format --check, lint-imports"
	@echo "make format        ruff format + ruff check --fix"
	@echo "make strip         strip outputs and volatile metadata from notebooks/ and labs/"
	@echo "make binder-check  build a fresh env from binder/ only and run $(START_NOTEBOOK) in it"
	@echo "make bench         run the scale benchmarks in benchmarks/ (figures printed, nothing asserted)"
	@echo "make clean         remove caches and build output (keeps .venv; 'make distclean' removes it too)"

# ----------------------------------------------------------------------------- environment

check-python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "error: '$(PYTHON)' not found. netpolkit needs Python >= 3.11: install it, or run" \
	       "make with PYTHON=/path/to/python3.11 (or newer)." >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
	  echo "error: $(PYTHON) is Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'):" \
	       "netpolkit needs Python >= 3.11. Install a newer Python and run make with PYTHON=python3.11 (or newer)." >&2; \
	  exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
	  echo "error: $(PYTHON) cannot create virtual environments (module venv/ensurepip missing)." \
	       "On Debian/Ubuntu: sudo apt-get install python3-venv" >&2; exit 1; }

# Re-installs whenever pyproject.toml changes (new pins). Uses an existing .venv as it is.
$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory check-python
	@if [ ! -x $(PY) ]; then \
	  echo "Creating $(VENV) with $$($(PYTHON) --version)"; \
	  $(PYTHON) -m venv $(VENV); \
	fi
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[$(EXTRAS)]'
	@touch $@

install: $(STAMP)

# ----------------------------------------------------------------------------- main commands

# default_url makes the printed URL (and / ) open the start notebook, with or without --no-browser. The config
# file saves tracked notebooks without outputs, so the clone stays clean (netpolkit/notebook_files.py).
lab: $(STAMP)
	@echo "Starting JupyterLab on $(START_NOTEBOOK): open the URL printed below that ends in $(START_NOTEBOOK)?token=..."
	$(BIN)/jupyter lab --notebook-dir=. --config=binder/jupyter_server_config.py $(ROOT_FLAG) \
	  --LabApp.default_url=/lab/tree/$(START_NOTEBOOK) $(LAB_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# pytest exits 5 when it collects no test; make stops on any non-zero status, so that fails too.
# The browser tests run afterwards in one serial process: they share one JupyterLab and one Chromium (session
# fixtures), their screenshot list is printed by tests/ui/conftest.py in that process, and on two cores their
# kernel, server and browser would otherwise compete with both xdist workers and make every wait in them slow.
test: lint ui-deps
	$(BIN)/pytest -n $(PYTEST_WORKERS) --ignore=tests/ui $(PYTEST_ARGS)
	$(BIN)/pytest -p no:xdist tests/ui $(UI_PYTEST_ARGS)

test-ui: $(STAMP) ui-deps
	$(BIN)/pytest -p no:xdist tests/ui $(UI_PYTEST_ARGS)

# Chromium for tests/ui (the Python side, playwright, comes with the `ui` extra; no `playwright install`).
# Present (NETPOLKIT_CHROMIUM or on PATH): nothing to do. Missing, as root on Debian/Ubuntu (CI): apt-get installs
# it. Missing otherwise: say how to get it and fail. The browser tests are never skipped.
CHROMIUM_NAMES := chromium chromium-browser google-chrome google-chrome-stable
ui-deps:
	@if [ -n "$${NETPOLKIT_CHROMIUM:-}" ]; then \
	  [ -x "$$NETPOLKIT_CHROMIUM" ] && exit 0; \
	  echo "error: NETPOLKIT_CHROMIUM=$$NETPOLKIT_CHROMIUM is not an executable file." >&2; exit 1; \
	fi; \
	for name in $(CHROMIUM_NAMES); do command -v $$name >/dev/null 2>&1 && exit 0; done; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	   && grep -qiE '^(ID|ID_LIKE)=.*(debian|ubuntu)' /etc/os-release 2>/dev/null; then \
	  echo "ui-deps: Chromium is missing: apt-get install chromium fonts-noto-color-emoji (for the browser tests in tests/ui; the font draws the check marks in screenshots)"; \
	  apt-get update; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-color-emoji \
	    || DEBIAN_FRONTEND=noninteractive apt-get install -y chromium-browser; \
	  for name in $(CHROMIUM_NAMES); do command -v $$name >/dev/null 2>&1 && exit 0; done; \
	  echo "error: apt-get ran but no Chromium is on PATH (looked for: $(CHROMIUM_NAMES))." >&2; exit 1; \
	fi; \
	echo "error: the browser tests (tests/ui) need Chromium, and none is on PATH (looked for: $(CHROMIUM_NAMES))." >&2; \
	echo "  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y chromium   (make ui-deps does this as root)" >&2; \
	echo "  macOS:         brew install --cask chromium" >&2; \
	echo "  any system:    export NETPOLKIT_CHROMIUM=/path/to/chromium-or-chrome (no 'playwright install' needed)" >&2; \
	exit 1

# ----------------------------------------------------------------------------- helpers

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

strip: $(STAMP)
	$(PY) tools/strip_notebooks.py

exercises: $(STAMP)
	$(PY) tools/make_exercises.py

picture: $(STAMP)
	$(PY) tools/readme_picture.py docs/heatmap.png

bench: $(STAMP)
	$(PY) benchmarks/bench_reachability.py
	$(PY) benchmarks/bench_calico.py
	$(PY) benchmarks/bench_dialects.py
	$(PY) benchmarks/bench_scale.py
	$(PY) benchmarks/bench_whatif.py
	$(PY) benchmarks/bench_load.py

# Builds what mybinder.org builds, as far as pip can: a FRESH virtualenv from binder/requirements.txt
# only (not pyproject.toml, not .venv), then binder/postBuild, then runs the start notebook in it.
# Uses the Python version named in binder/runtime.txt when that interpreter is on PATH.
binder-check: check-python
	@runtime=$$(sed -n 's/^python-//p' binder/runtime.txt); \
	if command -v python$$runtime >/dev/null 2>&1; then bpy=python$$runtime; else bpy=$(PYTHON); \
	  echo "binder-check: python$$runtime (binder/runtime.txt) not on PATH, using $(PYTHON) instead"; fi; \
	tmp=$$(mktemp -d "$${TMPDIR:-/tmp}/netpolkit-binder-check.XXXXXX"); \
	echo "binder-check: [1/5] fresh virtualenv $$tmp/venv ($$($$bpy --version))"; \
	$$bpy -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --quiet --upgrade pip; \
	echo "binder-check: [2/5] pip install -r binder/requirements.txt"; \
	"$$tmp/venv/bin/python" -m pip install -r binder/requirements.txt; \
	echo "binder-check: [3/5] bash binder/postBuild (with the fresh virtualenv first on PATH)"; \
	PATH="$$tmp/venv/bin:$$PATH" VIRTUAL_ENV="$$tmp/venv" bash binder/postBuild; \
	echo "binder-check: [4/5] pip check"; \
	"$$tmp/venv/bin/python" -m pip check; \
	echo "binder-check: [5/5] papermill $(START_NOTEBOOK) -> $$tmp/00-start-here.ipynb"; \
	cd notebooks && PATH="$$tmp/venv/bin:$$PATH" MPLBACKEND=module://matplotlib_inline.backend_inline "$$tmp/venv/bin/papermill" \
	  --kernel python3 --cwd . --no-progress-bar \
	  00-start-here.ipynb "$$tmp/00-start-here.ipynb"; \
	rm -rf "$$tmp/venv"; \
	echo "binder-check: OK (executed notebook kept at $$tmp/00-start-here.ipynb)"

clean:
	rm -rf build dist .pytest_cache .ruff_cache .hypothesis executed-notebooks
	find . \( -path ./$(VENV) -o -path ./.git \) -prune -o \
	  \( -name __pycache__ -o -name '*.egg-info' -o -name .ipynb_checkpoints \) -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
