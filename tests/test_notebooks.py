"""Every notebook in notebooks/ follows CONTRIBUTING.md's conventions (saved state, shape, badges).

These tests read the saved .ipynb files; they do not run them (`make test` runs nbval for that).
With no notebooks yet, the parametrised tests are skipped.
"""

from __future__ import annotations

import nbformat
import pytest
from nbchecks import CHECKS, NOTEBOOKS, install_spec, repository_url

PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


@pytest.fixture(scope="module")
def repo_url() -> str:
    return repository_url()


@pytest.fixture(scope="module", params=PATHS, ids=[p.name for p in PATHS])
def notebook(request):
    path = request.param
    return path.name, nbformat.read(path, as_version=4)


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__.removeprefix("check_") for c in CHECKS])
def test_notebook(notebook, check, repo_url):
    name, nb = notebook
    problems = check(nb, name, repo_url)
    assert not problems, f"notebooks/{name}:\n  " + "\n  ".join(problems)


def test_notebooks_found_when_folder_not_empty():
    """A notebook saved elsewhere or misnamed would silently escape every check above."""
    others = [p.name for p in NOTEBOOKS.glob("*") if not p.name.startswith(".")]
    if others:
        assert PATHS, f"notebooks/ holds {others} but no .ipynb file"


def test_notebook_numbers_unique():
    numbers = [p.name[:2] for p in PATHS]
    dupes = sorted({n for n in numbers if numbers.count(n) > 1})
    assert not dupes, f"two notebooks share a number: {dupes}"


def test_every_notebook_installs_the_same_helpers():
    """All on `main` (`@main`) or all pinned to the release (`==<version>`), never a mixture:
    scripts/release.py rewrites every line at once."""
    specs = {p.name: install_spec(nbformat.read(p, as_version=4)) for p in PATHS}
    assert len(set(specs.values())) <= 1, specs
