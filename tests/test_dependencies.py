"""What the notebooks and helpers import is what the course declares and pins.

A learner's fresh environment gets only what `pyproject.toml` declares (`pip install
"vanishing-gradients-course[tf]"`) or what `requirements.txt` pins (`make lab`, Binder). Every
`import x` / `from x import` in the notebooks' code cells and in helpers/*.py is mapped to the
distribution that provides it (in this environment), and that distribution must be declared in
pyproject (its dependencies or the `tf` extra) and pinned in requirements.txt. A few packages
are needed without being imported (TensorBoard behind `tf.summary`): NEEDED_BY_USE lists them.

The scripts/ folder is left out: those are the authors' tools (make execute, compat, site),
installed by requirements-dev.txt and requirements-site.txt, never by a learner.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from nbchecks import NOTEBOOKS, REPO
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# The course's own package: provided by the checkout, not by a dependency.
OWN = {"helpers"}
# Packages a use needs though nothing imports them: (module, attribute) -> distribution.
# tf.summary writes through TensorBoard, which TensorFlow 2.21 no longer installs.
NEEDED_BY_USE = {("tensorflow", "summary"): "tensorboard"}


def sources() -> dict[str, str]:
    """Python source of every notebook code cell (IPython magics turned into Python, as the
    kernel does) and every helpers/*.py, by a name saying where it comes from."""
    transform = TransformerManager().transform_cell
    found = {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                found[f"{path.name} cell {index + 1}"] = transform(cell.source)
    for path in sorted((REPO / "helpers").rglob("*.py")):
        found[str(path.relative_to(REPO))] = path.read_text(encoding="utf-8")
    return found


def third_party_uses(source: str) -> set[str]:
    """Top-level third-party modules ``source`` imports, and "module.attribute" for each use
    in NEEDED_BY_USE (``tf.summary...`` after ``import tensorflow as tf``). Standard-library,
    relative and the course's own imports are left out."""
    tree = ast.parse(source)
    found, aliases = set(), {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name.split(".")[0])
                if alias.asname or "." not in alias.name:
                    aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
            for alias in node.names:
                if (node.module, alias.name) in NEEDED_BY_USE:
                    found.add(f"{node.module}.{alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = aliases.get(node.value.id)
            if (module, node.attr) in NEEDED_BY_USE:
                found.add(f"{module}.{node.attr}")
    return {m for m in found
            if m.split(".")[0] not in sys.stdlib_module_names | OWN | {"__future__"}}


@functools.cache
def _providers() -> dict[str, list[str]]:
    return packages_distributions()  # scans every installed distribution: once


def distributions_of(uses: set[str]) -> dict[str, tuple[str, ...]]:
    """use -> the canonical names of the distributions providing it in this environment; a
    module no installed distribution provides maps to () (it cannot be declared either)."""
    providers = _providers()
    found = {}
    for use in uses:
        module, _, attribute = use.partition(".")
        if attribute:
            found[use] = (NEEDED_BY_USE[(module, attribute)],)
        else:
            found[use] = tuple(sorted({canonicalize_name(d) for d in providers.get(module, [])}))
    return found


def declared_in_pyproject() -> set[str]:
    with open(REPO / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    lines = project["dependencies"] + project["optional-dependencies"]["tf"]
    return {canonicalize_name(Requirement(line).name) for line in lines}


def pinned_in(filename: str) -> dict[str, str]:
    """name -> pinned version, for every `name==version` line of a requirements file."""
    pins = {}
    for raw in (REPO / filename).read_text(encoding="utf-8").splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if line and not line.startswith("-"):
            req = Requirement(line)
            pins[canonicalize_name(req.name)] = str(req.specifier)
    return pins


def undeclared(uses_by_source: dict[str, set[str]], declared: set[str]) -> dict[str, list[str]]:
    """"use (distribution)" -> the sources using it, for each use whose distribution is not in
    ``declared`` (or that no installed distribution provides)."""
    dist = distributions_of(set().union(*uses_by_source.values()) if uses_by_source else set())
    missing: dict[str, list[str]] = {}
    for where, uses in uses_by_source.items():
        for use in sorted(uses):
            if not set(dist[use]) & declared:
                name = " or ".join(dist[use]) or "no installed distribution"
                missing.setdefault(f"{use} ({name})", []).append(where)
    return missing


@pytest.fixture(scope="module")
def uses_by_source() -> dict[str, set[str]]:
    return {where: third_party_uses(src) for where, src in sources().items()}


def test_what_notebooks_and_helpers_import_is_declared_in_pyproject(uses_by_source):
    missing = undeclared(uses_by_source, declared_in_pyproject())
    assert not missing, (
        "pyproject.toml (dependencies or the tf extra) does not declare what these use; a fresh "
        f"`pip install \"vanishing-gradients-course[tf]\"` would lack it: {missing}"
    )


def test_what_notebooks_and_helpers_import_is_pinned_in_requirements(uses_by_source):
    missing = undeclared(uses_by_source, set(pinned_in("requirements.txt")))
    assert not missing, f"requirements.txt does not pin what these use: {missing}"


def test_every_declared_dependency_is_pinned_for_local_and_colab_runs():
    """requirements.txt (make lab, CI) and requirements-colab.txt (make compat) pin all of
    pyproject's dependencies and its tf extra, so both tiers test what a learner installs."""
    for filename in ("requirements.txt", "requirements-colab.txt"):
        pins = pinned_in(filename)
        missing = {name for name in declared_in_pyproject() if not pins.get(name, "")
                   .startswith("==")}
        assert not missing, f"{filename} does not pin {sorted(missing)}"


def test_the_tf_extra_chooses_the_tensorflow_build_as_requirements_do():
    """tensorflow-cpu on Linux x86_64, tensorflow elsewhere: the same markers in both files."""
    with open(REPO / "pyproject.toml", "rb") as f:
        extra = tomllib.load(f)["project"]["optional-dependencies"]["tf"]
    markers = {}
    for line in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("tensorflow"):
            req = Requirement(line)
            markers[canonicalize_name(req.name)] = str(req.marker)
    builds = {canonicalize_name(r.name): str(r.marker) for r in map(Requirement, extra)
              if r.name.startswith("tensorflow")}
    assert builds == markers and set(builds) == {"tensorflow", "tensorflow-cpu"}, builds
    for environment, build in [({"sys_platform": "linux", "platform_machine": "x86_64"},
                                 "tensorflow-cpu"),
                                ({"sys_platform": "darwin", "platform_machine": "arm64"},
                                 "tensorflow"),
                                ({"sys_platform": "linux", "platform_machine": "aarch64"},
                                 "tensorflow")]:
        chosen = [r.name for r in map(Requirement, extra)
                  if r.name.startswith("tensorflow") and r.marker.evaluate(environment)]
        assert chosen == [build], (environment, chosen)


def test_the_scan_sees_the_imports_it_must(uses_by_source):
    """The scan is not vacuous: the course's main imports and the TensorBoard use are found."""
    everything = set().union(*uses_by_source.values())
    assert {"numpy", "keras", "tensorflow", "sklearn", "IPython", "ipywidgets",
            "tensorflow.summary"} <= everything, everything
    notebooks = {where.split(" cell ")[0] for where, uses in uses_by_source.items()
                 if "keras" in uses and ".ipynb cell " in where}
    assert notebooks == {p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")}, notebooks
    assert distributions_of({"tensorflow.summary"}) == {"tensorflow.summary": ("tensorboard",)}


# ---------------------------------------------------------------------------------------------
# The check itself, on synthetic sources: it fails on what it must.

SETUP_CELL = '''import os
try:
    import helpers
except ModuleNotFoundError:
    %pip install -q "vanishing-gradients-course @ git+https://example.org/x@v0"
!ls
import numpy as np
from . import sibling
import json, collections.abc
'''


def test_magics_are_skipped_and_only_third_party_imports_count():
    source = TransformerManager().transform_cell(SETUP_CELL)
    assert third_party_uses(source) == {"numpy"}


@pytest.mark.parametrize(
    "snippet, use",
    [
        ("import nbformat", "nbformat"),
        ("from nbformat.v4 import new_notebook", "nbformat"),
        ("import yaml as y", "yaml"),
        ("import tensorflow as tf\nwith tf.summary.create_file_writer('x').as_default(): pass",
         "tensorflow.summary"),
        ("from tensorflow import summary", "tensorflow.summary"),
        ("import surely_not_installed_anywhere_42", "surely_not_installed_anywhere_42"),
    ],
    ids=["import", "from-import", "aliased", "tf.summary", "from tensorflow import summary",
         "not installed"],
)
def test_an_undeclared_use_is_reported(snippet, use):
    uses = {"snippet": third_party_uses(snippet)}
    assert use in uses["snippet"]
    providers = set(distributions_of({use})[use])
    declared = declared_in_pyproject() - providers
    missing = undeclared(uses, declared)
    named = " or ".join(sorted(providers)) or "no installed distribution"
    assert list(missing) == [f"{use} ({named})"]
    assert missing[next(iter(missing))] == ["snippet"]
    # ...and the same snippet passes once its distribution is declared.
    if providers:
        assert not undeclared(uses, declared | providers)
