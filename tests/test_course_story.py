"""The course reads as one story: linked notebooks, no test-harness talk, one date per source.

Cheap checks on the committed notebooks' markdown (CONTRIBUTING.md, notebook conventions):
- each notebook ends with a markdown cell linking to the previous and the next notebook;
- learner prose never speaks of the course's tests, nbval or its markers;
- a source cited in several notebooks carries the same year everywhere (Lu et al. 2020);
- a link's label names what its target is (the TensorBoard histogram documentation).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
FILES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def _markdown(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_ends_with_links_to_previous_and_next(path):
    last = _markdown(path)[-1]
    targets = [t for _, t in LINK.findall(last) if re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", t)]
    number = int(path.name[:2])
    last_number = max([10] + [int(p.name[:2]) for p in FILES])  # notebook 10 closes the course
    wanted = [n for n in (number - 1, number + 1) if 1 <= n <= last_number]
    assert sorted(int(t[:2]) for t in targets) == wanted, (path.name, last)
    for target in targets:  # every linked notebook exists, except those still being written
        assert (NOTEBOOKS / target).exists() or target.startswith(("10_", "11_")), target


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_prose_does_not_speak_of_the_test_harness(path):
    harness = re.compile(r"nbval|NBVAL|pytest|course's tests|the tests do not|tests? compare",
                         re.IGNORECASE)
    for text in _markdown(path):
        assert not harness.search(text), (path.name, harness.search(text).group(0))


def test_lu_et_al_is_dated_2020_everywhere():
    for path in FILES:
        for text in _markdown(path):
            for m in re.finditer(r"Lu(?:, Shin, Su and Karniadakis| et al\.?|, Y\. Shin[^()]*?)"
                                 r"[^.\n]{0,40}?\(?(\d{4}(?:/\d{4})?)", text):
                assert m.group(1) == "2020", (path.name, m.group(0))


def test_link_labels_match_their_targets():
    for path in FILES:
        for text in _markdown(path):
            for label, target in LINK.findall(text):
                if "histogram" in label.lower():
                    assert "histogram" in target.lower(), (path.name, label, target)
