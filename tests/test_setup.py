"""The repository's setup files agree: pins, package metadata, Makefile, CI and README."""

from __future__ import annotations

import os
import re
import tomllib

import pytest
import yaml
from nbchecks import (
    NOTEBOOKS,
    REPO,
    binder_url,
    colab_url,
    distribution,
    github_slug,
    pip_spec,
    release_spec,
    repository_url,
)
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


# The test tools Binder and conda learners get too, so an edited notebook can be checked as CI does.
ENV_TEST_TOOLS = {"nbval", "pytest"}


def test_environment_yml_has_the_course_pins_and_the_test_tools():
    """environment.yml (Binder, conda) = requirements.txt's pins + nbval and pytest (dev pins)."""
    env = _environment()
    assert env.get("channels") == ["conda-forge"], "environment.yml: channels must be [conda-forge]"
    deps = env["dependencies"]
    assert "python=3.11" in deps, "environment.yml must ask for python=3.11"
    assert "pip" in deps, "environment.yml must list pip"
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml needs exactly one `pip:` section"
    env_pins = _pins(pip_sections[0])
    req_pins = _pins((REPO / "requirements.txt").read_text(encoding="utf-8").splitlines())
    dev_pins = _pins((REPO / "requirements-dev.txt").read_text(encoding="utf-8").splitlines())
    tools = {p for p in dev_pins if p.split("==")[0] in ENV_TEST_TOOLS}
    assert {p.split("==")[0] for p in tools} == ENV_TEST_TOOLS, "requirements-dev.txt lacks a tool"
    want = req_pins | tools
    only_want = sorted(want - env_pins)
    only_env = sorted(env_pins - want)
    assert not (only_want or only_env), (
        "environment.yml (pip:) must list requirements.txt's pins plus "
        f"{sorted(ENV_TEST_TOOLS)} pinned as in requirements-dev.txt\n"
        + "".join(f"  - missing from environment.yml: {p}\n" for p in only_want)
        + "".join(f"  + only in environment.yml:      {p}\n" for p in only_env)
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


def test_pyproject_describes_the_course_distribution():
    project = _pyproject()["project"]
    # PyPI's `helpers` is an unrelated package: the distribution has a name of its own.
    assert project["name"] == "vanishing-gradients-course"
    assert re.fullmatch(r"0\.\d+\.\d+", project["version"]), project["version"]
    assert project["requires-python"] == ">=3.11,<3.14"
    supported = SpecifierSet(project["requires-python"])
    assert all(v in supported for v in ("3.11", "3.12", "3.13"))
    assert not any(v in supported for v in ("3.10", "3.14"))
    classifiers = set(project["classifiers"])
    for v in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {v}" in classifiers
    for dep in project["dependencies"]:
        Requirement(dep)  # raises InvalidRequirement for a malformed entry
    tool = _pyproject()["tool"]["setuptools"]
    assert set(tool["packages"]["find"]["include"]) == {"helpers", "helpers.*"}
    # The stored result tables travel with the package (pip install from git brings them).
    assert {"results/*.csv", "results/*.json"} <= set(tool["package-data"]["helpers"])


def test_pyproject_leaves_tensorflow_to_the_platform():
    """On Colab, installing helpers must not replace Colab's own TensorFlow/Keras."""
    project = _pyproject()["project"]
    names = {canonicalize_name(Requirement(d).name) for d in project["dependencies"]}
    assert not names & {"tensorflow", "tensorflow-cpu", "keras", "tf-keras"}, names
    extra = {canonicalize_name(Requirement(d).name) for d in project["optional-dependencies"]["tf"]}
    # TensorBoard too: TensorFlow 2.21 no longer brings it, and tf.summary (notebook 05) needs it.
    assert extra == {"tensorflow", "tensorflow-cpu", "keras", "tensorboard"}


def _colab_pins() -> dict[str, str]:
    """name -> version of requirements-colab.txt (the marker-free view: one version a name)."""
    pins = {}
    for p in _pins((REPO / "requirements-colab.txt").read_text(encoding="utf-8").splitlines()):
        name, rest = p.split("==", 1)
        pins[name] = rest.split(";")[0].strip()
    return pins


def test_dependency_floors_accept_colabs_stack():
    """Installing the course on Colab must not upgrade anything Colab already has."""
    colab = _colab_pins()
    project = _pyproject()["project"]
    assert colab["ipywidgets"].startswith("7."), "the tier must keep Colab's ipywidgets 7"
    for dep in project["dependencies"]:
        req = Requirement(dep)
        name = canonicalize_name(req.name)
        assert name in colab, f"requirements-colab.txt does not pin {name}"
        assert req.specifier.contains(colab[name]), (
            f"pyproject's {dep!r} refuses Colab's {name} {colab[name]}"
        )
    assert SpecifierSet(project["requires-python"]).contains("3.13")
    for req in map(Requirement, project["optional-dependencies"]["tf"]):
        assert req.specifier.contains(colab[canonicalize_name(req.name)]), req


def test_colab_tier_pins_every_package_exactly():
    pins = _pins((REPO / "requirements-colab.txt").read_text(encoding="utf-8").splitlines())
    loose = [p for p in pins if not re.search(r"==\d", p)]
    assert not loose, f"requirements-colab.txt must pin with ==: {loose}"
    colab = _colab_pins()
    for name in ("keras", "numpy", "scikit-learn", "matplotlib", "ipywidgets", "nbclient",
                 "ipykernel"):
        assert name in colab, f"requirements-colab.txt lacks {name}"
    assert {"tensorflow", "tensorflow-cpu"} <= colab.keys()


def test_repository_url_is_github():
    url = repository_url()
    assert github_slug(url), url  # raises for anything but https://github.com/<owner>/<repo>


# ---------------------------------------------------------------------------------------------
# Makefile, CI, README


def _makefile() -> str:
    return (REPO / "Makefile").read_text(encoding="utf-8")


def _recipe(target: str) -> str:
    """The prerequisites line and recipe of one Makefile rule (up to the next blank line)."""
    m = re.search(rf"^{re.escape(target)}\s*:(?!=)(.*?)(?=^\s*$)", _makefile(),
                  re.MULTILINE | re.DOTALL)
    assert m, f"Makefile has no rule {target}"
    return m.group(1)


def test_makefile_has_the_documented_targets():
    text = _makefile()
    targets = set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, re.MULTILINE))
    missing = {"install", "lab", "test", "execute", "bench", "e2e", "compat", "clean"} - targets
    assert not missing, f"Makefile lacks targets {missing}"
    assert "--nbval-sanitize-with tests/nbval_sanitize.cfg" in text
    assert "--nbval-current-env" in text


