"""Notebook 03's checked exercises: the worked solutions pass, each listed mistake is named,
wrong values are incorrect, junk gets a clear message, the untouched scaffold is not attempted."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from exercise_support import run_solution

from helpers import seed_everything
from helpers.exercises import ex03
from helpers.models import build_mlp
from helpers.training import train

RATES = {1: 1.0, 2: 1.0, 3: 0.85, 4: 0.25, 5: 0.10}  # notebook 06's stored table (printed there)


@pytest.mark.parametrize("key", sorted(ex03.EXERCISES))
def test_solution_passes_its_check(key):
    exercise = ex03.EXERCISES[key]
    namespace = run_solution("03", exercise)
    feedback = exercise.check(namespace[exercise.answer])
    assert feedback.status == "correct", feedback


@pytest.mark.parametrize("key", sorted(ex03.EXERCISES))
def test_untouched_and_junk(key):
    exercise = ex03.EXERCISES[key]
    assert exercise.check(...).status == "not attempted"
    junk = exercise.check("about half")
    assert junk.status == "incorrect" and "expected a" in junk.message


def test_1_accepts_a_series_and_a_list_and_names_mistakes():
    import pandas as pd

    assert ex03.q1.check(pd.Series(RATES)).status == "correct"
    assert ex03.q1.check(list(RATES.values())).status == "correct"
    assert "counts" in ex03.q1.check({d: 20 * r for d, r in RATES.items()}).message
    assert "percentages" in ex03.q1.check({d: 100 * r for d, r in RATES.items()}).message
    one_seed = {1: 1.0, 2: 1.0, 3: 1.0, 4: 0.0, 5: 0.0}
    assert "one seed's outcome" in ex03.q1.check(one_seed).message
    wrong = ex03.q1.check({**RATES, 4: 0.5})
    assert wrong.status == "incorrect" and "depth 4" in wrong.message
    assert "keys" in ex03.q1.check({1: 1.0, 2: 1.0}).message


def _shares(pre=False):
    (x_train, _), _ = __import__("helpers.data", fromlist=["load_circles"]).load_circles()
    seed_everything(0)
    net = build_mlp(5)
    h, out = x_train, []
    for layer in net.layers[:5]:
        z = h @ layer.kernel.numpy() + layer.bias.numpy()
        h = np.tanh(z)
        out.append(float((np.abs(z if pre else h) > 0.99).mean()))
    return out


def test_2_mistakes():
    right = _shares()
    assert "reverse order" in ex03.q2.check(right[::-1]).message
    assert "pre-activations" in ex03.q2.check(_shares(pre=True)).message
    assert "counts" in ex03.q2.check([v * 2500 for v in right]).message
    wrong = ex03.q2.check([0.0, 0.0, 0.1, 0.2, 0.3])
    assert wrong.status == "incorrect" and "seed_everything(0)" in wrong.message
    assert "five shares" in ex03.q2.check([0.0, 0.1]).message


def _deep(init=lambda: keras.initializers.RandomUniform(0.0, 1.0), shared=False):
    one = init()
    return keras.Sequential([keras.Input(shape=(2,))]
                            + [keras.layers.Dense(5, activation="tanh",
                                                  kernel_initializer=one if shared else init())
                               for _ in range(5)]
                            + [keras.layers.Dense(1, activation="sigmoid",
                                                  kernel_initializer=init())])


def test_3_mistakes(circles):
    seed_everything(1)
    assert "share one initializer object" in ex03.q3.check(_deep(shared=True)).message
    seed_everything(1)
    glorot = _deep(init=keras.initializers.GlorotUniform)
    assert "outside [0, 1]" in ex03.q3.check(glorot).message
    seed_everything(1)
    trained = _deep()
    train(trained, *circles, epochs=2, seed=1)
    assert "trained" in ex03.q3.check(trained).message
    seed_everything(1)
    assert "five hidden layers" in ex03.q3.check(build_mlp(4)).message
    assert ex03.q3.check(build_mlp(5, activation="relu", initializer="uniform_0_1")).status \
        == "incorrect"
