"""Notebook 05's checked exercises: solutions pass, listed mistakes are named, junk is refused."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from exercise_support import run_solution

from helpers import seed_everything
from helpers.checking import grade
from helpers.data import load_circles
from helpers.exercises import ex05
from helpers.gradients import diagnose, kernel_gradients, layer_outputs
from helpers.models import build_mlp


def _ratios(model):
    (x, y), _ = load_circles()
    g = list(kernel_gradients(model, x, y).values())
    return min(g[:-1]) / g[-1], g[0] / g[-1]


def _tanh0():
    seed_everything(0)
    return build_mlp(5)


def _shared0():
    seed_everything(0)
    init = keras.initializers.RandomUniform(0.0, 1.0)
    return keras.Sequential([keras.Input(shape=(2,))]
                            + [keras.layers.Dense(5, activation="tanh", kernel_initializer=init)
                               for _ in range(5)]
                            + [keras.layers.Dense(1, activation="sigmoid",
                                                  kernel_initializer=init)])


def _z5(x):
    return layer_outputs(_tanh0(), x, pre_activation=True)["hidden_5"]


def _share_saturated(z):
    return float(np.mean(np.abs(np.tanh(z)) > 0.97))


def _kinds():
    (x, y), _ = load_circles()
    out = []
    for seed in range(10):
        seed_everything(seed)
        out.append(diagnose(build_mlp(15, activation="relu", initializer="he_uniform"), x, y).kinds)
    return out


# mistake name (as listed in the exercise) -> (wrong answer, phrase the message must contain)
MISTAKES = {
    "1": {
        "a gradient ratio taken the wrong way round": (lambda: 1 / _ratios(_tanh0())[0],
                                                       "wrong way round"),
        "the first hidden layer instead of the weakest": (lambda: _ratios(_tanh0())[1],
                                                          "*first* hidden layer"),
        "layers sharing one initializer": (lambda: _ratios(_shared0())[0],
                                           "share one RandomUniform"),
    },
    "2": {
        "a percentage instead of a share": (
            lambda: 100 * _share_saturated(_z5(load_circles()[0][0])), "percentage"),
        "|z| > 0.97 instead of |tanh(z)| > 0.97": (
            lambda: float(np.mean(np.abs(_z5(load_circles()[0][0])) > 0.97)), "pre-activations z"),
        "tanh applied twice": (
            lambda: _share_saturated(layer_outputs(_tanh0(), load_circles()[0][0])["hidden_5"]),
            "tanh twice"),
    },
    "3": {
        "a count instead of a share": (lambda: sum("dead_units" in k for k in _kinds()),
                                       "count of seeds"),
        "every finding instead of dead units only": (
            lambda: float(np.mean([bool(k) for k in _kinds()])), "any finding"),
        "one seed's verdict (forgetting to reseed)": (
            lambda: float("dead_units" in _kinds()[0]), "one seed's verdict"),
    },
}
WRONG = {"1": 0.05, "2": 0.5, "3": 0.5}  # right type, wrong value


@pytest.mark.parametrize("k", sorted(ex05.EXERCISES))
def test_the_worked_solution_passes_the_check(k):
    exercise = ex05.EXERCISES[k]
    feedback = exercise.check(run_solution("05", exercise)[exercise.answer])
    assert feedback.status == "correct", feedback


@pytest.mark.parametrize("k", sorted(ex05.EXERCISES))
def test_every_listed_mistake_has_a_case(k):
    assert set(MISTAKES[k]) == set(ex05.EXERCISES[k].mistakes)


@pytest.mark.parametrize("k,mistake", [(k, m) for k in sorted(MISTAKES) for m in MISTAKES[k]])
def test_each_mistake_gets_its_own_message(k, mistake):
    make, phrase = MISTAKES[k][mistake]
    feedback = ex05.EXERCISES[k].check(make())
    assert feedback.status == "incorrect", feedback
    assert phrase in feedback.message, feedback


@pytest.mark.parametrize("k", sorted(ex05.EXERCISES))
def test_a_wrong_value_is_incorrect(k):
    feedback = ex05.EXERCISES[k].check(WRONG[k])
    assert feedback.status == "incorrect", feedback
    assert "not what" in feedback.message, feedback


@pytest.mark.parametrize("k", sorted(ex05.EXERCISES))
def test_junk_gets_a_clear_message(k):
    feedback = ex05.EXERCISES[k].check("about a half")
    assert feedback.status == "incorrect", feedback
    assert "single number" in feedback.message and "str" in feedback.message, feedback


def test_untouched_scaffolds_are_not_attempted():
    feedback = grade(ex05.EXERCISES, {q.answer: ... for q in ex05.EXERCISES.values()})
    assert [f.status for f in feedback] == ["not attempted"] * len(ex05.EXERCISES)


def test_the_check_measures_in_float64_whatever_the_callers_precision():
    answer = run_solution("05", ex05.q2)[ex05.q2.answer]
    keras.config.set_floatx("float32")
    keras.config.set_dtype_policy("float32")
    try:
        assert ex05.q2.check(answer).status == "correct"
        assert keras.config.floatx() == "float32"  # and leaves the caller's setting alone
        assert keras.config.dtype_policy().name == "float32"
    finally:
        keras.config.set_floatx("float64")
        keras.config.set_dtype_policy("float64")