def test_make_lab_opens_the_repository_on_notebooks_and_works_as_root():
    lab = _recipe("lab")
    # The whole repository is browsable (helpers/ too); JupyterLab opens on notebooks/.
    assert "--ServerApp.root_dir=. " in lab and "--LabApp.default_url=/lab/tree/notebooks" in lab
    assert "--ip=127.0.0.1" in lab
    # As root JupyterLab refuses to start without --allow-root: added, and said.
    assert re.search(r"id -u.*= 0", lab) and "--allow-root" in lab and "echo" in lab


def test_make_lab_installs_only_what_the_notebooks_need():
    """`make lab` must not install the test tools; `make test` must."""
    text = _makefile()
    stamps = dict(re.findall(r"^(\w+_STAMP) := (\S+)$", text, re.MULTILINE))
    lab_stamp, dev_stamp = stamps["LAB_STAMP"], stamps["DEV_STAMP"]
    assert lab_stamp != dev_stamp
    lab_rule = _recipe("$(LAB_STAMP)")
    assert "requirements.txt" in lab_rule and "requirements-dev.txt" not in lab_rule
    assert "pip install --no-deps -e ." in lab_rule
    assert "requirements-dev.txt" in _recipe("$(DEV_STAMP)")
    assert re.match(r"\s*install\s*$", _recipe("lab").splitlines()[0])
    assert re.match(r"\s*\$\(LAB_STAMP\)\s*$", _recipe("install").splitlines()[0])
    for target in ("test", "execute", "e2e"):
        assert "install-dev" in _recipe(target).splitlines()[0], target
    assert re.match(r"\s*\$\(DEV_STAMP\)\s*$", _recipe("install-dev").splitlines()[0])


def test_makefile_names_the_supported_python_range():
    text = _makefile()
    m = re.search(r"^PY_OK := (.+)$", text, re.MULTILINE)
    assert m, "Makefile needs PY_OK, the supported-Python check"
    check = m.group(1)
    assert "(3, 11)" in check and "(3, 14)" in check
    namespace: dict = {}
    for version, ok in [((3, 10, 9), False), ((3, 11, 0), True), ((3, 13, 0), True),
                        ((3, 14, 0), False)]:
        code = check.replace("import sys; ", "").replace("sys.version_info", repr(version))
        with pytest.raises(SystemExit) as exit_:
            exec(code.replace("sys.exit", "raise SystemExit"), namespace)
        assert (not exit_.value.code) == ok, (version, code)
    assert "SUPPORTED := 3.11, 3.12 or 3.13" in text
    assert text.count("$(SUPPORTED)") >= 2, "both refusals must name the supported range"


