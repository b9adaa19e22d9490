# Vanishing-gradients course: one entry point for learners, authors and CI (GNU make).
#
#   make lab      install what the notebooks need (once), then JupyterLab (localhost only)
#   make test     also install the test tools, then ruff, pytest tests/ and nbval over every notebook
#   make execute  re-run every notebook top to bottom, in place
#   make results  recompute every stored result table into a new folder
#   make bench    the speed benchmarks
#   make e2e      only the browser test (JupyterLab + headless Chromium)
#   make site     the reading site in build/site/ (+ requirements-site.txt)
#   make compat   every notebook under Python 3.13 with Colab's versions (.venv-colab), timed
#   make canary   every notebook on the newest release of every dependency (fresh .venv-canary)
#   make readme   refresh the README's table of notebook links
#   make student  student versions of the notebooks (no solutions) in build/student/
#   make grade    grade handed-in notebooks: make grade SUBMISSIONS=folder (CSV beside them)
#   make clean    remove build artefacts (never logs/ or results)

VENV ?= .venv
PYTHON ?= python3
# Extra JupyterLab options, e.g. make lab LAB_ARGS="--no-browser --port=8899"
LAB_ARGS ?=
# The first working Python $(1) (e.g. 3.13): python$(1) on PATH if it runs (a pyenv shim may be
# there and not run), else pyenv's newest $(1).x (`pyenv root`, or ~/.pyenv), else the bare name.
first_python = $(firstword $(foreach p,python$(1) $(lastword $(sort $(wildcard \
  $(or $(shell pyenv root 2>/dev/null),$(HOME)/.pyenv)/versions/$(1).*/bin/python$(1)))),$(if \
  $(shell $(p) -c 'import sys; sys.exit("%d.%d" % sys.version_info[:2] != "$(1)")' 2>/dev/null \
  && echo y),$(p))) python$(1))
# The compatibility tier's Python 3.13 and environment (make compat); searched once, only when
# make compat needs it (.ci/run finds one first and passes it).
PYTHON313 ?= $(eval PYTHON313 := $(call first_python,3.13))$(PYTHON313)
COMPAT_VENV ?= .venv-colab
# Extra options of scripts/compat_run.py, e.g. COMPAT_ARGS="notebooks/0[1-5]_*.ipynb --budget 120"
COMPAT_ARGS ?=
# Notebooks make compat runs at once (each in its own kernel); 2 fits a 2-core machine.
COMPAT_JOBS ?= 2
# The canary (make canary): the newest Python the course supports, where the newest releases of
# its dependencies install (some drop the oldest Pythons first); its venv, made afresh each run;
# its report folder; extra options of scripts/compat_run.py, as COMPAT_ARGS.
CANARY_PYTHON ?= $(PYTHON313)
CANARY_VENV ?= .venv-canary
CANARY_DIR ?= build/canary
CANARY_ARGS ?=
# What running the notebooks needs beyond the course package: a kernel and the notebook client.
CANARY_TOOLS := ipykernel nbclient nbformat

BIN := $(VENV)/bin
VPY := $(BIN)/python
# Two stamps: `make lab` installs only what the notebooks need; `make test` adds the test tools.
LAB_STAMP := $(VENV)/.installed-lab
DEV_STAMP := $(VENV)/.installed-dev
COMPAT_STAMP := $(COMPAT_VENV)/.installed

# The supported Pythons: 3.11, 3.12 and 3.13 (TensorFlow has no wheels for 3.14 yet).
SUPPORTED := 3.11, 3.12 or 3.13
PY_OK := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))

# Identical, quiet TensorFlow everywhere; an empty MPLBACKEND lets the kernels use the inline backend
# (`env -u` because MPLBACKEND=Agg would change a figure's output under nbval).
TF_ENV := env -u MPLBACKEND TF_CPP_MIN_LOG_LEVEL=3 TF_ENABLE_ONEDNN_OPTS=0
# make test runs two pytest processes (pytest-xdist); each test file or notebook stays in one
# process, so a notebook's cells run in order in one kernel; the files go longest first
# (tests/conftest.py, from tests/durations.json), not xdist's default most-tests-first. TEST_WORKERS=0 runs them all in one.
TEST_WORKERS ?= 2
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.DEFAULT_GOAL := help
.PHONY: help install install-dev lab test execute results bench e2e compat compat-install canary site readme clean student grade

