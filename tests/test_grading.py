"""The teachers' tools: the student build (scripts/student.py) and the grader (scripts/grade.py).

The grader runs on a class of three made-up students: one hands in the untouched student
notebooks, one the worked solutions, one a notebook whose exercise cells go wrong in three ways
(a wrong answer, a cell that raises, a deleted check cell). Notebooks 01 and 03: the two
quickest notebooks with checked exercises.
"""

from __future__ import annotations

import csv
import importlib
import subprocess
import sys

import nbformat
import pytest
from exercise_support import REPO, notebook_path

sys.path.insert(0, str(REPO / "scripts"))
import student  # noqa: E402

GRADED = ("01", "03")


def _exercises(nn):
    return importlib.import_module(f"helpers.exercises.ex{nn}").EXERCISES


def _scaffold(nb, key):
    return next(c for c in nb.cells if "exercise" in c.metadata.get("tags", [])
                and c.source.lstrip().startswith(f"# Exercise {key}"))


@pytest.mark.parametrize("nn", ["01", "05", "09"])
def test_student_version_drops_solutions_and_keeps_checks(nn):
    nb = nbformat.read(notebook_path(nn), as_version=4)
    out = student.student_version(nb)
    tags = [set(c.metadata.get("tags", [])) for c in out.cells]
    assert not any("solution" in t for t in tags)
    assert sum("check" in t for t in tags) == len(_exercises(nn))
    quizzes = sum("quiz" in c.metadata.get("tags", []) for c in nb.cells)
    assert sum("quiz" in t for t in tags) == quizzes
    for cell, t in zip(out.cells, tags, strict=True):
        if t & {"exercise", "check"}:
            assert cell.outputs == [] and cell.execution_count is None
    assert len(nb.cells) - len(out.cells) == len(_exercises(nn))  # the original is untouched


def test_student_build_refuses_to_overwrite(tmp_path):
    (tmp_path / "old.ipynb").write_text("{}")
    assert student.main([str(notebook_path("01")), "--out", str(tmp_path)]) == 2
    assert (tmp_path / "old.ipynb").read_text() == "{}"


@pytest.mark.slow
def test_grader_grades_a_blank_a_solved_and_a_broken_class(tmp_path):
    build = tmp_path / "student"
    assert student.main([str(notebook_path(nn)) for nn in GRADED] + ["--out", str(build)]) == 0
    subs = tmp_path / "submissions"
    for who in ("blank", "solved"):
        (subs / who).mkdir(parents=True)
    (subs / "broken").mkdir()
    for nn in GRADED:
        name = notebook_path(nn).name
        nb = nbformat.read(build / name, as_version=4)
        nbformat.write(nb, subs / "blank" / name)
        solved = nbformat.from_dict(nb)
        for key, exercise in _exercises(nn).items():
            _scaffold(solved, key).source = exercise.solution_code
        nbformat.write(solved, subs / "solved" / name)
    # broken: exercise 1 answered wrong, exercise 2 raises, exercise 3 solved but its check deleted
    nb = nbformat.read(build / notebook_path("01").name, as_version=4)
    ex = _exercises("01")
    _scaffold(nb, "1").source = f"{ex['1'].answer} = 'no idea'"
    _scaffold(nb, "2").source = "1 / 0"
    _scaffold(nb, "3").source = ex["3"].solution_code
    nb.cells = [c for c in nb.cells if c.source.strip() != f"ex01.q3.check({ex['3'].answer})"]
    nbformat.write(nb, subs / "broken" / notebook_path("01").name)

    out = tmp_path / "grades.csv"
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "grade.py"), str(subs),
                          "--out", str(out)], capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stderr[-2000:]
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    status = {(r["student"], r["exercise"]): r["status"] for r in rows}
    for nn in GRADED:
        for exercise in _exercises(nn).values():
            assert status["blank", exercise.name] == "not attempted"
            assert status["solved", exercise.name] == "correct"
    assert status["broken", "01.1"] == "incorrect"
    assert status["broken", "01.2"] == "error"
    assert "ZeroDivisionError" in next(r["message"] for r in rows
                                       if (r["student"], r["exercise"]) == ("broken", "01.2"))
    assert status["broken", "01.3"] == "correct"
    # the grades are never overwritten
    again = subprocess.run([sys.executable, str(REPO / "scripts" / "grade.py"), str(subs),
                            "--out", str(out)], capture_output=True, text=True)
    assert again.returncode == 2 and "never overwritten" in again.stderr
