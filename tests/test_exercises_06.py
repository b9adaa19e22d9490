"""Notebook 06's checked exercises: solutions pass, listed mistakes are named, junk is refused."""

from __future__ import annotations

import pandas as pd
import pytest
from exercise_support import run_solution

from helpers.checking import grade
from helpers.exercises import ex06
from helpers.store import Table
from helpers.training import LEARNED_THRESHOLD


def _runs(width, depth):
    t = pd.DataFrame(Table("06_five_extensions").records())
    runs = t[(t.width == width) & (t.depth == depth) & (t.seed < 20)]
    assert len(runs) == 20
    return runs


def _rate(width, depth):
    return _runs(width, depth)["learned"].mean()


MISTAKES = {
    "1": {
        "a count instead of a share": (lambda: int(_runs(10, 3)["learned"].sum()), "count"),
        "one seed's outcome": (lambda: float(_runs(10, 3)["learned"].iloc[0]), "one seed"),
        "the width-5 cell": (lambda: _rate(5, 3), "width-5"),
        "the training accuracy instead of the test accuracy": (
            lambda: (_runs(10, 3)["train_accuracy"] >= LEARNED_THRESHOLD).mean(),
            "training accuracy"),
        "'learned' as better than 0.5": (lambda: (_runs(10, 3)["test_accuracy"] > 0.5).mean(),
                                         "above 0.5"),
    },
    "2": {
        "the tutorial's depth (first with almost none)": (lambda: 5, "smaller depth"),
        "the first depth with no success": (
            lambda: min(d for d in range(1, 11) if _rate(5, d) == 0), "no seed learns"),
        "the first depth below 1 instead of below 0.5": (
            lambda: min(d for d in range(1, 11) if _rate(5, d) < 1), "more than half"),
    },
    "3": {
        "a difference taken the wrong way round": (lambda: _rate(25, 3) - _rate(5, 3),
                                                   "wrong way round"),
        "counts instead of shares": (lambda: 20 * (_rate(5, 3) - _rate(25, 3)), "counts"),
        "percentage points instead of a fraction": (lambda: 100 * (_rate(5, 3) - _rate(25, 3)),
                                                    "percentage points"),
    },
}
WRONG = {"1": 0.5, "2": 2, "3": 0.5}
GENERIC = {"1": "not the share", "2": "first depth", "3": "not what"}


def test_the_tutorials_depth_is_a_distinct_mistake():
    assert 5 != min(d for d in range(1, 11) if _rate(5, d) < 0.5)  # else the case above is moot


@pytest.mark.parametrize("k", sorted(ex06.EXERCISES))
def test_the_worked_solution_passes_the_check(k):
    exercise = ex06.EXERCISES[k]
    feedback = exercise.check(run_solution("06", exercise)[exercise.answer])
    assert feedback.status == "correct", feedback


@pytest.mark.parametrize("k", sorted(ex06.EXERCISES))
def test_every_listed_mistake_has_a_case(k):
    assert set(MISTAKES[k]) == set(ex06.EXERCISES[k].mistakes)


@pytest.mark.parametrize("k,mistake", [(k, m) for k in sorted(MISTAKES) for m in MISTAKES[k]])
def test_each_mistake_gets_its_own_message(k, mistake):
    make, phrase = MISTAKES[k][mistake]
    feedback = ex06.EXERCISES[k].check(make())
    assert feedback.status == "incorrect", feedback
    assert phrase in feedback.message, feedback


@pytest.mark.parametrize("k", sorted(ex06.EXERCISES))
def test_a_wrong_value_is_incorrect(k):
    feedback = ex06.EXERCISES[k].check(WRONG[k])
    assert feedback.status == "incorrect", feedback
    assert GENERIC[k] in feedback.message, feedback


@pytest.mark.parametrize("k", sorted(ex06.EXERCISES))
def test_junk_gets_a_clear_message(k):
    feedback = ex06.EXERCISES[k].check("four")
    assert feedback.status == "incorrect", feedback
    assert "single number" in feedback.message and "str" in feedback.message, feedback


def test_untouched_scaffolds_are_not_attempted():
    feedback = grade(ex06.EXERCISES, {q.answer: ... for q in ex06.EXERCISES.values()})
    assert [f.status for f in feedback] == ["not attempted"] * len(ex06.EXERCISES)