help:
	@sed -n 's/^#   //p' Makefile

install: $(LAB_STAMP)

install-dev: $(DEV_STAMP)

# What the notebooks need: the pins of requirements.txt and the course package (editable).
# Re-runs when the pins or the package definition change.
$(LAB_STAMP): requirements.txt pyproject.toml
	@if [ ! -x $(VPY) ]; then \
	  $(PYTHON) -c '$(PY_OK)' 2>/dev/null || { \
	    echo "error: the course supports Python $(SUPPORTED), but '$(PYTHON)' is" \
	         "$$(command -v $(PYTHON) >/dev/null && $(PYTHON) --version 2>&1 || echo 'not found')."; \
	    echo "       Install one of them and run: make PYTHON=python3.13 $(or $(MAKECMDGOALS),install)"; \
	    exit 1; }; \
	  echo "Creating $(VENV) with $$($(PYTHON) --version)"; \
	  $(PYTHON) -m venv $(VENV); \
	fi
	@$(VPY) -c '$(PY_OK)' || { \
	  echo "error: $(VENV) runs $$($(VPY) --version 2>&1); the course supports Python $(SUPPORTED)."; \
	  echo "       Remove $(VENV) and run make again (with PYTHON=python3.13, say)."; \
	  exit 1; }
	$(VPY) -m pip install -r requirements.txt
	$(VPY) -m pip install --no-deps -e .
	@touch $@

# The test tools on top (nbval, pytest, ruff, playwright): for make test and the author targets.
$(DEV_STAMP): $(LAB_STAMP) requirements-dev.txt
	$(VPY) -m pip install -r requirements-dev.txt
	@touch $@

# JupyterLab with the whole repository browsable (helpers/ too), opened on notebooks/.
# As root (a container, a cloud VM) JupyterLab refuses to start without --allow-root: added, and said.
lab: install
	@mkdir -p notebooks
	@if [ "$$(id -u)" = 0 ]; then \
	  echo "Running as root: adding --allow-root (JupyterLab refuses root without it)."; \
	  root_flag=--allow-root; \
	else root_flag=; fi; \
	set -x; \
	$(TF_ENV) $(BIN)/jupyter lab --ip=127.0.0.1 --ServerApp.root_dir=. \
	  --LabApp.default_url=/lab/tree/notebooks $$root_flag $(LAB_ARGS)

# One pytest run: the repository tests and nbval over every notebook. With no notebooks yet
# (or no notebooks/ folder, which git does not keep empty) tests/ alone still runs, so pytest
# never stops on "no tests collected"; any real failure still fails the target.
# The browser test (tests/e2e) is part of it: it runs where Chromium is installed, is reported
# as skipped (saying why) where it is not, and fails when CI=true and Chromium is missing.
test: install-dev
	$(BIN)/ruff check .
	$(TF_ENV) $(VPY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=30 tests/ $(wildcard notebooks) $(NBVAL)

execute: install-dev
	$(TF_ENV) $(VPY) scripts/execute_notebooks.py

# Every table of helpers/results trained again from scratch, written to
# helpers/results/recomputed-<date>/ and compared with the stored one; nothing is overwritten.
results: install-dev
	$(TF_ENV) $(VPY) scripts/make_results.py

bench: install-dev
	$(TF_ENV) $(VPY) benchmarks/run.py

# Only the browser tests: JupyterLab + headless Chromium (Debian's /usr/bin/chromium, driven by
# Playwright; no browser download). Screenshots go to build/e2e/, one name per run.
e2e: install-dev
	$(TF_ENV) $(VPY) -m pytest tests/e2e -m e2e -rs

readme: install-dev
	$(VPY) scripts/update_readme.py

# Teachers: student versions (solutions removed, checks kept) into a new build/student/, and the
# grader: every handed-in notebook run top to bottom, one CSV row per student and exercise.
student: install
	$(VPY) scripts/student.py

grade: install
	@test -n "$(SUBMISSIONS)" || { echo "error: name the folder: make grade SUBMISSIONS=path/to/folder"; exit 2; }
	$(TF_ENV) $(VPY) scripts/grade.py $(SUBMISSIONS)

# Compatibility tier: Colab's versions on Python 3.13 in their own venv (.venv-colab), the course
# package installed as Colab installs it (from a build, not editable, with its package data), then
# every notebook top to bottom: no error, nothing on stderr, each within its budget (120 s).
$(COMPAT_STAMP): requirements-colab.txt pyproject.toml
	@command -v $(PYTHON313) >/dev/null 2>&1 || { \
	  echo "error: make compat needs Python 3.13, and PYTHON313=$(PYTHON313) was not found."; \
	  echo "       Install Python 3.13 and run: make compat PYTHON313=/path/to/python3.13"; \
	  exit 1; }
	@$(PYTHON313) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' || { \
	  echo "error: make compat needs Python 3.13 (Colab's), but PYTHON313=$(PYTHON313) is" \
	       "$$($(PYTHON313) --version 2>&1)."; \
	  exit 1; }
	@if [ ! -x $(COMPAT_VENV)/bin/python ]; then \
	  echo "Creating $(COMPAT_VENV) with $$($(PYTHON313) --version)"; \
	  $(PYTHON313) -m venv $(COMPAT_VENV); \
	fi
	$(COMPAT_VENV)/bin/python -m pip install -r requirements-colab.txt
	@touch $@

