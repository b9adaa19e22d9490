"""One name and one version everywhere, licences in place: what a learner or a fork relies on.

The version lives in pyproject.toml; helpers.__version__, CITATION.cff and the top entry of
CHANGELOG.md must say the same; a release commit's notebooks install
`<name>==<version>` (tests/nbchecks.py, scripts/release.py). When the course package is
installed (`make lab`, `pip install -e .`), its metadata must match too.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from nbchecks import REPO, repository_url

CC_BY_LEGAL_CODE = "https://creativecommons.org/licenses/by/4.0/legalcode"


def _project() -> dict:
    with open(REPO / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def _package_version() -> str:
    """helpers.__version__ as written in helpers/__init__.py (read, not imported)."""
    tree = ast.parse((REPO / "helpers" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError("helpers/__init__.py defines no __version__")


def _citation() -> dict:
    return yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))


def _changelog_versions() -> list[str]:
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    return re.findall(r"^## \[(\d+\.\d+\.\d+)\]", text, re.MULTILINE)


def test_version_agrees_everywhere():
    version = _project()["version"]
    assert _package_version() == version, "helpers/__init__.py __version__ != pyproject version"
    assert str(_citation()["version"]) == version, "CITATION.cff version != pyproject version"
    versions = _changelog_versions()
    assert versions, "CHANGELOG.md needs `## [x.y.z] - date` entries"
    assert versions[0] == version, f"CHANGELOG.md's top entry is {versions[0]}, not {version}"
    assert versions == sorted(versions, key=lambda v: tuple(map(int, v.split("."))), reverse=True)


def test_imported_helpers_reports_the_version():
    import helpers

    if Path(helpers.__file__).resolve().parent != REPO / "helpers":
        pytest.skip(f"the imported helpers is another checkout's: {helpers.__file__}")
    assert helpers.__version__ == _project()["version"]


def test_changelog_placeholders_only_in_the_unreleased_version():
    """'lead fills in' notes may stand only in the top (in-progress) entry."""
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    entries = re.split(r"^(?=## \[)", text, flags=re.MULTILINE)[1:]
    assert entries
    for entry in entries[1:]:
        assert "fills in" not in entry, entry.splitlines()[0]


def test_citation_names_the_course_and_credits_the_tutorial():
    cff = _citation()
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):
        assert cff.get(key), f"CITATION.cff needs {key}"
    assert cff["repository-code"].rstrip("/") == repository_url()
    assert set(cff["license"]) == {"MIT", "CC-BY-4.0"}
    tutorial = [r for r in cff.get("references", []) if "Vanishing Gradients" in r["title"]]
    assert tutorial, "CITATION.cff must credit the 2019 tutorial under references"
    ref = tutorial[0]
    assert ref["title"] == "How to Fix the Vanishing Gradients Problem Using the ReLU"
    assert ref["year"] == 2019 and ref["publisher"]["name"] == "Machine Learning Mastery"
    assert {"family-names": "Brownlee", "given-names": "Jason"} in ref["authors"]


def test_licences_exist_and_are_stated():
    mit = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert mit.startswith("MIT License") and "Permission is hereby granted" in mit
    content = (REPO / "LICENSE-CONTENT").read_text(encoding="utf-8")
    assert "Creative Commons Attribution 4.0 International" in content
    assert CC_BY_LEGAL_CODE in content
    project = _project()
    assert project["license"] == "MIT"
    assert "LICENSE" in project["license-files"]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^## Licen[cs]e\s*$(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    assert m, "README.md needs a `## Licence` section"
    section = m.group(1)
    assert "(LICENSE)" in section and "MIT" in section
    assert "(LICENSE-CONTENT)" in section and "CC BY 4.0" in section
    assert "(CITATION.cff)" in readme and "(CHANGELOG.md)" in readme


def _installed_course() -> metadata.Distribution | None:
    """The distribution pip installed from this checkout (direct_url.json names it), if any.

    A source tree's own `*.egg-info` (left by a build) is no installation: it has no direct_url.
    """
    for dist in metadata.distributions():
        direct = dist.read_text("direct_url.json")
        if direct and json.loads(direct).get("url", "").rstrip("/") == REPO.as_uri():
            return dist
    return None


def test_installed_metadata_matches_pyproject():
    """After `pip install -e .` (make lab / make test), the metadata is pyproject's."""
    project = _project()
    dist = _installed_course()
    if dist is None:
        # Not installed from this checkout (e.g. PYTHONPATH use): pyproject is all there is.
        assert project["name"] == "vanishing-gradients-course"
        pytest.skip("the course package is not pip-installed from this checkout")
    assert dist.metadata["Name"] == project["name"]
    assert dist.version == project["version"]
    assert dist.metadata["License-Expression"] == project["license"]
    assert "helpers" in (dist.read_text("top_level.txt") or "").split()
