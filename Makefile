# Vanishing-gradients course: one entry point for learners, authors and CI (GNU make).
#
#   make lab      install (once), then JupyterLab on notebooks/ (localhost only)
#   make test     install, then ruff, pytest tests/ and nbval over every notebook
#   make execute  install, then re-run every notebook top to bottom, in place
#   make results  install, then recompute every stored result table into a new folder
#   make bench    install, then the speed benchmarks
#   make e2e      install, then only the browser test (JupyterLab + headless Chromium)
#   make site     install (+ requirements-site.txt), then the reading site in build/site/
#   make readme   refresh the README's table of notebook links
#   make clean    remove build artefacts (never logs/ or results)

VENV ?= .venv
PYTHON ?= python3
# Extra JupyterLab options, e.g. make lab LAB_ARGS="--no-browser --port=8899" (as root: --allow-root)
LAB_ARGS ?=

BIN := $(VENV)/bin
VPY := $(BIN)/python
STAMP := $(VENV)/.installed

# Identical, quiet TensorFlow everywhere; an empty MPLBACKEND lets the kernels use the inline backend
# (`env -u` because MPLBACKEND=Agg would change a figure's output under nbval).
TF_ENV := env -u MPLBACKEND TF_CPP_MIN_LOG_LEVEL=3 TF_ENABLE_ONEDNN_OPTS=0
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.DEFAULT_GOAL := help
.PHONY: help install lab test execute results bench e2e readme clean

help:
	@sed -n 's/^#   //p' Makefile

install: $(STAMP)

# Re-runs when the pins or the package definition change.
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@if [ ! -x $(VPY) ]; then \
	  $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	    echo "error: the course needs Python >= 3.11, but '$(PYTHON)' is" \
	         "$$(command -v $(PYTHON) >/dev/null && $(PYTHON) --version 2>&1 || echo 'not found')."; \
	    echo "       Install Python 3.11+ and run: make PYTHON=python3.11 $(or $(MAKECMDGOALS),install)"; \
	    exit 1; }; \
	  echo "Creating $(VENV) with $$($(PYTHON) --version)"; \
	  $(PYTHON) -m venv $(VENV); \
	fi
	@$(VPY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "error: $(VENV) runs $$($(VPY) --version 2>&1), the course needs Python >= 3.11."; \
	  echo "       Remove $(VENV) and run make again (with PYTHON=python3.11 if needed)."; \
	  exit 1; }
	$(VPY) -m pip install -r requirements-dev.txt
	$(VPY) -m pip install --no-deps -e .
	@touch $@

lab: install
	@mkdir -p notebooks
	$(TF_ENV) $(BIN)/jupyter lab --ip=127.0.0.1 --ServerApp.root_dir=notebooks $(LAB_ARGS)

# One pytest run: the repository tests and nbval over every notebook. With no notebooks yet
# (or no notebooks/ folder, which git does not keep empty) tests/ alone still runs, so pytest
# never stops on "no tests collected"; any real failure still fails the target.
# The browser test (tests/e2e) is part of it: it runs where Chromium is installed, is reported
# as skipped (saying why) where it is not, and fails when CI=true and Chromium is missing.
test: install
	$(BIN)/ruff check .
	$(TF_ENV) $(VPY) -m pytest tests/ $(wildcard notebooks) $(NBVAL)

execute: install
	$(TF_ENV) $(VPY) scripts/execute_notebooks.py

# Every table of helpers/results trained again from scratch (an hour on 2 cores), written to
# helpers/results/recomputed-<date>/ and compared with the stored one; nothing is overwritten.
results: install
	$(TF_ENV) $(VPY) scripts/make_results.py

bench: install
	$(TF_ENV) $(VPY) benchmarks/run.py

# Only the browser tests: JupyterLab + headless Chromium (Debian's /usr/bin/chromium, driven by
# Playwright; no browser download). Screenshots go to build/e2e/, one name per run.
e2e: install
	$(TF_ENV) $(VPY) -m pytest tests/e2e -m e2e -rs

readme: install
	$(VPY) scripts/update_readme.py

# Build artefacts only: never logs/ or results.
clean:
	rm -rf build/ dist/ *.egg-info .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -path ./$(VENV) -prune -o -name .ipynb_checkpoints -type d -prune -exec rm -rf {} +

# The reading site (Sphinx + MyST-NB, configured in site/): the committed notebooks as web pages,
# in build/site/ (index.html). Nothing is executed or downloaded; a Sphinx warning fails it. Its
# tools (requirements-site.txt) go into the same .venv, resolved together with the course's pins.
# tests/e2e/test_site.py checks the pages in headless Chromium (part of make test).
.PHONY: site
SITE_STAMP := $(VENV)/.site-installed

$(SITE_STAMP): requirements-site.txt $(STAMP)
	$(VPY) -m pip install -r requirements-dev.txt -r requirements-site.txt
	@touch $@

site: install $(SITE_STAMP)
	$(VPY) scripts/build_site.py build/site
