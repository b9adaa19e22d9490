"""The repository's setup files agree: pins, package metadata, Makefile, CI and README."""

from __future__ import annotations

import ast
import os
import re
import sys
import tomllib

import pytest
import yaml
from nbchecks import NOTEBOOKS, REPO, binder_url, colab_url, github_slug, repository_url
from nbval.plugin import get_sanitize_patterns
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name


def _pins(lines) -> set[str]:
    """Normalized requirements ("name==1.0; marker") of requirement lines; comments skipped."""
    pins = set()
    for raw in lines:
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line or line.startswith("-"):
            continue
        req = Requirement(line)
        marker = f"; {req.marker}" if req.marker else ""
        pins.add(f"{canonicalize_name(req.name)}{req.specifier}{marker}")
    return pins


def _pyproject() -> dict:
    with open(REPO / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def _environment() -> dict:
    with open(REPO / "environment.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def _readme() -> str:
    return (REPO / "README.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Pins: requirements.txt (local, CI) and environment.yml (Binder)


def test_requirements_pin_every_package_exactly():
    pins = _pins((REPO / "requirements.txt").read_text(encoding="utf-8").splitlines())
    assert pins, "requirements.txt lists no package"
    loose = [p for p in pins if not re.search(r"==\d", p)]
    assert not loose, f"requirements.txt must pin with ==: {loose}"


def test_environment_yml_has_the_same_pins_as_requirements_txt():
    env = _environment()
    assert env.get("channels") == ["conda-forge"], "environment.yml: channels must be [conda-forge]"
    deps = env["dependencies"]
    assert "python=3.11" in deps, "environment.yml must ask for python=3.11"
    assert "pip" in deps, "environment.yml must list pip"
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml needs exactly one `pip:` section"
    env_pins = _pins(pip_sections[0])
    req_pins = _pins((REPO / "requirements.txt").read_text(encoding="utf-8").splitlines())
    only_req = sorted(req_pins - env_pins)
    only_env = sorted(env_pins - req_pins)
    assert not (only_req or only_env), (
        "requirements.txt and environment.yml (pip:) must list the same pins\n"
        + "".join(f"  - only in requirements.txt: {p}\n" for p in only_req)
        + "".join(f"  + only in environment.yml:  {p}\n" for p in only_env)
    )


def test_dev_requirements_include_the_course_pins():
    lines = (REPO / "requirements-dev.txt").read_text(encoding="utf-8").splitlines()
    assert "-r requirements.txt" in [ln.strip() for ln in lines]
    for name in ("nbval", "pytest", "ruff"):
        assert any(p.startswith(f"{name}==") for p in _pins(lines)), f"{name} is not pinned"


def test_binder_installs_helpers_in_postbuild():
    post = REPO / "postBuild"
    assert os.access(post, os.X_OK), "postBuild must be executable"
    text = post.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/bash")
    assert re.search(r"^pip install .*--no-deps.* (-e )?\.\s*$", text, re.MULTILINE)


# ---------------------------------------------------------------------------------------------
# pyproject.toml


def test_pyproject_describes_the_helpers_package():
    project = _pyproject()["project"]
    assert project["name"] == "helpers"
    assert project["version"] == "0.1.0"
    assert project["requires-python"] == ">=3.11"
    assert "3.11" in SpecifierSet(project["requires-python"])
    for dep in project["dependencies"]:
        Requirement(dep)  # raises InvalidRequirement for a malformed entry
    find = _pyproject()["tool"]["setuptools"]["packages"]["find"]
    assert set(find["include"]) == {"helpers", "helpers.*"}


def test_pyproject_leaves_tensorflow_to_the_platform():
    """On Colab, installing helpers must not replace Colab's own TensorFlow/Keras."""
    project = _pyproject()["project"]
    names = {canonicalize_name(Requirement(d).name) for d in project["dependencies"]}
    assert not names & {"tensorflow", "tensorflow-cpu", "keras", "tf-keras"}, names
    extra = {canonicalize_name(Requirement(d).name) for d in project["optional-dependencies"]["tf"]}
    assert extra == {"tensorflow", "keras"}


def test_pyproject_covers_what_helpers_import():
    """Every third-party import in helpers/ comes from a dependency (or the `tf` extra)."""
    project = _pyproject()["project"]
    declared = {canonicalize_name(Requirement(d).name) for d in project["dependencies"]}
    declared |= {"tensorflow", "keras"}
    provider = {"sklearn": "scikit-learn", "IPython": "ipywidgets", "tensorboard": "tensorflow"}
    missing = {}
    for path in sorted((REPO / "helpers").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                mods = [node.module]
            else:
                continue
            for mod in mods:
                top = mod.split(".")[0]
                if top in sys.stdlib_module_names or top in {"helpers", "__future__"}:
                    continue
                dist = canonicalize_name(provider.get(top, top))
                if dist not in declared:
                    missing.setdefault(top, []).append(str(path.relative_to(REPO)))
    assert not missing, f"imports not covered by pyproject dependencies: {missing}"


def test_repository_url_is_github():
    url = repository_url()
    assert github_slug(url), url  # raises for anything but https://github.com/<owner>/<repo>


# ---------------------------------------------------------------------------------------------
# Makefile, CI, README


def test_makefile_has_the_documented_targets():
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, re.MULTILINE))
    missing = {"install", "lab", "test", "execute", "bench", "e2e", "clean"} - targets
    assert not missing, f"Makefile lacks targets {missing}"
    assert "--ServerApp.root_dir=notebooks" in text and "--ip=127.0.0.1" in text
    assert "--nbval-sanitize-with tests/nbval_sanitize.cfg" in text
    assert "--nbval-current-env" in text


def _readme_test_command() -> str:
    """The single line in the fenced block under README's `## Tests` heading."""
    m = re.search(r"^## Tests\s*$(.*?)(?=^## |\Z)", _readme(), re.MULTILINE | re.DOTALL)
    assert m, "README.md needs a `## Tests` section"
    block = re.search(r"^```[a-z]*\n(.*?)^```", m.group(1), re.MULTILINE | re.DOTALL)
    assert block, "README.md `## Tests` needs a fenced block holding the test command"
    lines = [ln.strip() for ln in block.group(1).splitlines() if ln.strip()]
    assert len(lines) == 1, f"the Tests block must hold exactly one command, found {lines}"
    return lines[0]


def test_ci_runs_exactly_the_readme_test_command():
    ci = REPO / ".ci" / "run"
    assert os.access(ci, os.X_OK), ".ci/run must be executable"
    text = ci.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash") or text.startswith("#!/bin/bash")
    assert re.search(r"^set -euo pipefail$", text, re.MULTILINE)
    command = _readme_test_command()
    assert command == "make test"
    commands = [ln.strip() for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    assert command in commands, f".ci/run must run `{command}` (README's test command) as a line"


def test_readme_points_at_the_repository():
    url = repository_url()
    readme = _readme()
    assert f"git clone {url}" in readme, "README's `git clone` must use the Repository URL"
    assert f"({binder_url(url, 'lab/tree/notebooks')})" in readme, "README needs the Binder badge"
    assert "make lab" in readme


def test_readme_links_every_notebook():
    """Run `make readme` (scripts/update_readme.py) after adding or renaming a notebook."""
    url = repository_url()
    readme = _readme()
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    unlisted = [n for n in names if colab_url(url, n) not in readme]
    prefix = colab_url(url, "")
    dangling = sorted(set(re.findall(re.escape(prefix) + r"([\w.-]+\.ipynb)", readme)) - set(names))
    assert not (unlisted or dangling), (
        f"README.md is out of date: notebooks without a Colab link {unlisted}, "
        f"links to missing notebooks {dangling}. Run `make readme`."
    )


# ---------------------------------------------------------------------------------------------
# nbval's sanitize file


def _sanitize(text: str) -> str:
    rules = (REPO / "tests" / "nbval_sanitize.cfg").read_text(encoding="utf-8")
    for regex, replace in get_sanitize_patterns(rules):
        text = re.sub(regex, replace, text)
    return text


@pytest.mark.parametrize(
    "a, b",
    [
        ("<Model at 0x7f3a2b1c9d40>", "<Model at 0x7f00deadbeef>"),
        ('File "/tmp/ipykernel_123/456.py", line 3', 'File "/tmp/ipykernel_9/88.py", line 3'),
        ("16/16 \x1b[1m0s\x1b[0m 2ms/step - accuracy: 0.8160",
         "16/16 \x1b[1m1s\x1b[0m 13ms/step - accuracy: 0.8160"),
        ("16/16 - 0s - 5ms/step - loss: 0.4", "16/16 - 2s - 100us/step - loss: 0.4"),
    ],
)
def test_sanitize_hides_volatile_text(a, b):
    assert _sanitize(a) == _sanitize(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("<Figure size 640x480 with 1 Axes>", "<Figure size 800x600 with 1 Axes>"),
        ("Train: 0.816, Test: 0.816", "Train: 0.817, Test: 0.816"),
        ("16/16 - 0s - 5ms/step - loss: 0.4", "16/16 - 0s - 5ms/step - loss: 0.5"),
    ],
)
def test_sanitize_keeps_results(a, b):
    assert _sanitize(a) != _sanitize(b)