def test_make_compat_runs_every_notebook_under_colabs_versions():
    text = _makefile()
    assert re.search(r"^PYTHON313 \?= .*3\.13", text, re.MULTILINE)
    stamp = _recipe("$(COMPAT_STAMP)")
    assert "requirements-colab.txt" in stamp and "not found" in stamp
    assert "sys.version_info[:2] != (3, 13)" in stamp
    compat = _recipe("compat")
    assert "--no-deps" in compat and "scripts/compat_run.py" in compat


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
    # The compatibility tier (Colab's versions) runs after the test command.
    assert "make compat" in commands, ".ci/run must run `make compat`"
    assert commands.index("make compat") > commands.index(command)


def test_readme_points_at_the_repository():
    url = repository_url()
    readme = _readme()
    assert f"git clone {url}" in readme, "README's `git clone` must use the Repository URL"
    assert f"({binder_url(url, 'lab/tree/notebooks')})" in readme, "README needs the Binder badge"
    assert "make lab" in readme


def test_readme_installs_the_distribution_of_main():
    """Every `pip install "... @ git+..."` in the README names the distribution and `@main`
    (what the notebooks on main install); a PyPI install names the distribution too."""
    name, version = distribution()
    readme = _readme()
    spec = pip_spec(repository_url())
    assert spec == f"{name} @ git+{repository_url()}@main"
    installs = re.findall(r'pip install[^"`\n]*"([^"]+)"', readme)
    assert any(i == spec for i in installs), f"README needs pip install \"{spec}\""
    wrong = [i for i in installs if "git+" in i and i != spec and i != spec.replace(" @", "[tf] @")]
    assert not wrong, f"README installs something else than {spec!r}: {wrong}"
    pypi = [i for i in installs if "git+" not in i and not i.startswith(".")]  # . = this checkout
    assert pypi, "README must say what a release's notebooks install (from PyPI)"
    assert all(re.fullmatch(rf"{name}(\[tf\])?==\S+", i) for i in pypi), pypi
    assert not re.search(r"pip install\s+\S*[\"']?helpers\b", readme), (
        "README must not `pip install helpers` (PyPI's helpers is an unrelated package)"
    )
    assert "Python 3.11, 3.12 or 3.13" in readme


def test_setup_cell_install_line_is_the_leads():
    """The notebooks' install lines, as tests/nbchecks.py builds them from pyproject.toml."""
    url = "https://github.com/vanishing-gradients-course/vanishing-gradients"
    assert pip_spec(repository_url()) == f"vanishing-gradients-course @ git+{url}@main"
    assert release_spec() == f"vanishing-gradients-course=={distribution()[1]}"


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


def test_make_test_shares_files_not_cells_between_its_processes():
    """make test runs two pytest-xdist processes; `--dist loadfile` keeps every test file and
    every notebook in one process, so a notebook's cells run in order in one kernel."""
    recipe = _recipe("test")
    pattern = (r"-m pytest -n \$\(TEST_WORKERS\) --dist loadfile --no-loadscope-reorder "
               r"(--durations=\d+ )?tests/")
    assert re.search(pattern, recipe), recipe
    assert re.search(r"^TEST_WORKERS \?= 2$", _makefile(), re.MULTILINE)
    dev = (REPO / "requirements-dev.txt").read_text(encoding="utf-8")
    assert re.search(r"^pytest-xdist==\d", dev, re.MULTILINE), "pytest-xdist must be pinned"


def test_make_test_takes_the_longest_files_first():
    """The two processes take files in collection order (--no-loadscope-reorder): conftest puts
    the longest first by tests/durations.json, each file's tests in their order; every file
    that list names exists (a renamed file would silently go last)."""
    from types import SimpleNamespace

    from conftest import DURATIONS, pytest_collection_modifyitems

    assert not [f for f in DURATIONS if not (REPO / f).is_file()], "stale names in durations.json"
    short, long = min(DURATIONS, key=DURATIONS.get), max(DURATIONS, key=DURATIONS.get)
    ids = [f"{short}::a", "tests/unlisted.py::b", f"{long}::c", f"{short}::d", f"{long}::e"]
    items = [SimpleNamespace(nodeid=i) for i in ids]
    pytest_collection_modifyitems(items)
    assert [i.nodeid for i in items] == [ids[2], ids[4], ids[0], ids[3], ids[1]]