# Only the compatibility venv (.ci/run installs it while the site builds: each uses one core).
compat-install: $(COMPAT_STAMP)

compat: $(COMPAT_STAMP)
	$(COMPAT_VENV)/bin/python -m pip install -q --no-deps --force-reinstall .
	$(COMPAT_VENV)/bin/python scripts/compat_run.py --jobs $(COMPAT_JOBS) $(COMPAT_ARGS)

# Canary tier: will the next releases break the course? A fresh venv (.venv-canary, removed and
# made again each run) gets the newest release of every dependency, unpinned, by the install a
# learner types: the course package (built, not editable, with its package data) and its `tf`
# extra, plus the kernel tools; then every notebook runs as in make compat. The report (versions,
# per notebook clean/error/stderr and time) goes to $(CANARY_DIR)/report.md, pip freeze beside it.
# Not part of make test or .ci/run: a release nobody here controls must not block a submission;
# .github/workflows/canary.yml runs it weekly and opens an issue when it fails.
canary:
	@$(CANARY_PYTHON) -c '$(PY_OK)' 2>/dev/null || { \
	  echo "error: make canary needs Python $(SUPPORTED), but CANARY_PYTHON=$(CANARY_PYTHON) is" \
	       "$$($(CANARY_PYTHON) --version 2>&1 || echo 'not found')."; \
	  echo "       Run: make canary CANARY_PYTHON=/path/to/python3.13"; \
	  exit 1; }
	rm -rf $(CANARY_VENV) $(CANARY_DIR)
	$(CANARY_PYTHON) -m venv $(CANARY_VENV)
	$(CANARY_VENV)/bin/python -m pip install -q --upgrade pip
	$(CANARY_VENV)/bin/python -m pip install --upgrade ".[tf]" $(CANARY_TOOLS)
	@mkdir -p $(CANARY_DIR)
	$(CANARY_VENV)/bin/python -m pip freeze --all > $(CANARY_DIR)/pip-freeze.txt
	$(CANARY_VENV)/bin/python scripts/compat_run.py --title "Canary: the newest releases" --deprecations \
	  --report $(CANARY_DIR)/report.md $(CANARY_ARGS)

# Build artefacts only: never logs/ or results.
clean:
	rm -rf build/ dist/ *.egg-info .pytest_cache .ruff_cache
	find . \( -path ./$(VENV) -o -path ./$(COMPAT_VENV) -o -path ./$(CANARY_VENV) \) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	find . \( -path ./$(VENV) -o -path ./$(COMPAT_VENV) -o -path ./$(CANARY_VENV) \) -prune -o -name .ipynb_checkpoints -type d -prune -exec rm -rf {} +

# The reading site (Sphinx + MyST-NB, configured in site/): the committed notebooks as web pages,
# in build/site/ (index.html). Nothing is executed or downloaded; a Sphinx warning fails it. Its
# tools (requirements-site.txt) go into the same .venv, resolved together with the course's pins.
# tests/e2e/test_site.py checks the pages in headless Chromium (part of make test).
SITE_STAMP := $(VENV)/.site-installed

$(SITE_STAMP): requirements-site.txt $(DEV_STAMP)
	$(VPY) -m pip install -r requirements-dev.txt -r requirements-site.txt
	@touch $@

site: install-dev $(SITE_STAMP)
	$(VPY) scripts/build_site.py build/site
