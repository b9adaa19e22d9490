"""Every notebook's checked exercises and concept questions follow one pattern (helpers.checking).

Per exercise, in the "## Exercises" section: a markdown task, a scaffold cell tagged
``exercise`` that sets the answer variable to ``...``, a check cell tagged ``check`` calling
``exNN.qK.check(<answer>)``, and a folded solution tagged ``solution`` whose code is the
exercise's ``solution_code``. The committed notebook shows the untouched scaffold's
"not attempted" feedback. Each notebook's own tests (tests/test_exercises_NN.py) run the
solutions and the recognised mistakes.
"""

from __future__ import annotations

import importlib
import json
import re

import numpy as np
import pytest
from exercise_support import NOTEBOOKS

from helpers.checking import Exercise, Feedback, Wrong, grade, number

PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
MIN_QUIZ, MAX_QUIZ = 2, 4


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _source(cell) -> str:
    return "".join(cell["source"])


def _module(path):
    return importlib.import_module(f"helpers.exercises.ex{path.name[:2]}")


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name[:2])
def test_notebook_has_at_least_three_checked_exercises(path):
    exercises = _module(path).EXERCISES
    assert len(exercises) >= 3
    for key, exercise in exercises.items():
        assert isinstance(exercise, Exercise)
        assert exercise.name == f"{path.name[:2]}.{key}"
        assert exercise.mistakes, f"{exercise.name} lists no recognised mistake"
        assert exercise.hint_text.strip() and exercise.solution_code.strip()
    answers = [e.answer for e in exercises.values()]
    assert len(set(answers)) == len(answers), "answer variables must be unique in a notebook"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name[:2])
def test_exercise_cells_follow_the_pattern(path):
    cells = _cells(path)
    nn = path.name[:2]
    setup = next(c for c in cells if c["cell_type"] == "code")
    assert f"from helpers.exercises import ex{nn}" in _source(setup)
    start = next(i for i, c in enumerate(cells) if _source(c).startswith("## Exercises"))
    for key, exercise in _module(path).EXERCISES.items():
        scaffold = [i for i, c in enumerate(cells) if "exercise" in _tags(c)
                    and re.match(rf"#\s*Exercise {key}\b", _source(c))]
        assert len(scaffold) == 1, f"exercise {exercise.name}: one scaffold cell expected"
        i = scaffold[0]
        assert i > start
        assert re.search(rf"^{exercise.answer} = \.\.\.\s*$", _source(cells[i]), re.M)
        check = cells[i + 1]
        assert "check" in _tags(check)
        assert _source(check).strip() == f"ex{nn}.q{key}.check({exercise.answer})"
        texts = "".join(o.get("text", "")
                        + "".join(o.get("data", {}).get("text/plain", ""))
                        for o in check.get("outputs", []))
        assert "not attempted" in texts, f"{exercise.name}: the committed check should say so"
        solution = cells[i + 2]
        assert "solution" in _tags(solution) and solution["cell_type"] == "markdown"
        text = _source(solution)
        assert text.startswith("<details><summary>Solution")
        assert text.rstrip().endswith("</details>")
        code = re.search(r"```python\n(.*?)```", text, re.S)
        assert code and code.group(1).strip() == exercise.solution_code.strip(), (
            f"{exercise.name}: the folded solution's code differs from solution_code")


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name[:2])
def test_untouched_scaffolds_are_not_attempted(path):
    for exercise in _module(path).EXERCISES.values():
        feedback = exercise.check(...)
        assert feedback.status == "not attempted"
        assert exercise.answer in feedback.message


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name[:2])
def test_concept_questions_are_well_formed(path):
    quizzes = [c for c in _cells(path) if "quiz" in _tags(c)]
    assert MIN_QUIZ <= len(quizzes) <= MAX_QUIZ, f"{len(quizzes)} concept questions"
    for cell in quizzes:
        text = _source(cell)
        assert cell["cell_type"] == "markdown" and text.startswith("**Question")
        options = re.findall(r"<details><summary>([A-E])\. .+?</summary>\n\n(.+?)</details>",
                             text, re.S)
        assert len(options) >= 2, text[:80]
        assert [letter for letter, _ in options] == list("ABCDE"[: len(options)])
        assert sum(body.lstrip().startswith("✔") for _, body in options) == 1, text[:80]
        assert all(body.lstrip()[0] in "✔✘" for _, body in options)


def test_course_has_at_least_twenty_concept_questions_and_thirty_exercises():
    assert sum("quiz" in _tags(c) for p in PATHS for c in _cells(p)) >= 20
    assert sum(len(_module(p).EXERCISES) for p in PATHS) >= 30


# ------------------------------------------------------------------------ the framework itself
def _toy() -> Exercise:
    def judge(answer):
        value = number(answer, "a probability", 0, 1)
        if value == 1.0:
            raise Wrong("that is one seed's outcome")
        return "right"
    return Exercise("99.1", "toy_rate", judge, "count", "toy_rate = 0.5\n", ("one seed",))


def test_feedback_statuses():
    toy = _toy()
    assert toy.check(0.5).status == "correct" and bool(toy.check(0.5))
    assert toy.check(1.0) == Feedback("99.1", "incorrect", "that is one seed's outcome")
    assert "between 0 and 1" in toy.check(3).message
    assert "single number" in toy.check("a lot").message
    for not_a_number in (True, np.False_, np.array(True), "0.5", [1, [2, 3]]):  # not one number
        assert toy.check(not_a_number).status == "incorrect", not_a_number
    assert "at least 0, got -2" in Exercise("99.2", "x", lambda a: number(a, "a rate", 0),
                                            "", "").check(-2).message
    assert toy.check(...).status == "not attempted"
    assert "ex99.q1.hint()" in toy.check(...).message
    with pytest.raises(ValueError, match="status must be one of"):
        Feedback("99.1", "maybe", "")


def test_a_judge_that_crashes_gives_an_error_not_a_traceback():
    def judge(answer):
        return answer.missing_attribute
    feedback = Exercise("99.2", "x", judge, "", "", ("-",)).check(object())
    assert feedback.status == "error" and "AttributeError" in feedback.message


def test_grade_reads_answers_from_a_namespace():
    toy = _toy()
    assert [f.status for f in grade({"1": toy}, {"toy_rate": 0.5})] == ["correct"]
    assert [f.status for f in grade({"1": toy}, {})] == ["not attempted"]


def test_feedback_shows_as_text_and_html():
    feedback = _toy().check(1.0)
    assert repr(feedback).startswith("✘ Exercise 99.1, incorrect:")
    assert "one seed&#x27;s outcome" in feedback._repr_html_()
