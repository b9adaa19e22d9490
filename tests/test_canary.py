"""The canary tier (make canary) and its weekly workflow (.github/workflows/canary.yml), as files.

The canary itself downloads the newest TensorFlow and runs every notebook (about 20 minutes); it
is run by hand and by the workflow, never by the tests. These check that the Makefile target
installs what a learner installs, unpinned and afresh, and reports; that the workflow runs that
target on a schedule, keeps the report and opens or updates an issue when it fails; and that
neither make test nor .ci/run runs it.
"""

from __future__ import annotations

import re
import shlex

import pytest
import yaml
from nbchecks import REPO

WORKFLOW = REPO / ".github" / "workflows" / "canary.yml"


def _makefile() -> str:
    return (REPO / "Makefile").read_text(encoding="utf-8")


def _recipe(target: str) -> str:
    m = re.search(rf"^{re.escape(target)}\s*:(?!=)(.*?)(?=^\s*$)", _makefile(),
                  re.MULTILINE | re.DOTALL)
    assert m, f"Makefile has no rule {target}"
    return m.group(1)


def _variable(name: str) -> str:
    m = re.search(rf"^{name} \?= (.+)$", _makefile(), re.MULTILINE)
    assert m, f"Makefile does not set {name}"
    return m.group(1).strip()


