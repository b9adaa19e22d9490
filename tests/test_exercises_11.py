"""Notebook 11's checked exercises: the worked solutions pass, each listed mistake is named,
wrong values are incorrect, junk gets a clear message, the untouched scaffold is not attempted."""

from __future__ import annotations

import numpy as np
import pytest
from exercise_support import run_solution

from helpers.exercises import ex11
from helpers.experiments import dead_at_init
from helpers.scale import HEADLINE, build_recipe, gradient_norms, load_digits_split
from helpers.seeding import seed_everything


def _ratio(recipe):
    (x, y), _ = load_digits_split()
    seed_everything(0)
    g = gradient_norms(build_recipe(recipe, **HEADLINE), x, y)
    return g[0] / g[-1]


@pytest.mark.parametrize("key", sorted(ex11.EXERCISES))
def test_solution_passes_its_check(key, capsys):
    exercise = ex11.EXERCISES[key]
    namespace = run_solution("11", exercise)
    feedback = exercise.check(namespace[exercise.answer])
    assert feedback.status == "correct", feedback


@pytest.mark.parametrize("key", sorted(ex11.EXERCISES))
def test_untouched_and_junk(key):
    exercise = ex11.EXERCISES[key]
    assert exercise.check(...).status == "not attempted"
    junk = exercise.check("about a half")
    assert junk.status == "incorrect" and "number" in junk.message


def test_1_mistakes():
    ratio = _ratio("tanh_glorot")
    assert "wrong way round" in ex11.q1.check(1 / ratio).message
    assert "sigmoid" in ex11.q1.check(_ratio("sigmoid_glorot")).message
    assert ex11.q1.check(ratio * 1.5).status == "incorrect"


def test_2_mistakes():
    rate, accuracies = ex11._stored_rate("relu_glorot")
    assert ex11.q2.check(rate).status == "correct"
    if 0 < rate < 1:  # one seed's outcome is only recognisable when the share is neither
        assert "one seed" in ex11.q2.check(1.0 if rate < 0.5 else 0.0).message
    if rate * 10 > 1:
        assert "number of seeds" in ex11.q2.check(rate * 10).message
    assert "median test accuracy" in ex11.q2.check(float(np.median(accuracies))).message
    assert ex11.q2.check(min(1.0, rate + 0.35) if rate < 0.5 else rate - 0.35).status == \
        "incorrect"


def test_3_mistakes():
    (x, _), _ = load_digits_split()
    share = dead_at_init(10, 5, seeds=range(50), x=x).dead.mean()
    deeper = dead_at_init(20, 5, seeds=range(50), x=x).dead.mean()
    assert 0 < share != deeper
    assert "depth 20" in ex11.q3.check(deeper).message
    assert "number of dead" in ex11.q3.check(share * 50).message
    assert "width 128" in ex11.q3.check(0.0).message
    assert ex11.q3.check(share + 0.1).status == "incorrect"
