"""Notebook 07's checked exercises: solutions pass, listed mistakes are named, junk is refused."""

from __future__ import annotations

import math

import keras
import pandas as pd
import pytest
from exercise_support import run_solution

from helpers.checking import grade
from helpers.exercises import ex07
from helpers.experiments import dead_at_init, wilson_ci
from helpers.store import Table


def _relu_15():
    t = pd.DataFrame(Table("07_where_depth_breaks").records())
    runs = t[(t.width == 5) & (t.depth == 15) & (t.activation == "relu")
             & (t.initializer == "he_uniform") & (t.seed < 30)]
    dead = dead_at_init(15, width=5, seeds=range(30))
    return runs.merge(dead[["seed", "dead"]], on="seed")


def _dead_share(width):
    return dead_at_init(20, width=width, seeds=range(100))["dead"].mean()


def _first_apart(interval):
    return next(n for n in range(10, 1001, 10)
                if interval(round(0.3 * n), n)[1] < interval(round(0.5 * n), n)[0])


def _wald(k, n):
    p = k / n
    half = 1.96 * math.sqrt(p * (1 - p) / n)
    return p - half, p + half


MISTAKES = {
    "1": {
        "a count instead of a share": (lambda: int(_relu_15().query("~dead")["learned"].sum()),
                                       "count"),
        "the rate over all seeds, dead ones included": (lambda: _relu_15()["learned"].mean(),
                                                        "all 30 seeds"),
        "the share alive instead of the share learned": (lambda: (~_relu_15()["dead"]).mean(),
                                                         "alive at initialization"),
    },
    "2": {
        "a count instead of a share": (lambda: int(round(100 * _dead_share(4))), "count"),
        "the width-5 share": (lambda: _dead_share(5), "width 5"),
        "one network's verdict": (
            lambda: float(dead_at_init(20, width=4, seeds=[0])["dead"].iloc[0]), "one network"),
    },
    "3": {
        "the Wald (normal) interval instead of Wilson's": (lambda: _first_apart(_wald), "Wald"),
        "a number of seeds that is not the smallest": (lambda: _first_apart(wilson_ci) + 10,
                                                       "smallest"),
        "a number where the intervals still overlap": (lambda: _first_apart(wilson_ci) - 20,
                                                       "still overlap"),
    },
}
WRONG = {"1": 0.5, "2": 0.5, "3": 95}
GENERIC = {"1": "not what", "2": "not what", "3": "10, 20, 30"}


def test_the_wald_mistake_differs_from_the_answer():
    assert _first_apart(_wald) != _first_apart(wilson_ci)


@pytest.mark.parametrize("k", sorted(ex07.EXERCISES))
def test_the_worked_solution_passes_the_check(k):
    exercise = ex07.EXERCISES[k]
    feedback = exercise.check(run_solution("07", exercise)[exercise.answer])
    assert feedback.status == "correct", feedback


@pytest.mark.parametrize("k", sorted(ex07.EXERCISES))
def test_every_listed_mistake_has_a_case(k):
    assert set(MISTAKES[k]) == set(ex07.EXERCISES[k].mistakes)


@pytest.mark.parametrize("k,mistake", [(k, m) for k in sorted(MISTAKES) for m in MISTAKES[k]])
def test_each_mistake_gets_its_own_message(k, mistake):
    make, phrase = MISTAKES[k][mistake]
    feedback = ex07.EXERCISES[k].check(make())
    assert feedback.status == "incorrect", feedback
    assert phrase in feedback.message, feedback


@pytest.mark.parametrize("k", sorted(ex07.EXERCISES))
def test_a_wrong_value_is_incorrect(k):
    feedback = ex07.EXERCISES[k].check(WRONG[k])
    assert feedback.status == "incorrect", feedback
    assert GENERIC[k] in feedback.message, feedback


@pytest.mark.parametrize("k", sorted(ex07.EXERCISES))
def test_junk_gets_a_clear_message(k):
    feedback = ex07.EXERCISES[k].check("many")
    assert feedback.status == "incorrect", feedback
    assert "single number" in feedback.message and "str" in feedback.message, feedback


def test_untouched_scaffolds_are_not_attempted():
    feedback = grade(ex07.EXERCISES, {q.answer: ... for q in ex07.EXERCISES.values()})
    assert [f.status for f in feedback] == ["not attempted"] * len(ex07.EXERCISES)


def test_the_check_measures_in_float64_whatever_the_callers_precision():
    answer = run_solution("07", ex07.q1)[ex07.q1.answer]
    keras.config.set_floatx("float32")
    keras.config.set_dtype_policy("float32")
    try:
        assert ex07.q1.check(answer).status == "correct"
        assert keras.config.floatx() == "float32"  # and leaves the caller's setting alone
        assert keras.config.dtype_policy().name == "float32"
    finally:
        keras.config.set_floatx("float64")
        keras.config.set_dtype_policy("float64")
