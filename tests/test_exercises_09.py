"""Notebook 09's checked exercises: the solutions pass, the listed mistakes are recognised."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from exercise_support import run_solution

from helpers import seed_everything
from helpers.data import load_circles
from helpers.exercises import ex09
from helpers.gradients import kernel_gradients, layer_gradients
from helpers.models import build_mlp
from helpers.store import Table


def _residual(batch_norm=False, residual=True, part=None, seed=0):
    (x, y), _ = load_circles()
    seed_everything(seed)
    model = build_mlp(20, activation="relu", initializer="he_uniform", residual=residual,
                      batch_norm=batch_norm)
    if part == "bias":
        return layer_gradients(model, x, y, training=True).sizes("bias")
    return kernel_gradients(model, x, y, training=True)


def _sgd(**clipping):
    return keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, **clipping)


@pytest.mark.parametrize("exercise", ex09.EXERCISES.values(), ids=lambda e: e.name)
def test_untouched_scaffold_is_not_attempted(exercise):
    assert exercise.check(...).status == "not attempted"


@pytest.mark.parametrize("exercise", ex09.EXERCISES.values(), ids=lambda e: e.name)
def test_junk_gets_a_clear_message(exercise):
    feedback = exercise.check("explode")
    assert feedback.status == "incorrect"
    assert "str" in feedback.message


@pytest.mark.parametrize("key", ["1", "2", "3"])
def test_solution_passes(key):  # each solution runs in a few seconds (no training)
    exercise = ex09.EXERCISES[key]
    namespace = run_solution("09", exercise)
    feedback = exercise.check(namespace[exercise.answer])
    assert feedback.status == "correct", feedback


def test_1_mistakes():
    assert ex09.q1.check(_residual()).status == "correct"
    assert ex09.q1.check(list(_residual().values())).status == "correct"
    assert "with* batch normalization" in ex09.q1.check(_residual(batch_norm=True)).message
    assert "plain network" in ex09.q1.check(_residual(residual=False)).message
    assert "bias gradients" in ex09.q1.check(_residual(part="bias")).message
    other_seed = ex09.q1.check(_residual(seed=1))  # what forgetting to reseed gives
    assert other_seed.status == "incorrect" and "seed_everything(0)" in other_seed.message
    assert "21 values" in ex09.q1.check([1.0, 2.0]).message


def test_2_mistakes():
    assert ex09.q2.check(_sgd(global_clipnorm=1.0)).status == "correct"
    assert "`clipnorm=1.0`" in ex09.q2.check(_sgd(clipnorm=1.0)).message
    assert "`clipvalue`" in ex09.q2.check(_sgd(clipvalue=0.5)).message
    assert "does not clip at all" in ex09.q2.check(_sgd()).message
    assert "to a norm of 2" in ex09.q2.check(_sgd(global_clipnorm=2.0)).message
    assert "Adam" in ex09.q2.check(keras.optimizers.Adam(global_clipnorm=1.0)).message
    assert "optimizer class" in ex09.q2.check(keras.optimizers.SGD).message
    wrong_rate = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, global_clipnorm=1.0)
    assert "learning_rate=0.01" in ex09.q2.check(wrong_rate).message


def test_3_mistakes():
    runs = [r for r in Table("09_beyond_relu").records() if r["width"] == 16 and r["depth"] == 30
            and not r["batch_norm"] and r["optimizer"] is None]
    assert len(runs) == 20
    share = np.mean([r["learned"] for r in runs])
    assert ex09.q3.check(share).status == "correct"
    mean_accuracy = np.mean([r["test_accuracy"] for r in runs])
    assert "mean test accuracy" in ex09.q3.check(mean_accuracy).message
    assert "count of seeds" in ex09.q3.check(sum(r["learned"] for r in runs)).message
    assert "width-5" in ex09.q3.check(0.0).message
    assert "one seed's outcome" in ex09.q3.check(1.0).message
    assert ex09.q3.check(share - 0.1).status == "incorrect"