@pytest.fixture(scope="module")
def workflow() -> dict:
    with open(WORKFLOW, encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module")
def steps(workflow) -> list[dict]:
    jobs = workflow["jobs"]
    assert list(jobs) == ["canary"], jobs
    return jobs["canary"]["steps"]


def _step(steps: list[dict], predicate) -> dict:
    found = [s for s in steps if predicate(s)]
    assert len(found) == 1, found
    return found[0]


# ---------------------------------------------------------------------------------------------
# make canary


def test_make_canary_builds_a_fresh_unpinned_environment_as_a_learner_installs():
    recipe = _recipe("canary")
    venv = _variable("CANARY_VENV")
    assert venv == ".venv-canary"
    # Afresh each run: the old venv is removed, then made with the canary's Python.
    assert "rm -rf $(CANARY_VENV)" in recipe
    assert "$(CANARY_PYTHON) -m venv $(CANARY_VENV)" in recipe
    assert _variable("CANARY_PYTHON") == "$(PYTHON313)"
    installs = [ln.strip() for ln in recipe.splitlines() if "pip install" in ln]
    package = [ln for ln in installs if '".[tf]"' in ln]
    assert len(package) == 1, installs
    words = shlex.split(package[0])
    # Built from the checkout (not editable), with its tf extra, the newest of everything.
    assert "--upgrade" in words and ".[tf]" in words
    assert not {"-e", "--editable", "--no-deps"} & set(words)
    # Nothing pinned: no requirements file, no constraint, no ==.
    assert not re.search(r"(-r|-c|--requirement|--constraint)\s|==", "\n".join(installs))
    for tool in ("ipykernel", "nbclient", "nbformat"):
        assert re.search(rf"^CANARY_TOOLS := .*\b{tool}\b", _makefile(), re.MULTILINE), tool
    assert "$(CANARY_TOOLS)" in package[0]


def test_make_canary_runs_every_notebook_with_the_compat_runner_and_writes_a_report():
    recipe = _recipe("canary")
    runs = re.findall(r"\$\(CANARY_VENV\)/bin/python scripts/compat_run\.py(.*?)(?<!\\)$",
                      recipe, re.MULTILINE | re.DOTALL)
    assert len(runs) == 1, recipe
    args = runs[0]
    assert "--report $(CANARY_DIR)/report.md" in args and "--title" in args
    # Deprecations raised from the helpers count too: the next release's break, heard early.
    assert "--deprecations" in args
    assert "$(CANARY_ARGS)" in args
    assert "pip freeze" in recipe and "$(CANARY_DIR)/pip-freeze.txt" in recipe
    assert _variable("CANARY_DIR") == "build/canary"
    # Its Python is checked against the supported range, saying what to do.
    assert "$(PY_OK)" in recipe and "$(SUPPORTED)" in recipe and "CANARY_PYTHON=" in recipe
    assert re.search(r"^\.PHONY:.*\bcanary\b", _makefile(), re.MULTILINE)
    assert re.search(r"^#   make canary ", _makefile(), re.MULTILINE), "make help must list it"


def test_the_canary_never_blocks_a_submission():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    commands = [ln for ln in ci.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert not any("canary" in ln for ln in commands), "the canary must not be part of .ci/run"
    for target in ("test", "install", "install-dev", "compat"):
        assert "canary" not in _recipe(target), f"make {target} must not run the canary"


# ---------------------------------------------------------------------------------------------
# .github/workflows/canary.yml


def test_workflow_runs_weekly_and_by_hand(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert set(triggers) == {"schedule", "workflow_dispatch"}, triggers
    (schedule,) = triggers["schedule"]
    fields = schedule["cron"].split()
    assert len(fields) == 5, schedule
    minute, hour, day, month, weekday = fields
    # Once a week: a fixed minute, hour and weekday, every week of every month.
    assert minute.isdigit() and hour.isdigit() and weekday.isdigit(), fields
    assert (day, month) == ("*", "*") and 0 <= int(weekday) <= 6


def test_workflow_may_write_issues_and_nothing_else(workflow):
    assert workflow["permissions"] == {"contents": "read", "issues": "write"}


def test_workflow_runs_the_makefile_target_on_a_supported_python(steps):
    setup = _step(steps, lambda s: str(s.get("uses", "")).startswith("actions/setup-python@"))
    assert setup["with"]["python-version"] == "3.13"
    run = _step(steps, lambda s: "make " in s.get("run", ""))
    assert "if" not in run, "the canary step itself runs unconditionally"
    words = shlex.split(run["run"])
    # Exactly the Makefile's target: `make canary`, at most choosing the Python it uses.
    assert words[:2] == ["make", "canary"], words
    assert all(w.startswith("CANARY_PYTHON=") for w in words[2:]), words
    assert "${{ steps.python.outputs.python-path }}" in run["run"]
    assert steps.index(setup) < steps.index(run)
    assert str(steps[0].get("uses", "")).startswith("actions/checkout@")


def test_workflow_keeps_the_report_even_when_the_canary_fails(steps):
    upload = _step(steps, lambda s: str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload.get("if") == "always()"
    assert upload["with"]["path"].rstrip("/") == _variable("CANARY_DIR")


def test_workflow_opens_or_updates_an_issue_when_the_canary_fails(workflow, steps):
    title = workflow["env"]["CANARY_ISSUE_TITLE"]
    assert "canary" in title.lower()
    issue = _step(steps, lambda s: s.get("if") == "failure()")
    script = issue["run"]
    assert issue["env"]["GH_TOKEN"] == "${{ github.token }}"
    assert issue["env"]["GH_REPO"] == "${{ github.repository }}"
    # The open issue with the canary's exact title is updated; otherwise one is opened.
    assert "gh issue list --state open" in script and "env.CANARY_ISSUE_TITLE" in script
    assert 'gh issue comment "$number"' in script
    assert 'gh issue create --title "$CANARY_ISSUE_TITLE"' in script
    # Its body is the report (or says the run stopped before it), with a link to the run.
    assert "build/canary/report.md" in script and "$RUN_URL" in script
    assert _variable("CANARY_DIR") + "/report.md" in script
    # A passing run closes the open issue again.
    close = _step(steps, lambda s: s.get("if") == "success()")
    assert 'gh issue close "$number"' in close["run"]
    assert steps.index(issue) > steps.index(_step(steps, lambda s: "make " in s.get("run", "")))


def test_workflow_has_a_time_limit(workflow):
    minutes = workflow["jobs"]["canary"]["timeout-minutes"]
    assert 30 <= minutes <= 120, minutes
